//! Property tests of the engine's parsers and emitter (acceptance item 9): whatever the user
//! types on the command line or in a values file, and whatever a template renders, the result
//! is a value or an error — never a panic — and what `toyaml` writes reads back unchanged.

use bscope_chart::render::{split, toyaml};
use bscope_chart::values::fastyaml::{self, Dialect};
use bscope_chart::values::{self, SetKind, set, yaml};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Characters that mean something to the `--set` grammar, plus a few ordinary ones.
const SET_ALPHABET: &str = "[a-z0-9.,=\\[\\]{}\\\\\"' :-]";

/// Characters that mean something to YAML, plus a few ordinary ones.
const YAML_ALPHABET: &str = "[a-z0-9 \n\t:#&*!|>'\"%@`\\[\\]{},?~<=.+-]";

fn any_set_kind() -> impl Strategy<Value = SetKind> {
    prop_oneof![
        Just(SetKind::Typed),
        Just(SetKind::String),
        Just(SetKind::Json),
        Just(SetKind::File),
    ]
}

/// A string of anything: grammar characters, any Unicode, control characters.
fn wild_string(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::string::string_regex(&format!("{alphabet}{{0,{max}}}"))
            .expect("valid regex"),
        1 => proptest::collection::vec(any::<char>(), 0..max)
            .prop_map(|c| c.into_iter().collect::<String>()),
    ]
}

/// YAML-looking lines: indentation, list markers, keys, scalars, flow collections, anchors.
fn yamlish_text() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("a".to_string()),
        Just("key".to_string()),
        Just("- ".to_string()),
        Just(": ".to_string()),
        Just(":".to_string()),
        Just("---".to_string()),
        Just("...".to_string()),
        Just("|".to_string()),
        Just(">-".to_string()),
        Just("&x ".to_string()),
        Just("*x".to_string()),
        Just("<<: *x".to_string()),
        Just("!!str ".to_string()),
        Just("!!binary ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(", ".to_string()),
        Just("\"q\\u00e9\"".to_string()),
        Just("'s''q'".to_string()),
        Just("# c".to_string()),
        Just("on".to_string()),
        Just("0644".to_string()),
        Just("1e3".to_string()),
        Just("0.5".to_string()),
        Just("-12.25".to_string()),
        Just("10.".to_string()),
        Just("3387c01c".to_string()),
        Just("0x1f".to_string()),
        Just("1.5Gi".to_string()),
        Just("-x".to_string()),
        Just("12345678901234567890123".to_string()),
        Just("-.inf".to_string()),
        Just("~".to_string()),
        Just("\t".to_string()),
        Just("\r".to_string()),
        Just("%YAML 1.2".to_string()),
        Just("? ".to_string()),
    ];
    let line = (0usize..6, proptest::collection::vec(token, 0..6))
        .prop_map(|(indent, tokens)| format!("{}{}", " ".repeat(indent), tokens.concat()));
    proptest::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n"))
}

