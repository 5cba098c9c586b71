//! `Chart.yaml`: the chart's name, version and description.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Problem, Result};

/// The parsed `Chart.yaml`. Unknown fields are errors, like everywhere else in bscope-chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartMetadata {
    /// Always `v2`.
    pub api_version: String,
    /// Chart name; also the top directory inside a packaged `.tgz`.
    pub name: String,
    /// SemVer 2 version of the chart.
    pub version: String,
    /// Version of the software the chart deploys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// One-line description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `application` (the only supported type).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub chart_type: Option<String>,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Project home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    /// Source repositories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// Maintainers (free-form maps, as in Helm).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Kubernetes versions the chart supports (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// Free-form annotations.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub annotations: serde_json::Map<String, serde_json::Value>,
}

impl ChartMetadata {
    /// Parse and validate `Chart.yaml` text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let meta: ChartMetadata = crate::values::yaml::from_str_strict(text, file)?;
        let mut problems = Vec::new();
        let loc = || Location {
            file: file.to_string(),
            line: 1,
            column: 1,
        };
        if meta.api_version != "v2" {
            problems.push(
                Problem::new(format!(
                    "{file}: apiVersion must be \"v2\", found {:?}",
                    meta.api_version
                ))
                .at(loc()),
            );
        }
        if !is_valid_name(&meta.name) {
            problems.push(
                Problem::new(format!("{file}: invalid chart name {:?}", meta.name))
                    .at(loc())
                    .help("use lower-case letters, digits and '-', starting with a letter"),
            );
        }
        if let Err(e) = semver::Version::parse(&meta.version) {
            problems.push(
                Problem::new(format!(
                    "{file}: version {:?} is not a SemVer 2 version: {e}",
                    meta.version
                ))
                .at(loc())
                .help("use MAJOR.MINOR.PATCH, e.g. version: 0.1.0"),
            );
        }
        if let Some(t) = &meta.chart_type
            && t != "application"
        {
            problems.push(Problem::new(format!("{file}: unsupported chart type {t:?}")).at(loc()));
        }
        if problems.is_empty() {
            Ok(meta)
        } else {
            Err(Error::Problems(problems))
        }
    }
}

/// Chart and release names: DNS-1123 labels, at most 53 characters (Helm's rule).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 53
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_minimal_chart() {
        let m = ChartMetadata::parse("apiVersion: v2\nname: demo\nversion: 1.2.3\n", "Chart.yaml")
            .unwrap();
        assert_eq!(m.name, "demo");
    }

    #[test]
    fn missing_version_names_chart_yaml() {
        let e = ChartMetadata::parse("apiVersion: v2\nname: demo\n", "Chart.yaml").unwrap_err();
        assert!(e.to_string().contains("Chart.yaml"), "{e}");
        assert!(e.to_string().contains("version"), "{e}");
    }

    #[test]
    fn non_semver_version_is_rejected() {
        let e = ChartMetadata::parse(
            "apiVersion: v2\nname: demo\nversion: \"1.2\"\n",
            "Chart.yaml",
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("Chart.yaml") && text.contains("SemVer"),
            "{text}"
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        assert!(
            ChartMetadata::parse(
                "apiVersion: v2\nname: d\nversion: 1.0.0\nvesion: 2\n",
                "Chart.yaml"
            )
            .is_err()
        );
    }

    #[test]
    fn names() {
        assert!(is_valid_name("observability"));
        assert!(!is_valid_name("Obs"));
        assert!(!is_valid_name("a-"));
        assert!(!is_valid_name(&"a".repeat(54)));
    }
}
