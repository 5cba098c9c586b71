//! Validation of the merged values against the chart's `values.schema.json`.
//!
//! Errors name the key path in dotted form (`prometheus.retension`) and the file or flag that
//! set it, because "additional properties are not allowed at /prometheus" does not tell a user
//! which of their three values files holds the typo. They never show the offending value: a
//! Slack webhook URL or a password fails a pattern like any other string, and an error message
//! ends up in CI logs.
//!
//! `pattern` is our own keyword ([`Pattern`]): jsonschema compiles every pattern with
//! regex-automata, whose compiler zeroes a ~400 KB table per regex; with the chart's twenty
//! patterns that was three quarters of computing values. regex-lite compiles the same patterns
//! in microseconds, and its `\d`, `\w` and `\s` are ASCII, as in ECMA-262 (JSON Schema's
//! regex dialect). A pattern regex-lite cannot compile (lookaround, backreferences, Unicode
//! classes) falls back to fancy-regex, the engine jsonschema itself uses.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value};

use super::Layer;
use crate::error::{Error, Problem, Result};

/// A compiled values schema.
pub struct Schema {
    validator: jsonschema::Validator,
}

impl Schema {
    /// Compile the schema text; `file` names it in errors.
    pub fn compile(text: &str, file: &str) -> Result<Schema> {
        let json: Value = serde_json::from_str(text).map_err(|e| {
            Error::msg(format!(
                "{file}:{}:{}: invalid JSON: {e}",
                e.line(),
                e.column()
            ))
        })?;
        let validator = jsonschema::options()
            .with_keyword("pattern", Pattern::factory)
            .build(&json)
            .map_err(|e| Error::msg(format!("{file}: invalid JSON Schema: {}", e.masked())))?;
        Ok(Schema { validator })
    }

    /// Check `values`; every violation becomes one problem naming the key and its origin
    /// (searched from the highest layer down).
    pub fn validate(&self, values: &Map<String, Value>, layers: &[Layer]) -> Result<()> {
        let instance = Value::Object(values.clone());
        let mut problems = Vec::new();
        for err in self.validator.iter_errors(&instance) {
            let base = pointer_segments(err.instance_path().as_str());
            let at = |key: &str| {
                let mut p = base.clone();
                p.push(key.to_string());
                p
            };
            let violations: Vec<(Vec<String>, Violation)> = match err.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                    .iter()
                    .map(|k| (at(k), Violation::UnknownKey))
                    .collect(),
                // `propertyNames`: the key itself is bad, so the path ends with it.
                ValidationErrorKind::PropertyNames { error } => vec![(
                    at(error.instance().as_str().unwrap_or_default()),
                    Violation::BadKey(error.masked_with("the key").to_string()),
                )],
                _ => vec![(base.clone(), Violation::BadValue(err.masked().to_string()))],
            };
            for (path, violation) in violations {
                let dotted = dotted(&path);
                let origin = layers
                    .iter()
                    .rev()
                    .find_map(|l| l.describe_origin(&path))
                    .map_or_else(String::new, |o| format!(" (set in {o})"));
                let problem = match violation {
                    Violation::UnknownKey => Problem::new(format!(
                        "unknown key `{dotted}`{origin}"
                    ))
                    .help(suggestion(values, &path).map_or_else(
                        || "check the spelling against `bscope-chart show values`".into(),
                        |s| format!("did you mean `{s}`?"),
                    )),
                    Violation::BadKey(why) => {
                        Problem::new(format!("invalid key `{dotted}`{origin}: {why}"))
                            .help("see `bscope-chart show schema` for the keys allowed here")
                    }
                    Violation::BadValue(why) => {
                        Problem::new(format!("invalid value at `{dotted}`{origin}: {why}"))
                            .help("see `bscope-chart show schema` for the expected type")
                    }
                };
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Problems(problems))
        }
    }
}

