//! Deep merge of values layers: maps merge key by key, everything else (lists included) is
//! replaced whole, and `null` deletes.

use serde_json::{Map, Value};

/// Merge `overlay` into `base`.
///
/// With `null_deletes`, a `null` in the overlay removes the key from `base` (and is not
/// inserted when `base` lacks it): this is how user values are laid over chart defaults. Without
/// it, `null` is kept as a value, so that user layers can be combined first and still delete a
/// chart default later.
pub fn merge_into(base: &mut Map<String, Value>, overlay: Map<String, Value>, null_deletes: bool) {
    for (key, value) in overlay {
        match value {
            Value::Null if null_deletes => {
                base.shift_remove(&key);
            }
            Value::Object(over) => match base.get_mut(&key) {
                Some(Value::Object(existing)) => merge_into(existing, over, null_deletes),
                _ => {
                    let mut fresh = Map::new();
                    merge_into(&mut fresh, over, null_deletes);
                    base.insert(key, Value::Object(fresh));
                }
            },
            other => {
                base.insert(key, other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn layering_acceptance_example() {
        // defaults a: {b: 1, c: [1,2]}; -f x: a: {c: [3]}; -f y: a: {b: null}; --set a.d=5
        let mut user = Map::new();
        merge_into(&mut user, obj(json!({"a": {"c": [3]}})), false);
        merge_into(&mut user, obj(json!({"a": {"b": null}})), false);
        merge_into(&mut user, obj(json!({"a": {"d": 5}})), false);
        let mut merged = obj(json!({"a": {"b": 1, "c": [1, 2]}}));
        merge_into(&mut merged, user, true);
        assert_eq!(Value::Object(merged), json!({"a": {"c": [3], "d": 5}}));
    }

    #[test]
    fn null_for_unknown_key_leaves_nothing_behind() {
        let mut base = obj(json!({"x": 1}));
        merge_into(&mut base, obj(json!({"y": null, "z": {"w": null}})), true);
        assert_eq!(Value::Object(base), json!({"x": 1, "z": {}}));
    }

    #[test]
    fn scalar_replaces_map_and_back() {
        let mut base = obj(json!({"a": {"b": 1}, "c": 2}));
        merge_into(&mut base, obj(json!({"a": "flat", "c": {"d": 3}})), true);
        assert_eq!(Value::Object(base), json!({"a": "flat", "c": {"d": 3}}));
    }
}
