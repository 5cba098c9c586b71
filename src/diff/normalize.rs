//! Normalisation: strip what the server maintains for itself, so only real changes remain.

use serde_json::{Map, Value};

/// Metadata fields that are server bookkeeping.
const BOOKKEEPING: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
];

/// The object without `status` and server bookkeeping, keys sorted.
pub fn normalize(obj: &Value) -> Value {
    let mut v = sorted(obj);
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            for k in BOOKKEEPING {
                meta.remove(*k);
            }
            if let Some(Value::Object(a)) = meta.get_mut("annotations") {
                a.remove("kubectl.kubernetes.io/last-applied-configuration");
                if a.is_empty() {
                    meta.remove("annotations");
                }
            }
        }
    }
    v
}

/// `metadata.resourceVersion` of an object, if it has one.
pub fn resource_version(obj: &Value) -> Option<&str> {
    obj.get("metadata")?.get("resourceVersion")?.as_str()
}

/// True when `desired` (a dry-run apply result) was computed from the very version of the
/// object that `live` is. A dry-run keeps the stored object's resourceVersion (and a dry-run
/// create has none), so a mismatch means a controller wrote the object between the read and
/// the dry-run: comparing the two would show that write as a change of the upgrade.
pub fn same_version(live: Option<&Value>, desired: &Value) -> bool {
    match resource_version(desired) {
        None | Some("") => live.is_none(),
        Some(rv) => live.and_then(resource_version) == Some(rv),
    }
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A field path: map keys, `[name]` for named list items, indexes for others.
pub type FieldPath = Vec<String>;

/// Paths where `a` and `b` differ; lists of named items are matched by `name`.
pub fn changed_paths(a: &Value, b: &Value) -> Vec<FieldPath> {
    let mut out = Vec::new();
    walk(a, b, Vec::new(), &mut out);
    out
}

/// A path for people: segments joined with `.`.
pub fn dotted(path: &[String]) -> String {
    if path.is_empty() {
        "<root>".into()
    } else {
        path.join(".")
    }
}

fn join(prefix: &[String], key: &str) -> FieldPath {
    let mut p = prefix.to_vec();
    p.push(key.to_string());
    p
}

fn walk(a: &Value, b: &Value, path: FieldPath, out: &mut Vec<FieldPath>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                walk(va, vb, join(&path, k), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                let label = va
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), |n| format!("[{n}]"));
                walk(va, vb, join(&path, &label), out);
            }
        }
        _ => out.push(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_tell_a_stale_read_apart() {
        let at = |rv: &str| json!({"metadata": {"name": "x", "resourceVersion": rv}});
        assert!(same_version(Some(&at("5")), &at("5")));
        // Written by a controller between the list and the dry-run.
        assert!(!same_version(Some(&at("5")), &at("7")));
        // Created by someone else between the list and the dry-run.
        assert!(!same_version(None, &at("7")));
        // A dry-run create: nothing stored yet.
        assert!(same_version(None, &json!({"metadata": {"name": "x"}})));
        assert!(!same_version(
            Some(&at("5")),
            &json!({"metadata": {"name": "x"}})
        ));
    }

    #[test]
    fn paths_use_names_in_lists() {
        let a = json!({"spec": {"containers": [{"name": "p", "args": ["--a=1"]}]}});
        let b = json!({"spec": {"containers": [{"name": "p", "args": ["--a=2"]}]}});
        let paths = changed_paths(&a, &b);
        assert_eq!(paths.len(), 1);
        assert_eq!(dotted(&paths[0]), "spec.containers.[p].args.0");
    }
}
