//! Drift: which changes revert an edit made outside bscope-chart, and by whom.
//!
//! The live object's `managedFields` say which field manager last set each field. A changed
//! field owned by a manager other than ours (and other than the controllers that only write
//! `status`) is a manual edit that the upgrade will revert.

use serde_json::Value;

use super::Drift;
use super::normalize::{FieldPath, dotted};
use crate::cluster::apply::FIELD_MANAGER;

/// For each foreign manager, the changed fields it owns in `live`.
pub fn explain(live: &Value, paths: &[FieldPath]) -> Vec<Drift> {
    let Some(entries) = live
        .get("metadata")
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    let mut out: Vec<Drift> = Vec::new();
    for e in entries {
        let manager = e.get("manager").and_then(Value::as_str).unwrap_or("");
        if manager == FIELD_MANAGER || e.get("subresource").is_some_and(|s| s == "status") {
            continue;
        }
        let Some(fields) = e.get("fieldsV1") else {
            continue;
        };
        let owned: Vec<String> = paths
            .iter()
            .filter(|p| owns(fields, p))
            .map(|p| dotted(p))
            .collect();
        if owned.is_empty() {
            continue;
        }
        match out.iter_mut().find(|d| d.manager == manager) {
            Some(d) => d.fields.extend(owned),
            None => out.push(Drift {
                manager: manager.to_string(),
                fields: owned,
            }),
        }
    }
    out
}

/// Does a fieldsV1 tree cover `path`? Walks `f:<key>` entries; at a list element (`[name]` or
/// an index) ownership of any element of that list counts: re-keying list items the way the
/// server does (`k:{...}`) is not worth it for an explanation.
fn owns(tree: &Value, path: &[String]) -> bool {
    let mut cur = tree;
    for seg in path {
        if seg.starts_with('[') || seg.parse::<usize>().is_ok() {
            return cur.as_object().is_some_and(|m| {
                m.keys()
                    .any(|k| k.starts_with("k:") || k.starts_with("v:") || k.starts_with("i:"))
            });
        }
        match cur.get(format!("f:{seg}")) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_foreign_manager() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "bscope-chart", "operation": "Apply", "fieldsV1": {"f:data": {"f:a": {}}}},
            {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:data": {"f:prometheus.yml": {}}}}
        ]}});
        let p = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        let d = explain(&live, &[p("data", "prometheus.yml"), p("data", "a")]);
        assert_eq!(
            d,
            vec![Drift {
                manager: "kubectl-edit".into(),
                fields: vec!["data.prometheus.yml".into()]
            }]
        );
    }
}
