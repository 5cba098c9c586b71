//! Filters and functions available to templates, beyond minijinja's built-ins.
//!
//! Names follow what Helm users know (`toyaml`, `nindent`, `b64encode`, `required`, `lookup`),
//! spelled the Jinja way (lower case filters, `value | filter(args)`).

use std::sync::Arc;

use base64::Engine as _;
use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{Environment, Error, ErrorKind};
use sha2::Digest as _;

use super::{Lookup, toyaml};
use crate::chart::ChartFiles;

/// Register every filter and function on `env`.
pub fn register(
    env: &mut Environment<'_>,
    files: Arc<ChartFiles>,
    lookup: Option<Arc<dyn Lookup>>,
) {
    env.add_filter("toyaml", to_yaml);
    env.add_filter("tojson", to_json);
    env.add_filter("nindent", nindent);
    env.add_filter("indent", indent);
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("sha256", sha256);
    env.add_filter("quote", quote);
    env.add_filter("required", required);
    env.add_function("fail", fail);
    env.add_function("random_alnum", random_alnum);
    {
        let files = files.clone();
        env.add_function("file", move |path: &str| -> Result<String, Error> {
            let key = format!("files/{path}");
            let bytes = files
                .get(&key)
                .ok_or_else(|| chart_error(format!("file(): chart has no file `{key}`")))?;
            std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|_| chart_error(format!("file(): `{key}` is not UTF-8 text")))
        });
    }
    env.add_function("files", move |prefix: Option<&str>| -> Value {
        let prefix = format!("files/{}", prefix.unwrap_or(""));
        let names: Vec<String> = files
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .map(|k| k.trim_start_matches("files/").to_string())
            .collect();
        Value::from(names)
    });
    env.add_function(
        "lookup",
        move |api_version: &str, kind: &str, namespace: &str, name: &str| -> Result<Value, Error> {
            let Some(lookup) = &lookup else {
                return Ok(empty_map());
            };
            match lookup.lookup(api_version, kind, namespace, name) {
                Ok(Some(obj)) => Ok(Value::from(Serde(obj))),
                Ok(None) => Ok(empty_map()),
                Err(e) => Err(chart_error(format!(
                    "lookup({kind} {namespace}/{name}): {e}"
                ))),
            }
        },
    );
}

/// Marks errors whose message comes from this module or from the chart's author (`fail`,
/// `required`): their text is safe and meaningful to print as is. Errors raised inside
/// minijinja carry no marker; their text is treated with more care, because some of it
/// quotes operand values (see `render::template_problem`).
#[derive(Debug)]
pub struct ChartMessage;

impl std::fmt::Display for ChartMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("raised by a bscope-chart function")
    }
}

impl std::error::Error for ChartMessage {}

/// An `InvalidOperation` error carrying [`ChartMessage`].
pub fn chart_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into()).with_source(ChartMessage)
}

/// True when `err` was raised by [`chart_error`].
pub fn is_chart_message(err: &Error) -> bool {
    std::error::Error::source(err).is_some_and(|s| s.is::<ChartMessage>())
}

/// Convert a template value to JSON data.
pub fn to_json_value(v: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| chart_error(format!("not serializable: {e}")))
}

fn to_yaml(v: &Value) -> Result<String, Error> {
    Ok(toyaml::to_yaml(&to_json_value(v)?))
}

fn to_json(v: &Value) -> Result<String, Error> {
    serde_json::to_string(&to_json_value(v)?).map_err(|e| chart_error(e.to_string()))
}

