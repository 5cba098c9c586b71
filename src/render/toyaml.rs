//! A small, deterministic YAML emitter for JSON-shaped data.
//!
//! Why not a serde YAML serializer: we need exact control over two things. Strings that a YAML
//! 1.1 reader (the API server, kubectl, Helm) would take as another type — `on`, `no`, `0644`,
//! `1e3`, `2024-01-01` — must be quoted; and multi-line strings (configs inside ConfigMaps) must
//! come out as readable literal blocks so that diffs and `template` output stay reviewable.

use serde_json::Value;
use std::fmt::Write as _;

/// Emit `value` as block YAML without a trailing newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    push_yaml(&mut out, value);
    out
}

/// [`to_yaml`], appended to `out`: for streams of many documents, without a copy each.
pub fn push_yaml(out: &mut String, value: &Value) {
    let start = out.len();
    emit(out, value, 0, Context::Top);
    let end = out[start..].trim_end_matches('\n').len();
    out.truncate(start + end);
}

#[derive(Clone, Copy, PartialEq)]
enum Context {
    Top,
    MapValue,
}

fn emit(out: &mut String, value: &Value, indent: usize, ctx: Context) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            if ctx == Context::MapValue {
                out.push('\n');
            }
            for (k, v) in m {
                push_pad(out, indent);
                push_key(out, k, indent);
                out.push(':');
                emit_child(out, v, indent, true);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            if ctx == Context::MapValue {
                out.push('\n');
            }
            for item in items {
                // Emit the item two columns in, then turn the first line's last two columns of
                // indentation into the "- " marker (same length: nothing moves).
                let start = out.len();
                match item {
                    Value::Object(m) if !m.is_empty() => emit(out, item, indent + 2, Context::Top),
                    Value::Array(a) if !a.is_empty() => emit(out, item, indent + 2, Context::Top),
                    _ => {
                        push_pad(out, indent + 2);
                        emit_scalar(out, item, indent + 2);
                        out.push('\n');
                    }
                }
                out.replace_range(start + indent..start + indent + 2, "- ");
            }
        }
        _ => {
            if ctx == Context::MapValue {
                out.push(' ');
            }
            emit_scalar(out, value, indent);
            out.push('\n');
        }
    }
}

fn emit_child(out: &mut String, v: &Value, indent: usize, in_map: bool) {
    match v {
        Value::Object(m) if !m.is_empty() => emit(out, v, indent + 2, Context::MapValue),
        // Lists inside maps are not indented further, as kubectl prints them.
        Value::Array(a) if !a.is_empty() && in_map => emit(out, v, indent, Context::MapValue),
        _ => emit(out, v, indent, Context::MapValue),
    }
}

fn push_pad(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

fn emit_scalar(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => push_string(out, s, indent),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// A mapping key: plain when unambiguous, else double-quoted (never a block scalar, which
/// cannot be a key). YAML limits implicit keys to 1024 characters; longer keys use the explicit
/// `? key` form.
fn push_key(out: &mut String, k: &str, indent: usize) {
    let start = out.len();
    if plain_ok(k) {
        out.push_str(k);
    } else {
        push_quoted(out, k);
    }
    if out.len() - start > 1000 {
        out.insert_str(start, "? ");
        out.push('\n');
        push_pad(out, indent);
    }
}

/// A string as a YAML scalar: plain when unambiguous, a literal block when multi-line,
/// double-quoted otherwise.
fn push_string(out: &mut String, s: &str, indent: usize) {
    if s.contains('\n') && block_ok(s) {
        push_literal_block(out, s, indent);
    } else if plain_ok(s) {
        out.push_str(s);
    } else {
        push_quoted(out, s);
    }
}

/// Words that YAML 1.1 reads as booleans or null.
const AMBIGUOUS_WORDS: &[&str] = &[
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "<<", "=",
];

/// The longest of [`AMBIGUOUS_WORDS`]: longer strings need no comparison.
const LONGEST_AMBIGUOUS_WORD: usize = 5;

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.len() <= LONGEST_AMBIGUOUS_WORD
        && AMBIGUOUS_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
    {
        return false;
    }
    // Anything that starts like a number, date or special float is quoted, however it
    // continues: cheaper and safer than re-implementing every YAML 1.1 number form.
    if first.is_ascii_digit() || matches!(first, '+' | '-' | '.') {
        return false;
    }
    if "!&*?:,[]{}#|>@`\"'%".contains(first) || first.is_whitespace() {
        return false;
    }
    if s.ends_with(|c: char| c.is_whitespace() || c == ':') {
        return false;
    }
    // One pass: every character printable, and no `: `, `:\t`, ` #` or `\t#` (a mapping value
    // or a comment to a YAML reader).
    let mut prev = first;
    for c in s.chars() {
        if !(c == '\t' || safe_char(c)) {
            return false;
        }
        let blank = c == ' ' || c == '\t';
        if (blank && prev == ':') || (c == '#' && (prev == ' ' || prev == '\t')) {
            return false;
        }
        prev = c;
    }
    true
}

/// A character that may appear literally in a plain or block scalar: printable in YAML 1.2
/// (no control characters, no byte-order mark inside a document) and not a line break in
/// YAML 1.1 (which also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR).
fn safe_char(c: char) -> bool {
    matches!(c,
        '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn block_ok(s: &str) -> bool {
    // Leading spaces on the first line would need an indentation indicator; control characters
    // and carriage returns do not survive a literal block. Fall back to quoting for those.
    // `|+` (keep) would need trailing blank lines, which the end of a document swallows.
    !s.ends_with("\n\n")
        && !s.starts_with([' ', '\t'])
        && !s.starts_with('\n')
        && s.chars().all(|c| c == '\n' || c == '\t' || safe_char(c))
        && !s.lines().any(|l| l.ends_with([' ', '\t']))
}

fn push_literal_block(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    out.push_str(if body.len() == s.len() { "|-" } else { "|" });
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_pad(out, indent + 2);
            out.push_str(line);
        }
    }
}

