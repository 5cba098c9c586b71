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
        alias_limits: alias_limits(),
    }
}

fn manifest_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        alias_limits: alias_limits(),
    }
}

/// Aliases may expand to at most 100,000 events (the default is 1,000,000): a "billion laughs"
/// values file then fails in milliseconds instead of seconds, while real values files and
/// manifests, which use a handful of anchors if any, stay far below it.
fn alias_limits() -> serde_saphyr::options::AliasLimits {
    let mut limits = serde_saphyr::options::AliasLimits::default();
    limits.max_total_replayed_events = 100_000;
    limits
}

/// Parse YAML 1.2 text (a values file, `Chart.yaml`) into `T`; `file` names it in errors.
///
/// Text [`super::fastyaml`] can read is converted from its JSON data; anything else, and any
/// text whose data does not fit `T`, goes through the full parser, so errors keep their
/// line and column.
pub fn from_str_strict<T: DeserializeOwned>(text: &str, file: &str) -> Result<T> {
    if let Some(v) = super::fastyaml::document(text, super::fastyaml::Dialect::Values)
        && let Ok(t) = T::deserialize(v)
    {
        return Ok(t);
    }
    full_from_str_strict(text, file)
}

/// [`from_str_strict`] with the full parser only.
pub fn full_from_str_strict<T: DeserializeOwned>(text: &str, file: &str) -> Result<T> {
    serde_saphyr::from_str_with_options(text, values_options())
        .map_err(|e| yaml_error(&e, text, file, 0))
}

/// Parse a rendered multi-document manifest stream; empty documents come back as `null`.
/// Rendered text may hold secrets, so an error's snippet masks values
/// ([`yaml_error_redacted`]).
///
/// Most rendered text is read by [`super::fastyaml`]; what it does not handle goes through the
/// full parser. Empty documents are left out.
pub fn manifests_from_str(text: &str, file: &str) -> Result<Vec<serde_json::Value>> {
    if let Some(docs) = super::fastyaml::stream(text, super::fastyaml::Dialect::Manifest) {
        return Ok(docs);
    }
    let mut docs = full_manifests_from_str(text, file)?;
    docs.retain(|d| !d.is_null());
    Ok(docs)
}

/// [`manifests_from_str`] with the full parser only (the reference the fast reader is tested
/// against).
pub fn full_manifests_from_str(text: &str, file: &str) -> Result<Vec<serde_json::Value>> {
    serde_saphyr::from_str_multiple_with_options(text, manifest_options())
        .map_err(|e| yaml_error_redacted(&e, text, file))
}

/// A YAML 1.2 values document as JSON data ([`from_str_strict`]).
pub fn values_from_str(text: &str, file: &str) -> Result<serde_json::Value> {
    from_str_strict(text, file)
}

/// Turn a serde-saphyr error into a [`Problem`] with file:line:col and our own snippet.
pub fn yaml_error(e: &serde_saphyr::Error, text: &str, file: &str, line_offset: usize) -> Error {
    build_error(e, text, file, line_offset, false)
}

/// Like [`yaml_error`], for text that may hold secrets (rendered manifests): the snippet keeps
/// the keys and the YAML structure but masks every value, so a broken Secret template cannot
/// print a password into a CI log.
pub fn yaml_error_redacted(e: &serde_saphyr::Error, text: &str, file: &str) -> Error {
    build_error(e, text, file, 0, true)
}

fn build_error(
    e: &serde_saphyr::Error,
    text: &str,
    file: &str,
    line_offset: usize,
    redact: bool,
) -> Error {
    let message = e.render_with_options(serde_saphyr::render_options! {
        formatter: &PlainFormatter,
        snippets: serde_saphyr::SnippetMode::Off,
    });
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
            p.snippet = Some(if redact {
                let masked: String = text.lines().map(|l| redact_line(l) + "\n").collect();
                crate::error::snippet(&masked, line, column.max(1), 1)
            } else {
                crate::error::snippet(text, line, column.max(1), 1)
            });
        }
    }
    Error::problem(p)
}

/// serde-saphyr's user-facing wording, without its "at line X, column Y" suffix (we print
/// the location ourselves) and without its developer advice ("set DuplicateKeyPolicy…").
struct PlainFormatter;

struct NoLocationSuffix;

impl serde_saphyr::Localizer for NoLocationSuffix {
    fn attach_location<'a>(
        &self,
        base: std::borrow::Cow<'a, str>,
        _loc: serde_saphyr::Location,
    ) -> std::borrow::Cow<'a, str> {
        base
    }
}

impl serde_saphyr::MessageFormatter for PlainFormatter {
    fn localizer(&self) -> &dyn serde_saphyr::Localizer {
        &NoLocationSuffix
    }

    fn format_message<'a>(&self, err: &'a serde_saphyr::Error) -> std::borrow::Cow<'a, str> {
        serde_saphyr::UserMessageFormatter.format_message(err)
    }
}

/// Mask the values of one YAML line, keeping indentation, `- ` markers, document markers and
/// plain keys. Every other character becomes `*`, so the caret of a snippet still lines up.
fn redact_line(line: &str) -> String {
    let trimmed = line.trim_start();
    if trimmed == "---" || trimmed == "..." {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    out.push_str(&line[..line.len() - trimmed.len()]);
    let mut rest = trimmed;
    while let Some(after) = rest.strip_prefix("- ") {
        out.push_str("- ");
        rest = after;
    }
    let key_end = rest
        .find(": ")
        .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
        .filter(|&i| {
            rest[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        });
    if let Some(i) = key_end {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
    }
    out.extend(rest.chars().map(|c| if c == ' ' { ' ' } else { '*' }));
    out
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
    fn messages_have_no_developer_advice_or_duplicate_location() {
        let e = from_str_strict::<Value>("a: 1\na: 2\n", "x.yaml").unwrap_err();
        let text = e.to_string();
        assert!(!text.contains("DuplicateKeyPolicy"), "{text}");
        assert!(!text.contains("at line"), "{text}");
        assert!(text.contains("x.yaml:2:1"), "{text}");
    }

    #[test]
    fn redacted_lines_keep_keys_and_structure_only() {
        assert_eq!(redact_line("  password: hunter2"), "  password: *******");
        assert_eq!(redact_line("- - name: a b"), "- - name: * *");
        assert_eq!(redact_line("spec:"), "spec:");
        assert_eq!(redact_line("  \"quoted key\": v"), "  ******* ***** *");
        assert_eq!(redact_line("---"), "---");
        assert_eq!(redact_line("k: v: w"), "k: ** *");
    }

    #[test]
    fn manifests_read_octal_like_the_api_server() {
        let v = manifests_from_str("defaultMode: 0644\n", "t").unwrap();
        assert_eq!(v, vec![json!({"defaultMode": 420})]);
        let v = full_manifests_from_str("defaultMode: 0644\n", "t").unwrap();
        assert_eq!(v, vec![json!({"defaultMode": 420})]);
    }
}
