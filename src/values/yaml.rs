//! YAML reading with the two dialects bscope-chart needs.
//!
//! * Values files and `Chart.yaml` are YAML 1.2: `on`, `yes`, `no` stay strings and `0644` stays
//!   the string "0644" (what the user wrote), duplicate keys are errors.
//! * Rendered manifests are read the way the API server reads YAML (1.1 flavoured): `0644` is the
//!   octal number 420, so `defaultMode: 0644` means what Kubernetes users expect.

use serde::de::DeserializeOwned;

use crate::error::{Error, Location, Problem, Result};

fn values_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    }
}

fn manifest_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    }
}

/// Parse YAML 1.2 text (a values file, `Chart.yaml`) into `T`; `file` names it in errors.
pub fn from_str_strict<T: DeserializeOwned>(text: &str, file: &str) -> Result<T> {
    serde_saphyr::from_str_with_options(text, values_options())
        .map_err(|e| yaml_error(&e, text, file, 0))
}

/// Parse a rendered multi-document manifest stream; empty documents come back as `null`.
pub fn manifests_from_str(text: &str, file: &str) -> Result<Vec<serde_json::Value>> {
    serde_saphyr::from_str_multiple_with_options(text, manifest_options())
        .map_err(|e| yaml_error(&e, text, file, 0))
}

/// Turn a serde-saphyr error into a [`Problem`] with file:line:col and our own snippet.
pub fn yaml_error(e: &serde_saphyr::Error, text: &str, file: &str, line_offset: usize) -> Error {
    let message = e.without_snippet().to_string();
    let message = message.lines().next().unwrap_or("invalid YAML").to_string();
    let mut p = Problem::new(format!("invalid YAML in {file}: {message}"));
    if let Some(loc) = e.location() {
        let (line, column) = (loc.line() as usize, loc.column() as usize);
        if line > 0 {
            let location = Location {
                file: file.to_string(),
                line: line + line_offset,
                column: column.max(1),
            };
            p = p.at(location);
            p.snippet = Some(crate::error::snippet(text, line, column.max(1), 1));
        }
    }
    Error::problem(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn yaml12_keeps_norway_strings() {
        let v: Value = from_str_strict(
            "enabled: on\nn: no\nmode: 0644\nbig: 12345678901234567\nf: 1.10\n",
            "v.yaml",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"enabled": "on", "n": "no", "mode": "0644", "big": 12345678901234567_i64, "f": 1.1})
        );
    }

    #[test]
    fn duplicate_key_names_file_and_line() {
        let e = from_str_strict::<Value>("a: 1\nb: 2\na: 3\n", "values/x.yaml").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("values/x.yaml:3:"), "{text}");
        assert!(text.to_lowercase().contains("duplicate"), "{text}");
    }

    #[test]
    fn manifests_read_octal_like_the_api_server() {
        let v = manifests_from_str("defaultMode: 0644\n", "t").unwrap();
        assert_eq!(v, vec![json!({"defaultMode": 420})]);
    }
}