/// minijinja's `indent` (same arguments and output), without its per-line `write!`: charts
/// indent whole files (Grafana dashboards) this way, and the formatting machinery made it a
/// tenth of the render time.
fn indent(
    value: &Value,
    width: Option<usize>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    fn strip_trailing_newline(input: &str) -> &str {
        let input = input.strip_suffix('\n').unwrap_or(input);
        input.strip_suffix('\r').unwrap_or(input)
    }
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    let width = match width {
        Some(w) => w,
        None => kwargs.get::<Option<usize>>("width")?.unwrap_or(4),
    };
    let first = match first {
        Some(f) => f,
        None => kwargs.get::<Option<bool>>("first")?.unwrap_or(false),
    };
    let blank = match blank {
        Some(b) => b,
        None => kwargs.get::<Option<bool>>("blank")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let owned;
    let text = match value.as_str() {
        Some(s) => s,
        None => {
            owned = value.to_string();
            &owned
        }
    };
    let input = strip_trailing_newline(text);
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(input.len() + input.len() / 8 * width + width);
    let mut lines = input.split('\n');
    if !first {
        out.push_str(lines.next().unwrap_or_default());
        out.push('\n');
    }
    for line in lines {
        if !(line.is_empty() || line == "\r") || blank {
            out.push_str(&pad);
        }
        out.push_str(line);
        out.push('\n');
    }
    let len = strip_trailing_newline(&out).len();
    out.truncate(len);
    Ok(out)
}

/// A newline, then `s` with every non-empty line indented by `width` spaces (Helm's `nindent`).
fn nindent(s: &str, width: usize) -> String {
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(s.len() + 16);
    for line in s.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn b64encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn b64decode(s: &str) -> Result<String, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| chart_error(format!("b64decode: invalid base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| chart_error("b64decode: result is not UTF-8"))
}

fn sha256(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A YAML double-quoted string (the same escaping as `toyaml`, so invisible characters and
/// YAML 1.1 line breaks survive the API server's reader).
fn quote(v: &Value) -> String {
    match v.as_str() {
        Some(s) => toyaml::quoted(s),
        None if v.is_none() => toyaml::quoted(""),
        None => toyaml::quoted(&v.to_string()),
    }
}

fn required(v: &Value, message: Option<&str>) -> Result<Value, Error> {
    let missing = v.is_undefined() || v.is_none() || v.as_str() == Some("");
    if missing {
        Err(chart_error(
            message.unwrap_or("a required value is missing").to_string(),
        ))
    } else {
        Ok(v.clone())
    }
}

fn fail(message: &str) -> Result<Value, Error> {
    Err(chart_error(message.to_string()))
}

/// Random alphanumeric string from the OS's randomness (for generate-once passwords).
fn random_alnum(n: usize) -> Result<String, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if n > 4096 {
        return Err(chart_error("random_alnum: at most 4096 characters"));
    }
    // 62 does not divide 256; rejection sampling keeps the distribution uniform.
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).map_err(|e| chart_error(format!("random_alnum: {e}")))?;
        for &b in buf.iter().filter(|&&b| b < 248).take(n - out.len()) {
            out.push(ALPHABET[(b % 62) as usize] as char);
        }
    }
    Ok(out)
}

fn empty_map() -> Value {
    Value::from(std::collections::BTreeMap::<String, Value>::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_like_toyaml() {
        assert_eq!(quote(&Value::from("a\"b\u{85}")), "\"a\\\"b\\u0085\"");
        assert_eq!(quote(&Value::from(())), "\"\"");
        assert_eq!(quote(&Value::from(5)), "\"5\"");
    }

    #[test]
    fn indent_matches_minijinja() {
        let mut ours = Environment::new();
        ours.add_filter("indent", indent);
        let theirs = Environment::new();
        for (input, args) in [
            ("a\nb\n\nc\n", ""),
            ("a\nb", "(2)"),
            ("a\n\nb\n", "(2, true)"),
            ("a\n\nb\n", "(2, true, true)"),
            ("a\r\n\r\nb\r\n", "(width=3, blank=true)"),
            ("", "(first=true)"),
            ("x", "(0)"),
        ] {
            let tmpl = format!("{{{{ s | indent{args} }}}}|{{{{ 5 | indent{args} }}}}");
            let ctx = minijinja::context! { s => input };
            let a = ours.render_str(&tmpl, ctx.clone()).unwrap();
            let b = theirs.render_str(&tmpl, ctx).unwrap();
            assert_eq!(a, b, "{input:?} {args}");
        }
    }

    #[test]
    fn nindent_adds_newline_and_indents() {
        assert_eq!(nindent("a\n\nb", 2), "\n  a\n\n  b");
    }

    #[test]
    fn base64_roundtrip_and_sha() {
        assert_eq!(b64encode("admin"), "YWRtaW4=");
        assert_eq!(b64decode("YWRtaW4=").unwrap(), "admin");
        assert!(b64decode("!!").is_err());
        assert_eq!(
            sha256(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn random_is_alnum_and_sized() {
        let s = random_alnum(40).unwrap();
        assert_eq!(s.len(), 40);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(s, random_alnum(40).unwrap());
    }
}