/// JSON-shaped values data: strings (any Unicode), integers, booleans, null, nested maps and
/// lists. No floats: values files and `--set` keep them out of the emitter's exactness promise.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        wild_string(YAML_ALPHABET, 24).prop_map(Value::String),
        prop_oneof![
            Just("on"),
            Just("No"),
            Just("0644"),
            Just("0x1F"),
            Just("1e3"),
            Just("1_000"),
            Just("2024-01-01"),
            Just(".5"),
            Just("12:30:00"),
            Just(".NaN"),
            Just("null"),
            Just("~"),
            Just(""),
            Just(" "),
            Just("a\n"),
            Just("\n"),
            Just("a\n\n"),
            Just("- x"),
            Just("---"),
            Just("a\n---\nb"),
            Just("\u{feff}bom"),
            Just("nel\u{85}x"),
            Just("ls\u{2028}x"),
            Just("tab\tend\t"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((wild_string(YAML_ALPHABET, 12), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// YAML text in many styles, written from random data: block and flow collections, indented
/// and indentless sequences, every scalar style, comments, blank lines and document markers.
/// The writer takes liberties (unquoted strings that need quotes, odd indentation), so some
/// output is invalid YAML: good material for checking that the fast reader never accepts
/// what the full parser rejects.
fn styled_yaml() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(json_value(), 1..3),
        proptest::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(docs, choices)| {
            let mut w = StyledWriter {
                choices,
                next: 0,
                out: String::new(),
            };
            for (i, doc) in docs.iter().enumerate() {
                if i > 0 || w.pick(4) == 0 {
                    w.out.push_str("---\n");
                }
                if w.pick(5) == 0 {
                    w.out.push_str("# a comment\n");
                }
                w.node(doc, 0, true);
            }
            w.out
        })
}

struct StyledWriter {
    choices: Vec<u8>,
    next: usize,
    out: String,
}

impl StyledWriter {
    fn pick(&mut self, n: u8) -> u8 {
        let c = self.choices[self.next % self.choices.len()];
        self.next += 1;
        c % n
    }

    /// Write `v` as the value of a block node at `indent`; `fresh` when it starts a line.
    fn node(&mut self, v: &Value, indent: usize, fresh: bool) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) if !m.is_empty() && self.pick(6) != 0 => {
                if !fresh {
                    self.out.push('\n');
                }
                let step = 1 + self.pick(4) as usize;
                for (k, item) in m {
                    let key = self.scalar_text(k, true);
                    self.out.push_str(&format!("{pad}{key}:"));
                    match item {
                        Value::Array(a) if !a.is_empty() && self.pick(2) == 0 => {
                            self.out.push('\n');
                            self.sequence(a, indent); // indentless
                        }
                        Value::Object(_) | Value::Array(_) => self.node(item, indent + step, false),
                        _ => {
                            self.out.push(' ');
                            self.scalar(item, indent);
                        }
                    }
                    if self.pick(8) == 0 {
                        self.out.push_str("\n  # between entries\n");
                    }
                }
            }
            Value::Array(a) if !a.is_empty() && self.pick(6) != 0 => {
                if !fresh {
                    self.out.push('\n');
                }
                self.sequence(a, indent);
            }
            Value::Object(_) | Value::Array(_) => {
                if !fresh {
                    self.out.push(' ');
                }
                let flow = self.flow(v);
                self.out.push_str(&flow);
                self.out.push('\n');
            }
            _ => {
                if !fresh {
                    self.out.push(' ');
                }
                self.scalar(v, indent);
            }
        }
    }

    fn sequence(&mut self, items: &[Value], indent: usize) {
        let pad = " ".repeat(indent);
        for item in items {
            self.out.push_str(&format!("{pad}-"));
            match item {
                Value::Object(m) if !m.is_empty() && self.pick(2) == 0 => {
                    // Compact: the first key on the marker's line.
                    self.out.push(' ');
                    let mut first = true;
                    for (k, v) in m {
                        let key = self.scalar_text(k, true);
                        let p = if first {
                            String::new()
                        } else {
                            " ".repeat(indent + 2)
                        };
                        first = false;
                        self.out.push_str(&format!("{p}{key}:"));
                        match v {
                            Value::Object(_) | Value::Array(_) => self.node(v, indent + 4, false),
                            _ => {
                                self.out.push(' ');
                                self.scalar(v, indent + 2);
                            }
                        }
                    }
                }
                Value::Object(_) | Value::Array(_) => self.node(item, indent + 2, false),
                _ => {
                    self.out.push(' ');
                    self.scalar(item, indent);
                }
            }
        }
    }

    fn flow(&mut self, v: &Value) -> String {
        match v {
            Value::Array(a) => {
                let items: Vec<String> = a.iter().map(|i| self.flow(i)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Object(m) => {
                let items: Vec<String> = m
                    .iter()
                    .map(|(k, i)| format!("{}: {}", self.scalar_text(k, true), self.flow(i)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            other => self.scalar_text_of(other),
        }
    }

    fn scalar_text_of(&mut self, v: &Value) -> String {
        match v {
            Value::Null => ["null", "~", "Null"][self.pick(3) as usize].to_string(),
            Value::Bool(b) => {
                let words = if *b {
                    ["true", "True", "yes"]
                } else {
                    ["false", "FALSE", "off"]
                };
                words[self.pick(3) as usize].to_string()
            }
            Value::Number(n) => n.to_string(),
            Value::String(s) => self.scalar_text(s, false),
            _ => "[]".to_string(),
        }
    }

    /// A one-line rendering of a string: plain (even when unsafe), single or double quoted.
    fn scalar_text(&mut self, s: &str, key: bool) -> String {
        match self.pick(if key { 3 } else { 4 }) {
            0 if !s.contains('\n') => s.to_string(),
            1 if !s.contains(['\n', '\t']) => format!("'{}'", s.replace('\'', "''")),
            _ => toyaml::quoted(s),
        }
    }

    fn scalar(&mut self, v: &Value, indent: usize) {
        if let Value::String(s) = v
            && s.contains('\n')
            && self.pick(2) == 0
        {
            let pad = " ".repeat(indent + 2);
            let header = ["|", "|-", ">", ">-"][self.pick(4) as usize];
            self.out.push_str(header);
            for line in s.split('\n') {
                self.out.push('\n');
                if !line.is_empty() {
                    self.out.push_str(&pad);
                    self.out.push_str(line);
                }
            }
            self.out.push('\n');
            return;
        }
        let text = self.scalar_text_of(v);
        self.out.push_str(&text);
        if self.pick(6) == 0 {
            self.out.push_str(" # trailing");
        }
        self.out.push('\n');
    }
}

/// Escape a string so that `--set-string k=<escaped>` yields it unchanged.
fn escape_set_value(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c == '\\' || c == ',' || (i == 0 && c == '{') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=N for a longer hunt.
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn set_never_panics(arg in wild_string(SET_ALPHABET, 48), kind in any_set_kind()) {
        let mut into = Map::new();
        let _ = set::apply(&arg, kind, &mut into, &|p| Ok(format!("contents of {p}")));
    }

    #[test]
    fn set_errors_name_the_flag(arg in wild_string(SET_ALPHABET, 48), kind in any_set_kind()) {
        let mut into = Map::new();
        if let Err(e) = set::apply(&arg, kind, &mut into, &|_| Err("no such file".into())) {
            prop_assert!(e.starts_with(kind.flag()), "{e}");
        }
    }

    #[test]
    fn escaped_set_string_values_arrive_unchanged(
        key in "[a-zA-Z_][a-zA-Z0-9_-]{0,8}",
        value in wild_string(SET_ALPHABET, 32),
    ) {
        let mut into = Map::new();
        let arg = format!("{key}={}", escape_set_value(&value));
        set::apply(&arg, SetKind::String, &mut into, &|_| Ok(String::new()))
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(into.get(&key), Some(&Value::String(value)));
    }

    #[test]
    fn set_integers_are_exact(key in "[a-z]{1,8}", n in any::<i64>()) {
        let mut into = Map::new();
        set::apply(&format!("{key}={n}"), SetKind::Typed, &mut into, &|_| Ok(String::new()))
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(into.get(&key), Some(&Value::from(n)));
    }

    #[test]
    fn values_parser_never_panics(text in prop_oneof![yamlish_text(), wild_string(YAML_ALPHABET, 200)]) {
        let _ = values::parse_values(&text, "values.yaml");
    }

    #[test]
    fn manifest_splitter_never_panics(text in prop_oneof![yamlish_text(), wild_string(YAML_ALPHABET, 200)]) {
        let _ = split::documents(&text, "templates/t.yaml.j2");
    }

    #[test]
    fn toyaml_roundtrips_through_both_readers(v in json_value()) {
        let text = toyaml::to_yaml(&v);
        let strict: Value = yaml::full_from_str_strict(&text, "t")
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- emitted:\n{text}")))?;
        prop_assert_eq!(&strict, &v, "YAML 1.2 reader, emitted:\n{}", text);
        let fast: Value = yaml::from_str_strict(&text, "t")
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- emitted:\n{text}")))?;
        prop_assert_eq!(&fast, &v, "values reader, emitted:\n{}", text);
        // The API server's reader (YAML 1.1 flavour: 0644 is octal) must agree too.
        let full = yaml::full_manifests_from_str(&text, "t")
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- emitted:\n{text}")))?;
        let full: Vec<Value> = full.into_iter().filter(|d| !d.is_null()).collect();
        prop_assert_eq!(&full, &if v.is_null() { Vec::new() } else { vec![v.clone()] }, "full manifest reader, emitted:\n{}", text);
        let manifest = yaml::manifests_from_str(&text, "t")
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- emitted:\n{text}")))?;
        // A document that is just `null` counts as empty there, like an empty document.
        let expected: Vec<Value> = if v.is_null() { Vec::new() } else { vec![v.clone()] };
        let manifest: Vec<Value> = manifest.into_iter().filter(|d| !d.is_null()).collect();
        prop_assert_eq!(&manifest, &expected, "manifest reader, emitted:\n{}", text);
    }

    #[test]
    fn fast_manifest_reader_agrees_with_the_full_parser(
        text in prop_oneof![3 => styled_yaml(), 1 => yamlish_text(), 1 => json_value().prop_map(|v| toyaml::to_yaml(&v))]
    ) {
        if let Some(fast) = fastyaml::stream(&text, Dialect::Manifest) {
            let full = yaml::full_manifests_from_str(&text, "t")
                .map_err(|e| TestCaseError::fail(format!("fast reader accepted invalid YAML: {e}\n--- text:\n{text}")))?;
            let full: Vec<Value> = full.into_iter().filter(|d| !d.is_null()).collect();
            prop_assert_eq!(fast, full, "text:\n{}", text);
        }
    }

    #[test]
    fn fast_values_reader_agrees_with_the_full_parser(
        text in prop_oneof![3 => styled_yaml(), 1 => yamlish_text(), 1 => json_value().prop_map(|v| toyaml::to_yaml(&v))]
    ) {
        if let Some(fast) = fastyaml::document(&text, Dialect::Values) {
            let full: Value = yaml::full_from_str_strict(&text, "t")
                .map_err(|e| TestCaseError::fail(format!("fast reader accepted invalid YAML: {e}\n--- text:\n{text}")))?;
            prop_assert_eq!(fast, full, "text:\n{}", text);
        }
    }

    #[test]
    fn toyaml_as_a_map_value_roundtrips(v in json_value()) {
        // How templates use it: `key:` then the emitted YAML indented under it.
        let text = format!("key:\n{}", indent(&toyaml::to_yaml(&v), 2));
        let back: Value = yaml::full_from_str_strict(&text, "t")
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- emitted:\n{text}")))?;
        prop_assert_eq!(&back["key"], &v, "emitted:\n{}", text);
    }
}

/// Indent every non-empty line by `n` spaces (the `indent` filter).
fn indent(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    s.split('\n')
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for text in [
        "[".repeat(100_000),
        "{a: ".repeat(50_000),
        "- ".repeat(50_000) + "x",
    ] {
        let _ = values::parse_values(&text, "values.yaml");
        let _ = split::documents(&text, "templates/t.yaml.j2");
    }
    let mut deep = Map::new();
    let arg = format!("{}=1", vec!["a"; 10_000].join("."));
    assert!(set::apply(&arg, SetKind::Typed, &mut deep, &|_| Ok(String::new())).is_err());
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let started = std::time::Instant::now();
    assert!(values::parse_values(&text, "values.yaml").is_err());
    assert!(split::documents(&text, "templates/t.yaml.j2").is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// The fast reader must actually be used: it accepts what `toyaml` writes for ordinary data
/// (no control characters or other text it hands to the full parser).
#[test]
fn fast_reader_accepts_toyaml_output_of_ordinary_objects() {
    let objects = [
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "x"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "c", "image": "i:1", "args": ["--a=1", "--b"], "ports": [{"containerPort": 80}],
                 "resources": {"limits": {"memory": "64Mi", "cpu": "500m"}},
                 "env": [{"name": "X", "value": "on"}, {"name": "Y", "value": "0644"}]}]}}}}),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"a.yaml": "x: 1\n---\ny: [2]\n", "b.json": "{\"k\": \"v\"}", "empty": ""}}),
    ];
    for obj in objects {
        let text = toyaml::to_yaml(&obj);
        let fast = fastyaml::stream(&text, Dialect::Manifest);
        assert_eq!(fast, Some(vec![obj.clone()]), "not read fast:\n{text}");
        assert_eq!(fastyaml::document(&text, Dialect::Values), Some(obj));
    }
}
