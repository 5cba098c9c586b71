//! Validation of the merged values against the chart's `values.schema.json`.
//!
//! Errors name the key path in dotted form (`prometheus.retension`) and the file or flag that
//! set it, because "additional properties are not allowed at /prometheus" does not tell a user
//! which of their three values files holds the typo.

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
        let validator = jsonschema::validator_for(&json)
            .map_err(|e| Error::msg(format!("{file}: invalid JSON Schema: {e}")))?;
        Ok(Schema { validator })
    }

    /// Check `values`; every violation becomes one problem naming the key and its origin
    /// (searched from the highest layer down).
    pub fn validate(&self, values: &Map<String, Value>, layers: &[Layer]) -> Result<()> {
        let instance = Value::Object(values.clone());
        let mut problems = Vec::new();
        for err in self.validator.iter_errors(&instance) {
            let base = pointer_segments(err.instance_path().as_str());
            let (paths, what): (Vec<Vec<String>>, String) = match err.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => (
                    unexpected
                        .iter()
                        .map(|k| {
                            let mut p = base.clone();
                            p.push(k.clone());
                            p
                        })
                        .collect(),
                    "unknown key".to_string(),
                ),
                _ => (vec![base.clone()], err.to_string()),
            };
            for path in paths {
                let dotted = dotted(&path);
                let origin = layers.iter().rev().find_map(|l| l.describe_origin(&path));
                let message = match (&origin, what.as_str()) {
                    (Some(o), "unknown key") => format!("unknown key `{dotted}` (set in {o})"),
                    (None, "unknown key") => format!("unknown key `{dotted}`"),
                    (Some(o), w) => format!("invalid value at `{dotted}` (set in {o}): {w}"),
                    (None, w) => format!("invalid value at `{dotted}`: {w}"),
                };
                let help = if what == "unknown key" {
                    suggestion(values, &path).map_or_else(
                        || "check the spelling against `bscope-chart show values`".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    )
                } else {
                    "see `bscope-chart show schema` for the expected type".to_string()
                };
                problems.push(Problem::new(message).help(help));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Problems(problems))
        }
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
            text.contains("`prometheus.replicas` (set in --set prometheus.replicas=x)"),
            "{text}"
        );
    }

    #[test]
    fn distance() {
        assert_eq!(strsim_distance("retension", "retention"), 1);
        assert_eq!(strsim_distance("", "abc"), 3);
    }
}
