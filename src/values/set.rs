//! Helm's `--set` grammar.
//!
//! `a.b=c,d=e` sets two keys; `a\.b=c` sets the key `a.b`; `l[0].x=1` indexes a list; `l={a,b}`
//! is a list; `\,` is a literal comma. Unlike Helm, only `true`/`false`/`null` and integers are
//! typed: `1.10` stays the string "1.10", `007` stays "007", and a number too big for 64 bits stays
//! the exact digits as a string rather than becoming a float.

use serde_json::{Map, Value};

/// How the right-hand side of an assignment is interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: booleans, null and integers are typed, the rest are strings.
    Typed,
    /// `--set-string`: always strings.
    String,
    /// `--set-json`: the value is JSON.
    Json,
    /// `--set-file`: the value is a path whose contents become a string.
    File,
}

impl SetKind {
    /// The flag spelling, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Typed => "--set",
            SetKind::String => "--set-string",
            SetKind::Json => "--set-json",
            SetKind::File => "--set-file",
        }
    }
}

/// Deepest key nesting accepted (Helm's limit).
const MAX_DEPTH: usize = 30;
/// Largest list index accepted (Helm's limit), so `l[99999999]=x` cannot allocate gigabytes.
const MAX_INDEX: usize = 65_536;

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Parse one flag argument and apply its assignments to `into`. The error text names the flag
/// and argument; `read_file` resolves `--set-file` paths (injected so parsing stays pure).
pub fn apply(
    arg: &str,
    kind: SetKind,
    into: &mut Map<String, Value>,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(), String> {
    let fail = |why: String| format!("{} {arg}: {why}", kind.flag());
    let trimmed = arg.trim();
    if kind == SetKind::Json && trimmed.starts_with('{') {
        // Whole-object form: --set-json '{"a": {"b": 1}}' merges the object at the top level.
        let v: Value =
            serde_json::from_str(trimmed).map_err(|e| fail(format!("invalid JSON: {e}")))?;
        let Value::Object(m) = v else {
            return Err(fail("expected a JSON object".into()));
        };
        super::merge::merge_into(into, m, false);
        return Ok(());
    }
    let chars: Vec<char> = arg.chars().collect();
    let mut pos = 0;
    loop {
        let path = parse_key(&chars, &mut pos).map_err(&fail)?;
        let value = match kind {
            SetKind::Json => parse_json(&chars, &mut pos).map_err(&fail)?,
            SetKind::File => {
                let path_text = parse_scalar(&chars, &mut pos, false);
                Value::String(read_file(&path_text).map_err(&fail)?)
            }
            SetKind::Typed | SetKind::String => {
                if chars.get(pos) == Some(&'{') {
                    pos += 1;
                    parse_list(&chars, &mut pos, kind).map_err(&fail)?
                } else {
                    let raw = parse_scalar(&chars, &mut pos, false);
                    typed(raw, kind)
                }
            }
        };
        set_path(into, &path, value).map_err(&fail)?;
        match chars.get(pos) {
            None => return Ok(()),
            Some(',') => pos += 1,
            Some(c) => return Err(fail(format!("unexpected {c:?} at character {}", pos + 1))),
        }
    }
}

/// `arg` with its value replaced by `…`, for messages that name the argument a value came
/// from without showing the value (which may be a password or a webhook URL).
pub fn without_value(arg: &str) -> String {
    let mut escaped = false;
    for (i, c) in arg.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '=' => return format!("{}=…", &arg[..i]),
            _ => {}
        }
    }
    "…".to_string()
}