/// A double-quoted scalar. Every character that is not [`safe_char`] is escaped (JSON-style
/// `\uXXXX`, which YAML shares), so the text survives YAML 1.1 and 1.2 readers, terminals and
/// logs unchanged.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, s);
    out
}

fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if safe_char(c) => out.push(c),
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) -> Value {
        crate::values::yaml::from_str_strict(&to_yaml(v), "t").unwrap()
    }

    #[test]
    fn quotes_yaml11_ambiguities() {
        let v = json!({"a": "on", "b": "no", "c": "0644", "d": "1e3", "e": "2024-01-01", "f": "1.10",
                       "g": "", "h": "Yes", "i": "-x", "j": "a: b", "k": "~"});
        let y = to_yaml(&v);
        for line in y.lines() {
            assert!(line.contains(": \""), "unquoted ambiguous value: {line}");
        }
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn plain_where_safe() {
        let v = json!({"url": "http://prometheus:9090", "name": "grafana", "num": 3, "t": true, "z": null, "n": 1});
        assert_eq!(
            to_yaml(&v),
            "url: http://prometheus:9090\nname: grafana\nnum: 3\nt: true\nz: null\n\"n\": 1"
        );
    }

    #[test]
    fn nested_layout() {
        let v = json!({"spec": {"ports": [{"name": "http", "port": 80}], "empty": [], "m": {}}, "l": [[1, 2], "x"]});
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "spec:\n  ports:\n  - name: http\n    port: 80\n  empty: []\n  m: {}\nl:\n- - 1\n  - 2\n- x"
        );
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn multiline_strings_are_literal_blocks() {
        let v = json!({"cfg": "a: 1\n\nb:\n  - x\n", "nonl": "x\ny", "many": "x\n\n\n"});
        let y = to_yaml(&v);
        assert!(y.starts_with("cfg: |\n  a: 1\n\n  b:\n    - x\n"), "{y}");
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn awkward_strings_roundtrip() {
        let v = json!({"a": " lead", "b": "tab\there", "c": "ctl\u{1}", "d": " x\ny", "e": "trail \nx", "f": "#c", "g": "k: v\n"});
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn invisible_and_yaml11_line_break_characters_are_escaped() {
        let v = json!({"bom": "\u{feff}x", "nel": "a\u{85}b", "ls": "a\u{2028}b", "del": "a\u{7f}",
                       "astral": "\u{1f600}", "nbsp": "a\u{a0}b", "tabhash": "a\t#b", "big": "\u{10ffff}"});
        let y = to_yaml(&v);
        assert!(y.contains("bom: \"\\ufeffx\""), "{y}");
        assert!(y.contains("nel: \"a\\u0085b\""), "{y}");
        assert!(y.contains("astral: \u{1f600}"), "{y}");
        assert!(y.contains("tabhash: \"a\\t#b\""), "{y}");
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn awkward_keys_roundtrip() {
        let long = "k".repeat(2000);
        let v = json!({"a\nb": 1, "": {"x\n": [1]}, "on": "off", long.clone(): {long: "v"}, "- x": null});
        let y = to_yaml(&v);
        assert!(y.starts_with("\"a\\nb\": 1\n"), "{y}");
        assert_eq!(roundtrip(&v), v);
    }

    #[test]
    fn top_level_scalar() {
        assert_eq!(to_yaml(&json!("on")), "\"on\"");
        assert_eq!(to_yaml(&json!([])), "[]");
    }
}