/// What is wrong at one key path.
enum Violation {
    /// Not in the schema (a typo, usually).
    UnknownKey,
    /// The key's name breaks `propertyNames`; the reason, with the key masked.
    BadKey(String),
    /// The value breaks the schema; the reason, with the value masked.
    BadValue(String),
}

/// The `pattern` keyword, compiled with regex-lite (or fancy-regex when regex-lite cannot).
///
/// Like the standard keyword it applies to strings only and searches (an unanchored pattern
/// matches anywhere in the string).
struct Pattern {
    source: String,
    regex: Regex,
}

enum Regex {
    Lite(regex_lite::Regex),
    Fancy(fancy_regex::Regex),
}

impl Pattern {
    fn factory<'a>(
        _parent: &'a Map<String, Value>,
        value: &'a Value,
        _path: jsonschema::paths::Location,
    ) -> std::result::Result<Box<dyn for<'i> jsonschema::Keyword<'i>>, ValidationError<'a>> {
        let Some(source) = value.as_str() else {
            return Err(ValidationError::custom("`pattern` must be a string"));
        };
        let regex = match regex_lite::Regex::new(source) {
            Ok(r) => Regex::Lite(r),
            Err(_) => Regex::Fancy(fancy_regex::Regex::new(source).map_err(|e| {
                ValidationError::custom(format!("`pattern` {source:?} is not a valid regex: {e}"))
            })?),
        };
        Ok(Box::new(Pattern {
            source: source.to_string(),
            regex,
        }))
    }

    fn matches(&self, text: &str) -> bool {
        match &self.regex {
            Regex::Lite(r) => r.is_match(text),
            // A pattern that exhausts fancy-regex's backtracking limit is treated as a
            // mismatch: the value cannot be shown to conform.
            Regex::Fancy(r) => r.is_match(text).unwrap_or(false),
        }
    }
}

impl<'i> jsonschema::Keyword<'i> for Pattern {
    fn validate(&self, instance: &'i Value) -> std::result::Result<(), ValidationError<'i>> {
        if self.is_valid(instance) {
            Ok(())
        } else {
            Err(ValidationError::custom(format!(
                "does not match {:?}",
                self.source
            )))
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        instance.as_str().is_none_or(|s| self.matches(s))
    }
}

fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if seg.parse::<usize>().is_ok() && !out.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg.replace('.', "\\."));
        }
    }
    if out.is_empty() {
        "<root>".to_string()
    } else {
        out
    }
}

/// The closest sibling key (by edit distance) to an unknown key, if one is close enough.
fn suggestion(values: &Map<String, Value>, path: &[String]) -> Option<String> {
    let (last, parent) = path.split_last()?;
    let mut cur = values;
    for seg in parent {
        cur = cur.get(seg)?.as_object()?;
    }
    let best = cur
        .keys()
        .filter(|k| *k != last)
        .map(|k| (strsim_distance(k, last), k))
        .min_by_key(|(d, _)| *d)?;
    (best.0 <= 2.max(last.len() / 4)).then(|| {
        let mut p = parent.to_vec();
        p.push(best.1.clone());
        dotted(&p)
    })
}