/// Read `key.path[0]` up to and including `=`.
fn parse_key(chars: &[char], pos: &mut usize) -> Result<Vec<Segment>, String> {
    let mut path = Vec::new();
    let mut current = String::new();
    let mut after_index = false;
    let start = *pos;
    loop {
        let Some(&c) = chars.get(*pos) else {
            let key: String = chars[start..].iter().collect();
            return Err(format!("key {key:?} has no value (expected KEY=VALUE)"));
        };
        *pos += 1;
        match c {
            '\\' => {
                let Some(&next) = chars.get(*pos) else {
                    return Err("trailing backslash".into());
                };
                *pos += 1;
                current.push(next);
            }
            '.' => {
                if current.is_empty() && !after_index {
                    return Err(format!("empty key segment at character {}", *pos));
                }
                if !current.is_empty() {
                    path.push(Segment::Key(std::mem::take(&mut current)));
                }
                after_index = false;
            }
            '[' => {
                if !current.is_empty() {
                    path.push(Segment::Key(std::mem::take(&mut current)));
                } else if path.is_empty() {
                    return Err("a list index needs a key before it".into());
                }
                let close = chars[*pos..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or("unclosed '['")?;
                let digits: String = chars[*pos..*pos + close].iter().collect();
                let index: usize = digits
                    .parse()
                    .map_err(|_| format!("list index {digits:?} is not a non-negative integer"))?;
                if index > MAX_INDEX {
                    return Err(format!("list index {index} is larger than {MAX_INDEX}"));
                }
                path.push(Segment::Index(index));
                *pos += close + 1;
                after_index = true;
            }
            '=' => {
                if !current.is_empty() {
                    path.push(Segment::Key(current));
                } else if path.is_empty() || !after_index {
                    return Err("empty key".into());
                }
                if path.len() > MAX_DEPTH {
                    return Err(format!("key nested deeper than {MAX_DEPTH} levels"));
                }
                return Ok(path);
            }
            ',' => {
                let key: String = chars[start..*pos - 1].iter().collect();
                return Err(format!("key {key:?} has no value (expected KEY=VALUE)"));
            }
            _ if after_index => {
                return Err(format!("expected '.', '[' or '=' after ']', found {c:?}"));
            }
            _ => current.push(c),
        }
    }
}

/// Read a value up to an unescaped `,` (or `}` inside a list).
fn parse_scalar(chars: &[char], pos: &mut usize, in_list: bool) -> String {
    let mut out = String::new();
    while let Some(&c) = chars.get(*pos) {
        match c {
            '\\' if *pos + 1 < chars.len() => {
                out.push(chars[*pos + 1]);
                *pos += 2;
            }
            ',' => break,
            '}' if in_list => break,
            _ => {
                out.push(c);
                *pos += 1;
            }
        }
    }
    out
}

fn parse_list(chars: &[char], pos: &mut usize, kind: SetKind) -> Result<Value, String> {
    let mut items = Vec::new();
    loop {
        let raw = parse_scalar(chars, pos, true);
        match chars.get(*pos) {
            Some('}') => {
                *pos += 1;
                if !(items.is_empty() && raw.is_empty()) {
                    items.push(typed(raw, kind));
                }
                return Ok(Value::Array(items));
            }
            Some(',') => {
                *pos += 1;
                items.push(typed(raw, kind));
            }
            _ => return Err("unclosed '{' in list value".into()),
        }
    }
}

fn parse_json(chars: &[char], pos: &mut usize) -> Result<Value, String> {
    let rest: String = chars[*pos..].iter().collect();
    let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
    let value = match stream.next() {
        Some(Ok(v)) => v,
        Some(Err(e)) => return Err(format!("invalid JSON value: {e}")),
        None => return Err("missing JSON value".into()),
    };
    let consumed = rest[..stream.byte_offset()].chars().count();
    *pos += consumed;
    while chars.get(*pos).is_some_and(|c| c.is_whitespace()) {
        *pos += 1;
    }
    Ok(value)
}

/// Type a `--set` scalar: `true`, `false`, `null` (any case) and decimal integers that fit in
/// 64 bits without a leading zero; everything else is a string.
fn typed(raw: String, kind: SetKind) -> Value {
    if kind == SetKind::String {
        return Value::String(raw);
    }
    match raw.to_ascii_lowercase().as_str() {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(&raw);
    let is_integer = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'));
    if is_integer {
        if let Ok(i) = raw.parse::<i64>() {
            return Value::from(i);
        }
        if let Ok(u) = raw.trim_start_matches('+').parse::<u64>() {
            return Value::from(u);
        }
    }
    Value::String(raw)
}

fn set_path(root: &mut Map<String, Value>, path: &[Segment], value: Value) -> Result<(), String> {
    let Some(Segment::Key(first)) = path.first() else {
        return Err("a key must start with a name".into());
    };
    let slot = root.entry(first.clone()).or_insert(Value::Null);
    set_in(slot, &path[1..], value);
    Ok(())
}

fn set_in(slot: &mut Value, path: &[Segment], value: Value) {
    let Some(seg) = path.first() else {
        *slot = value;
        return;
    };
    match seg {
        Segment::Key(k) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(m) = slot {
                set_in(m.entry(k.clone()).or_insert(Value::Null), &path[1..], value);
            }
        }
        Segment::Index(i) => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(items) = slot {
                if items.len() <= *i {
                    items.resize(*i + 1, Value::Null);
                }
                set_in(&mut items[*i], &path[1..], value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(args: &[&str], kind: SetKind) -> Result<Value, String> {
        let mut m = Map::new();
        for a in args {
            apply(a, kind, &mut m, &|p| Ok(format!("contents of {p}")))?;
        }
        Ok(Value::Object(m))
    }

    #[test]
    fn without_value_keeps_only_the_key() {
        assert_eq!(
            without_value("grafana.adminPassword=s3cr=t"),
            "grafana.adminPassword=…"
        );
        assert_eq!(without_value(r"a\=b.c=1"), r"a\=b.c=…");
        assert_eq!(without_value(r#"{"a": 1}"#), "…");
    }

    #[test]
    fn typing_rules() {
        let v = set(
            &[
                "v=1.10",
                "n=12345678901234567",
                "s=007",
                "z=0",
                "t=TRUE",
                "nul=null",
                "neg=-3",
            ],
            SetKind::Typed,
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"v": "1.10", "n": 12345678901234567_i64, "s": "007", "z": 0, "t": true, "nul": null, "neg": -3})
        );
    }

    #[test]
    fn huge_integers_stay_exact_strings() {
        let v = set(&["n=123456789012345678901234567890"], SetKind::Typed).unwrap();
        assert_eq!(v, json!({"n": "123456789012345678901234567890"}));
    }

    #[test]
    fn set_string_is_always_a_string() {
        assert_eq!(
            set(&["b=true,n=5"], SetKind::String).unwrap(),
            json!({"b": "true", "n": "5"})
        );
    }

    #[test]
    fn escapes_nesting_lists_and_indexes() {
        let v = set(
            &[
                r"a\.b=1",
                "x.y.z=2",
                "l={x,y}",
                "e={}",
                r"c=a\,b",
                "p[1].port=80",
                "q[0][1]=x",
            ],
            SetKind::Typed,
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a.b": 1, "x": {"y": {"z": 2}}, "l": ["x", "y"], "e": [], "c": "a,b",
                   "p": [null, {"port": 80}], "q": [[null, "x"]]})
        );
    }

    #[test]
    fn commas_separate_assignments() {
        assert_eq!(
            set(&["a=1,b.c=x"], SetKind::Typed).unwrap(),
            json!({"a": 1, "b": {"c": "x"}})
        );
    }

    #[test]
    fn errors_name_the_flag() {
        let e = set(&["bad"], SetKind::Typed).unwrap_err();
        assert!(e.starts_with("--set bad:") && e.contains("no value"), "{e}");
        assert!(
            set(&["a,b=1"], SetKind::Typed)
                .unwrap_err()
                .contains("\"a\" has no value")
        );
        assert!(set(&["l[-1]=x"], SetKind::Typed).is_err());
        assert!(set(&["l[99999999]=x"], SetKind::Typed).is_err());
        assert!(set(&["=x"], SetKind::Typed).is_err());
        assert!(set(&["a..b=x"], SetKind::Typed).is_err());
    }

    #[test]
    fn json_values() {
        let v = set(
            &[r#"a={"b":[1,2]},c="x""#, r#"{"top": true}"#],
            SetKind::Json,
        )
        .unwrap();
        assert_eq!(v, json!({"a": {"b": [1, 2]}, "c": "x", "top": true}));
        assert!(
            set(&["a={"], SetKind::Json)
                .unwrap_err()
                .starts_with("--set-json")
        );
    }

    #[test]
    fn files_are_read() {
        assert_eq!(
            set(&["cert=ca.pem"], SetKind::File).unwrap(),
            json!({"cert": "contents of ca.pem"})
        );
    }
}
