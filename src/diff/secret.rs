//! Secret masking: a changed key is named, its value is never shown (in clear or base64).

use serde_json::{Map, Value};

/// Keys of `data` (and `stringData`) whose values differ between `before` and `after`.
pub fn changed_keys(before: &Value, after: &Value) -> Vec<String> {
    let b = merged_data(before);
    let a = merged_data(after);
    let mut keys: Vec<String> = b.keys().chain(a.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| b.get(k) != a.get(k)).collect()
}

/// `data` with `stringData` folded in (base64-encoded), as the server would store it.
fn merged_data(obj: &Value) -> Map<String, Value> {
    use base64::Engine as _;
    let mut out = obj
        .get("data")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(sd) = obj.get("stringData").and_then(Value::as_object) {
        for (k, v) in sd {
            let s = v.as_str().unwrap_or_default();
            out.insert(
                k.clone(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(s)),
            );
        }
    }
    out
}

/// Replace every Secret value on both sides with a placeholder that differs only when the
/// value differs, so the diff shows which keys change without showing any value.
pub fn mask_pair(before: &mut Value, after: &mut Value) {
    let b = merged_data(before);
    let a = merged_data(after);
    let mask =
        |obj: &mut Value, mine: &Map<String, Value>, other: &Map<String, Value>, side: &str| {
            let Some(m) = obj.as_object_mut() else { return };
            m.remove("stringData");
            if mine.is_empty() {
                return;
            }
            let masked: Map<String, Value> = mine
                .iter()
                .map(|(k, v)| {
                    let same = other.get(k) == Some(v);
                    let text = if same {
                        "(masked, unchanged)".to_string()
                    } else {
                        format!("(masked, {side})")
                    };
                    (k.clone(), Value::String(text))
                })
                .collect();
            m.insert("data".into(), Value::Object(masked));
        };
    mask(before, &b, &a, "before");
    mask(after, &a, &b, "after");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_data_compares_with_data() {
        let live = json!({"data": {"k": "dmFs"}}); // "val"
        let desired = json!({"stringData": {"k": "val"}});
        assert!(changed_keys(&live, &desired).is_empty());
        let desired = json!({"stringData": {"k": "other"}});
        assert_eq!(changed_keys(&live, &desired), vec!["k"]);
    }
}