/// Levenshtein distance; small inputs only (key names).
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::super::{Layer, Source};
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    const SCHEMA: &str = r#"{"type":"object","additionalProperties":false,"properties":{
        "prometheus":{"type":"object","additionalProperties":false,"properties":{
            "retention":{"type":"string"},"replicas":{"type":"integer"}}}}}"#;

    #[test]
    fn unknown_key_names_path_file_and_suggestion() {
        let schema = Schema::compile(SCHEMA, "values.schema.json").unwrap();
        let layers = vec![Layer {
            source: Source::File("values/x.yaml".into()),
            values: obj(json!({"prometheus": {"retension": "1d"}})),
        }];
        let merged = obj(json!({"prometheus": {"retention": "15d", "retension": "1d"}}));
        let text = schema.validate(&merged, &layers).unwrap_err().to_string();
        assert!(
            text.contains("unknown key `prometheus.retension` (set in values/x.yaml)"),
            "{text}"
        );
        assert!(
            text.contains("did you mean `prometheus.retention`"),
            "{text}"
        );
    }

    #[test]
    fn wrong_type_names_flag() {
        let schema = Schema::compile(SCHEMA, "values.schema.json").unwrap();
        let layers = vec![Layer {
            source: Source::Flag(
                super::super::SetKind::Typed,
                vec!["prometheus.replicas=x".into()],
            ),
            values: obj(json!({"prometheus": {"replicas": "x"}})),
        }];
        let merged = obj(json!({"prometheus": {"replicas": "x"}}));
        let text = schema.validate(&merged, &layers).unwrap_err().to_string();
        assert!(
            text.contains("`prometheus.replicas` (set in --set prometheus.replicas=…)"),
            "{text}"
        );
    }

    fn file_layer(values: Value) -> Vec<Layer> {
        vec![Layer {
            source: Source::File("values/x.yaml".into()),
            values: obj(values),
        }]
    }

    #[test]
    fn pattern_errors_never_show_the_value() {
        let schema = Schema::compile(
            r#"{"type":"object","properties":{"hook":{"type":"string","pattern":"^(https://.+)?$"},
                "n":{"type":"integer","maximum":3}}}"#,
            "s.json",
        )
        .unwrap();
        let values = json!({"hook": "http://hooks.example/T000/SECRET", "n": 98765});
        let text = schema
            .validate(&obj(values.clone()), &file_layer(values))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("invalid value at `hook` (set in values/x.yaml)"),
            "{text}"
        );
        assert!(
            text.contains(r#"does not match "^(https://.+)?$""#),
            "{text}"
        );
        assert!(text.contains("invalid value at `n`"), "{text}");
        assert!(
            !text.contains("SECRET") && !text.contains("98765"),
            "{text}"
        );
    }

    #[test]
    fn pattern_is_a_search_and_ignores_non_strings() {
        let schema = Schema::compile(r#"{"properties":{"a":{"pattern":"b+"}}}"#, "s.json").unwrap();
        for ok in [json!({"a": "abbc"}), json!({"a": 5}), json!({"a": ["x"]})] {
            assert!(schema.validate(&obj(ok.clone()), &[]).is_ok(), "{ok}");
        }
        assert!(schema.validate(&obj(json!({"a": "ac"})), &[]).is_err());
    }

    #[test]
    fn lookaround_patterns_fall_back_to_fancy_regex() {
        let schema = Schema::compile(
            r#"{"properties":{"a":{"pattern":"^(?!admin$).+$"}}}"#,
            "s.json",
        )
        .unwrap();
        assert!(schema.validate(&obj(json!({"a": "alice"})), &[]).is_ok());
        assert!(schema.validate(&obj(json!({"a": "admin"})), &[]).is_err());
    }

    #[test]
    fn bad_pattern_is_a_schema_error() {
        let err = Schema::compile(r#"{"properties":{"a":{"pattern":"(("}}}"#, "s.json")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("s.json: invalid JSON Schema"), "{err}");
    }

    #[test]
    fn property_names_errors_name_the_key() {
        let schema = Schema::compile(
            r#"{"properties":{"labels":{"type":"object",
                "propertyNames":{"pattern":"^[a-z]+$"},"additionalProperties":{"type":"string"}}}}"#,
            "s.json",
        )
        .unwrap();
        let values = json!({"labels": {"ok": "1", "Bad-Key": "2"}});
        let text = schema
            .validate(&obj(values.clone()), &file_layer(values))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("invalid key `labels.Bad-Key` (set in values/x.yaml)"),
            "{text}"
        );
        assert!(!text.contains("`labels.ok`"), "{text}");
    }

    #[test]
    fn distance() {
        assert_eq!(strsim_distance("retension", "retention"), 1);
        assert_eq!(strsim_distance("", "abc"), 3);
    }
}
