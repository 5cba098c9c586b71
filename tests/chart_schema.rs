//! chart/values.schema.json is strict and complete: every object schema closes
//! its keys (`additionalProperties: false`, or free-form maps whose keys must
//! match `propertyNames`), every key is described, and the
//! keys of chart/values.yaml are exactly the keys of the schema (every key has a
//! default, no default is undocumented).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn chart_file(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("chart")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("read chart/{name}: {e}"))
}

fn schema() -> Value {
    serde_json::from_str(&chart_file("values.schema.json")).expect("values.schema.json is JSON")
}

/// Resolves a local `$ref` (`#/definitions/name`) against the root schema.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("only local $refs");
            root.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling $ref {reference}"))
        }
        None => node,
    }
}

/// Walks every schema node, calling `check(path, node)`.
fn walk<'a>(root: &'a Value, node: &'a Value, path: &str, check: &mut dyn FnMut(&str, &'a Value)) {
    let node = resolve(root, node);
    check(path, node);
    if let Some(props) = node["properties"].as_object() {
        for (key, sub) in props {
            walk(root, sub, &format!("{path}.{key}"), check);
        }
    }
    if node["additionalProperties"].is_object() {
        walk(
            root,
            &node["additionalProperties"],
            &format!("{path}.<key>"),
            check,
        );
    }
    if node["items"].is_object() {
        walk(root, &node["items"], &format!("{path}[]"), check);
    }
}

#[test]
fn every_object_is_closed_and_every_key_described() {
    let root = schema();
    let mut problems = Vec::new();
    walk(&root, &root, "values", &mut |path, node| {
        let closed = node["additionalProperties"] == false
            || (node["propertyNames"]["pattern"].is_string()
                && node["additionalProperties"].is_object());
        if node["type"] == "object" && !closed {
            problems.push(format!(
                "{path}: object neither closed (additionalProperties: false) nor keyed by propertyNames"
            ));
        }
        if let Some(props) = node["properties"].as_object() {
            for (key, sub) in props {
                let has_description = sub["description"].is_string()
                    || resolve(&root, sub)["description"].is_string();
                if !has_description {
                    problems.push(format!("{path}.{key}: no description"));
                }
            }
        }
    });
    for def in root["definitions"].as_object().unwrap().values() {
        if def["type"] == "object" {
            assert_eq!(def["additionalProperties"], false, "{def}");
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The schema is draft-07, the dialect every Helm 3 release reads (gojsonschema before Helm
/// 3.19 knew drafts 4 to 7), and whose meta-schema compiles in half the time of 2020-12's. In
/// draft-07 a `$ref` ignores the keywords beside it, so beside a `$ref` only annotations
/// are allowed: a constraint there would silently not apply.
#[test]
fn draft_07_and_nothing_beside_a_ref_but_a_description() {
    let root = schema();
    assert_eq!(root["$schema"], "http://json-schema.org/draft-07/schema#");
    fn check(node: &Value, path: &str, problems: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if map.contains_key("$ref") {
                    for key in map.keys() {
                        if !["$ref", "description", "title"].contains(&key.as_str()) {
                            problems.push(format!("{path}: `{key}` beside `$ref` is ignored"));
                        }
                    }
                }
                for (key, sub) in map {
                    check(sub, &format!("{path}/{key}"), problems);
                }
            }
            Value::Array(items) => {
                for (i, sub) in items.iter().enumerate() {
                    check(sub, &format!("{path}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
    let mut problems = Vec::new();
    check(&root, "", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Dotted paths of every key of a YAML map (maps only; lists are leaves).
fn value_keys(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let Some(map) = value.as_object() {
        for (key, sub) in map {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.insert(path.clone());
            value_keys(sub, &path, out);
        }
    }
}

/// Dotted paths of every named property of the schema.
fn schema_keys(root: &Value, node: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let node = resolve(root, node);
    if let Some(props) = node["properties"].as_object() {
        for (key, sub) in props {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.insert(path.clone());
            schema_keys(root, sub, &path, out);
        }
    }
}

#[test]
fn values_yaml_and_the_schema_have_the_same_keys() {
    let root = schema();
    let values: Value = serde_saphyr::from_str(&chart_file("values.yaml")).expect("values.yaml");
    let mut in_values = BTreeSet::new();
    value_keys(&values, "", &mut in_values);
    // Free-form maps (labels, annotations) hold example keys, not schema keys.
    in_values.retain(|k| {
        !k.starts_with("prometheus.externalLabels.") && !k.starts_with("ingress.annotations.")
    });
    let mut in_schema = BTreeSet::new();
    schema_keys(&root, &root, "", &mut in_schema);
    let undocumented: Vec<_> = in_values.difference(&in_schema).collect();
    let without_default: Vec<_> = in_schema.difference(&in_values).collect();
    assert!(
        undocumented.is_empty(),
        "keys of values.yaml missing from the schema: {undocumented:?}"
    );
    assert!(
        without_default.is_empty(),
        "schema keys without a default: {without_default:?}"
    );
}
