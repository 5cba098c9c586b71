//! A fast reader for the plain, block-style YAML that charts and values files are written in.
//!
//! Why: reading rendered manifests with serde-saphyr dominated rendering time (about 60% of it
//! for the observability chart, 2 ms of 3.5 ms), because every byte goes through a full YAML 1.2
//! scanner, an event queue and a serde deserializer. Rendered manifests, though, use a small
//! part of YAML: block maps and sequences, plain and quoted one-line scalars, one-line flow
//! collections, literal and folded block scalars, comments and `---`.
//!
//! This reader handles exactly that subset and answers `None` for anything else — anchors,
//! tags, multi-line flow or quoted scalars, tabs in indentation, duplicate keys, unusual
//! numbers — so the caller falls back to the full parser, which then also produces the error
//! message for invalid input. It never reports errors itself. Plain scalars are typed like the
//! full parser types them for the given [`Dialect`]; any spelling it is not sure about is
//! handed to the full parser on its own. The property tests in `tests/engine_props.rs` check
//! that whenever this reader answers, the full parser gives the same value.

use serde_json::{Map, Value};

/// Which typing rules plain scalars follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Values files: YAML 1.2 booleans only (`true`/`false`), `0644` stays a string.
    Values,
    /// Rendered manifests: YAML 1.1 booleans (`on`, `yes`…), as the API server reads them.
    Manifest,
}

/// Read a single document (values). `None`: not in the subset, or more than one document.
pub fn document(text: &str, dialect: Dialect) -> Option<Value> {
    let mut docs = stream(text, dialect)?;
    match docs.len() {
        0 => Some(Value::Null),
        1 => docs.pop(),
        _ => None,
    }
}

/// Read a document stream (manifests); empty documents are left out.
pub fn stream(text: &str, dialect: Dialect) -> Option<Vec<Value>> {
    // YAML forbids non-printable characters anywhere, comments included; CR and BOM handling
    // are left to the full parser too.
    if !all_printable(text) {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut reader = Reader {
        lines,
        pos: 0,
        dialect,
        depth: 0,
    };
    let mut docs = Vec::new();
    let mut nodes = 0usize;
    let mut markers = 0usize;
    loop {
        reader.skip_blank();
        let Some(line) = reader.lines.get(reader.pos) else {
            break;
        };
        if is_marker(line, "---") {
            // A values file is one document: one `---` at most, before it.
            markers += 1;
            if dialect == Dialect::Values && (nodes > 0 || markers > 1) {
                return None;
            }
            reader.pos += 1;
            continue;
        }
        // Directives, document-end markers and content after `---` are left to the full parser.
        if line.starts_with('%') || line.starts_with("---") || line.starts_with("...") {
            return None;
        }
        let indent = indent_of(line)?;
        if indent != 0 {
            return None;
        }
        let value = reader.block_node(0, None)?;
        nodes += 1;
        // The node must end at a document boundary.
        reader.skip_blank();
        if let Some(next) = reader.lines.get(reader.pos)
            && !is_marker(next, "---")
        {
            return None;
        }
        if !value.is_null() {
            docs.push(value);
        }
    }
    Some(docs)
}

/// Only characters YAML allows in a stream (tab and line feed included, CR and BOM not).
fn all_printable(text: &str) -> bool {
    if text.is_ascii() {
        return text
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) || b == b'\t' || b == b'\n');
    }
    text.chars().all(|c| c == '\n' || printable(c))
}

/// `---` or `...` alone on a line (optionally followed by spaces).
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.chars().all(|c| c == ' '))
}

/// Leading spaces; `None` if the indentation contains a tab.
fn indent_of(line: &str) -> Option<usize> {
    let n = line.len() - line.trim_start_matches(' ').len();
    if line[n..].starts_with('\t') {
        return None;
    }
    Some(n)
}

/// A line with nothing but spaces and possibly a comment.
fn is_blank(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    t.is_empty() || t.starts_with('#')
}

/// Deepest nesting the fast reader follows; deeper text goes to the full parser (which has its
/// own limits), so recursion here cannot overflow the stack.
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    lines: Vec<&'a str>,
    pos: usize,
    dialect: Dialect,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn skip_blank(&mut self) {
        while self.lines.get(self.pos).is_some_and(|l| is_blank(l)) {
            self.pos += 1;
        }
    }

    /// Indentation of the next non-blank line (skipping blanks), or `None` at the end.
    fn next_indent(&mut self) -> Option<Option<usize>> {
        self.skip_blank();
        let line = self.lines.get(self.pos)?;
        if is_marker(line, "---") || is_marker(line, "...") {
            return None;
        }
        Some(indent_of(line))
    }

    /// The node whose first character is at column `col` of the current line. `parent` is the
    /// indentation of the enclosing collection (for block scalars and continuation checks).
    fn block_node(&mut self, col: usize, parent: Option<usize>) -> Option<Value> {
        let line = self.lines[self.pos];
        let rest = &line[col..];
        if rest == "-" || rest.starts_with("- ") {
            return self.sequence(col);
        }
        if entry_key(rest).is_some() {
            return self.mapping(col);
        }
        // A lone scalar node (a document that is one scalar, or a list item).
        self.inline_value(rest, parent)
    }

    /// A block sequence whose `-` markers are at column `col`.
    fn sequence(&mut self, col: usize) -> Option<Value> {
        self.depth += 1;
        let result = self.sequence_items(col);
        self.depth -= 1;
        result
    }

    fn sequence_items(&mut self, col: usize) -> Option<Value> {
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        loop {
            let line = self.lines[self.pos];
            let rest = &line[col..];
            let after = if rest == "-" {
                ""
            } else {
                rest.strip_prefix("- ")?
            };
            let trimmed = after.trim_start_matches(' ');
            if trimmed.is_empty() || trimmed.starts_with('#') {
                // The item is on the following lines, indented more than the marker.
                self.pos += 1;
                match self.next_indent() {
                    Some(Some(i)) if i > col => items.push(self.block_node(i, Some(col))?),
                    Some(None) => return None,
                    _ => items.push(Value::Null),
                }
            } else {
                let item_col = col + (rest.len() - trimmed.len());
                if trimmed.starts_with("- ") || trimmed == "-" {
                    items.push(self.sequence(item_col)?);
                } else if entry_key(trimmed).is_some() {
                    items.push(self.mapping(item_col)?);
                } else {
                    items.push(self.inline_value(trimmed, Some(col))?);
                }
            }
            match self.next_indent() {
                Some(Some(i)) if i == col => {
                    let rest = &self.lines[self.pos][col..];
                    if !(rest == "-" || rest.starts_with("- ")) {
                        // A mapping key at the same column ends an indentless sequence.
                        return Some(Value::Array(items));
                    }
                }
                Some(Some(i)) if i < col => return Some(Value::Array(items)),
                None => return Some(Value::Array(items)),
                _ => return None,
            }
        }
    }

    /// A block mapping whose keys are at column `col`, the first on the current line.
    fn mapping(&mut self, col: usize) -> Option<Value> {
        self.depth += 1;
        let result = self.mapping_entries(col);
        self.depth -= 1;
        result
    }

    fn mapping_entries(&mut self, col: usize) -> Option<Value> {
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut map = Map::new();
        loop {
            let line = self.lines[self.pos];
            let rest = &line[col..];
            let (key, after) = entry_key(rest)?;
            let value_text = after.trim_start_matches(' ');
            let value = if value_text.is_empty() || value_text.starts_with('#') {
                self.pos += 1;
                match self.next_indent() {
                    Some(Some(i)) if i > col => self.block_node(i, Some(col))?,
                    Some(Some(i)) if i == col => {
                        let rest = &self.lines[self.pos][col..];
                        if rest == "-" || rest.starts_with("- ") {
                            self.sequence(col)?
                        } else {
                            Value::Null
                        }
                    }
                    Some(None) => return None,
                    _ => Value::Null,
                }
            } else {
                self.inline_value(value_text, Some(col))?
            };
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                // The full parser reports duplicates.
                serde_json::map::Entry::Occupied(_) => return None,
            }
            match self.next_indent() {
                Some(Some(i)) if i == col => {
                    let rest = &self.lines[self.pos][col..];
                    if rest == "-" || rest.starts_with("- ") {
                        return None;
                    }
                }
                Some(Some(i)) if i < col => return Some(Value::Object(map)),
                None => return Some(Value::Object(map)),
                _ => return None,
            }
        }
    }

    /// A value that starts on the current line at `text` (column `col`): a block scalar
    /// header, a quoted or flow node, or a plain scalar. Consumes its lines.
    fn inline_value(&mut self, text: &str, parent: Option<usize>) -> Option<Value> {
        let first = text.chars().next()?;
        match first {
            '|' | '>' => {
                let header = text;
                self.pos += 1;
                return self.block_scalar(header, parent?).map(Value::String);
            }
            '"' | '\'' => {
                let (s, rest) = quoted_scalar(text)?;
                if !only_comment(rest) {
                    return None;
                }
                self.pos += 1;
                return Some(Value::String(s));
            }
            '[' | '{' => {
                let mut flow = Flow {
                    text,
                    pos: 0,
                    dialect: self.dialect,
                };
                let v = flow.node(0)?;
                if !only_comment(&text[flow.pos..]) {
                    return None;
                }
                self.pos += 1;
                return Some(v);
            }
            _ => {}
        }
        let plain = strip_comment(text).trim_end_matches(' ');
        if !plain_start_ok(plain)
            || plain.contains(": ")
            || plain.ends_with(':')
            || !plain.chars().all(|c| c != '\t' && printable(c))
        {
            return None;
        }
        self.pos += 1;
        // A more indented line after a plain scalar would continue it (multi-line plain).
        if let Some(Some(i)) = self.next_indent()
            && parent.is_none_or(|p| i > p)
        {
            return None;
        }
        resolve_plain(plain, self.dialect)
    }

    /// The lines of a `|` or `>` block scalar (header already read) below a node at `parent`.
    fn block_scalar(&mut self, header: &str, parent: usize) -> Option<String> {
        let mut chars = header.chars();
        let folded = chars.next()? == '>';
        let rest = strip_comment(chars.as_str()).trim_end_matches(' ');
        let strip = match rest {
            "" => false,
            "-" => true,
            _ => return None, // keep (`+`) and indentation indicators
        };
        // Content indentation: that of the first non-empty line.
        let mut content_indent = None;
        let mut leading_blank_width = 0;
        for line in &self.lines[self.pos..] {
            let n = line.len() - line.trim_start_matches(' ').len();
            if n == line.len() {
                leading_blank_width = leading_blank_width.max(n);
                continue;
            }
            content_indent = Some(n);
            break;
        }
        let indent = match content_indent {
            Some(n) if n > parent && leading_blank_width <= n => n,
            _ => return None,
        };
        let mut body: Vec<&str> = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            let n = line.len() - line.trim_start_matches(' ').len();
            if n == line.len() {
                body.push(line.get(indent..).unwrap_or(""));
            } else if n >= indent {
                body.push(&line[indent..]);
            } else {
                break;
            }
            self.pos += 1;
        }
        // A final line of the stream that is empty is the newline of the last content line,
        // not content.
        if self.pos == self.lines.len() && body.last() == Some(&"") {
            body.pop();
        }
        let last = body.iter().rposition(|l| !l.is_empty())?;
        let content = &body[..=last];
        let mut out = if folded {
            fold(content)?
        } else {
            content.join("\n")
        };
        if !strip {
            out.push('\n');
        }
        Some(out)
    }
}

/// Folded block scalar content: lines joined by spaces, empty lines kept as line breaks.
/// More-indented lines (which keep their breaks) are left to the full parser.
fn fold(lines: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut pending_breaks = 0usize;
    let mut first = true;
    for line in lines {
        if line.is_empty() {
            pending_breaks += 1;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            return None;
        }
        if first || pending_breaks > 0 {
            // Leading empty lines are kept as line breaks; between lines, k empty lines
            // become k line breaks instead of the folding space.
            out.push_str(&"\n".repeat(pending_breaks));
        } else {
            out.push(' ');
        }
        pending_breaks = 0;
        first = false;
        out.push_str(line);
    }
    Some(out)
}

/// Text before a ` #` comment (a `#` at the start is a comment too).
fn strip_comment(text: &str) -> &str {
    if text.starts_with('#') {
        return "";
    }
    match text.find(" #") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Nothing but spaces and an optional comment (which must follow a space).
fn only_comment(rest: &str) -> bool {
    let t = rest.trim_start_matches(' ');
    t.is_empty() || (t.starts_with('#') && t.len() < rest.len())
}

/// A plain scalar may not start with an indicator, and the parser would read a leading
/// `- `, `? ` or `: ` as structure.
fn plain_start_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "[]{},#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') {
        return s.chars().nth(1).is_some_and(|c| c != ' ');
    }
    !first.is_whitespace()
}

/// If `text` starts with a mapping key (`key:` then a space or the end of the line), the key
/// and the text after the colon.
fn entry_key(text: &str) -> Option<(String, &str)> {
    if text.starts_with(['"', '\'']) {
        let (key, rest) = quoted_scalar(text)?;
        let after = rest.strip_prefix(':')?;
        if !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        return Some((key, after));
    }
    let end = text
        .find(": ")
        .or_else(|| text.ends_with(':').then(|| text.len() - 1))?;
    let key = &text[..end];
    if key.contains(" #") || key.ends_with(' ') || !key.chars().all(|c| c != '\t' && printable(c)) {
        return None;
    }
    // Keys are strings in JSON; only spellings the full parser keeps as the same string.
    let first = key.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || is_special_word(key)
        || key.contains([
            '{', '}', '[', ']', ',', '#', '&', '*', '!', '|', '>', '"', '\'',
        ])
    {
        return None;
    }
    Some((key.to_string(), &text[end + 1..]))
}

/// Boolean and null spellings of either dialect, in any case.
fn is_special_word(s: &str) -> bool {
    s.len() <= 5
        && ["y", "yes", "n", "no", "true", "false", "on", "off", "null"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
}

/// A one-line quoted scalar at the start of `text`: its value and the text after it.
fn quoted_scalar(text: &str) -> Option<(String, &str)> {
    let mut chars = text.char_indices();
    let (_, quote) = chars.next()?;
    let mut out = String::new();
    if quote == '\'' {
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if text[i + 1..].starts_with('\'') {
                    chars.next();
                    out.push('\'');
                } else {
                    return Some((out, &text[i + 1..]));
                }
            } else if printable(c) {
                out.push(c);
            } else {
                return None;
            }
        }
        return None;
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                let hex = |n: usize, chars: &mut std::str::CharIndices<'_>| -> Option<char> {
                    let mut v = 0u32;
                    for _ in 0..n {
                        v = v * 16 + chars.next()?.1.to_digit(16)?;
                    }
                    char::from_u32(v)
                };
                let c = match e {
                    '0' => '\0',
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    't' | '\t' => '\t',
                    'n' => '\n',
                    'v' => '\u{b}',
                    'f' => '\u{c}',
                    'r' => '\r',
                    'e' => '\u{1b}',
                    ' ' => ' ',
                    '"' => '"',
                    '/' => '/',
                    '\\' => '\\',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' => hex(2, &mut chars)?,
                    'u' => hex(4, &mut chars)?,
                    'U' => hex(8, &mut chars)?,
                    _ => return None,
                };
                out.push(c);
            }
            c if printable(c) => out.push(c),
            _ => return None,
        }
    }
    None
}

/// Characters YAML allows literally in a scalar (tab included).
fn printable(c: char) -> bool {
    matches!(c,
        '\t' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}'
        | '\u{10000}'..)
        && c != '\u{feff}'
}

/// A one-line flow collection.
struct Flow<'a> {
    text: &'a str,
    pos: usize,
    dialect: Dialect,
}

impl<'a> Flow<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(' ').len();
    }

    fn node(&mut self, depth: usize) -> Option<Value> {
        if depth > 64 {
            return None;
        }
        self.skip_spaces();
        let rest = self.rest();
        match rest.chars().next()? {
            '[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_spaces();
                if self.rest().starts_with(']') {
                    self.pos += 1;
                    return Some(Value::Array(items));
                }
                loop {
                    let item = self.node(depth + 1)?;
                    self.skip_spaces();
                    // `[a: b]` is a one-pair map: leave it to the full parser.
                    if self.rest().starts_with(':') {
                        return None;
                    }
                    items.push(item);
                    match self.rest().chars().next()? {
                        ',' => {
                            self.pos += 1;
                            self.skip_spaces();
                            if self.rest().starts_with([']', ',']) {
                                return None; // trailing or empty entry
                            }
                        }
                        ']' => {
                            self.pos += 1;
                            return Some(Value::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            '{' => {
                self.pos += 1;
                let mut map = Map::new();
                self.skip_spaces();
                if self.rest().starts_with('}') {
                    self.pos += 1;
                    return Some(Value::Object(map));
                }
                loop {
                    self.skip_spaces();
                    let key = self.key()?;
                    if map.contains_key(&key) {
                        return None;
                    }
                    let value = self.node(depth + 1)?;
                    map.insert(key, value);
                    self.skip_spaces();
                    match self.rest().chars().next()? {
                        ',' => {
                            self.pos += 1;
                            self.skip_spaces();
                            if self.rest().starts_with(['}', ',']) {
                                return None;
                            }
                        }
                        '}' => {
                            self.pos += 1;
                            return Some(Value::Object(map));
                        }
                        _ => return None,
                    }
                }
            }
            '"' | '\'' => {
                let (s, after) = quoted_scalar(rest)?;
                self.pos = self.text.len() - after.len();
                Some(Value::String(s))
            }
            _ => {
                let end = rest
                    .find([',', '[', ']', '{', '}', '#'])
                    .unwrap_or(rest.len());
                let plain = rest[..end].trim_end_matches(' ');
                if plain.contains(':')
                    || !plain_start_ok(plain)
                    || !plain.chars().all(|c| c != '\t' && printable(c))
                {
                    return None;
                }
                self.pos += plain.len();
                resolve_plain(plain, self.dialect)
            }
        }
    }

    /// `key: ` inside a flow map (plain or quoted key); the position ends after the colon.
    fn key(&mut self) -> Option<String> {
        let rest = self.rest();
        let (key, after) = if rest.starts_with(['"', '\'']) {
            quoted_scalar(rest)?
        } else {
            let end = rest.find(": ")?;
            let key = &rest[..end];
            let first = key.chars().next()?;
            if !(first.is_ascii_alphabetic() || first == '_')
                || is_special_word(key)
                || key.contains([',', '[', ']', '{', '}', '#', '"', '\'', ':'])
                || !key.chars().all(|c| c != '\t' && printable(c))
                || key.ends_with(' ')
            {
                return None;
            }
            (key.to_string(), &rest[end..])
        };
        let after = after.strip_prefix(": ")?;
        self.pos = self.text.len() - after.len();
        Some(key)
    }
}

/// Type a plain scalar like the full parser does for `dialect`; spellings this function is
/// not sure about are typed by the full parser itself.
fn resolve_plain(s: &str, dialect: Dialect) -> Option<Value> {
    if matches!(s, "~" | "null" | "Null" | "NULL") {
        return Some(Value::Null);
    }
    let first = s.chars().next()?;
    if first.is_ascii_alphabetic() {
        return Some(match (dialect, s) {
            (Dialect::Values, "true" | "True" | "TRUE") => Value::Bool(true),
            (Dialect::Values, "false" | "False" | "FALSE") => Value::Bool(false),
            (Dialect::Manifest, _) if is_yaml11_true(s) => Value::Bool(true),
            (Dialect::Manifest, _) if is_yaml11_false(s) => Value::Bool(false),
            _ => Value::String(s.to_string()),
        });
    }
    if first == '/' || first == '$' || first == '(' {
        return Some(Value::String(s.to_string()));
    }
    // A sign followed by a letter (`-config.file=x`, a command-line flag) is no number.
    if matches!(first, '-' | '+') && s[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(Value::String(s.to_string()));
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
    {
        if s.starts_with('-') {
            if digits != "0"
                && let Ok(n) = s.parse::<i64>()
            {
                return Some(Value::from(n));
            }
        } else if let Ok(n) = s.parse::<u64>() {
            return Some(Value::from(n));
        }
        return full_parser_scalar(s, dialect);
    }
    // Plain decimal fractions (`0.5`, `-12.25`) are floats, read as Rust reads them (which is
    // what the full parser does).
    if let Some((int, frac)) = digits.split_once('.')
        && !int.is_empty()
        && (int == "0" || !int.starts_with('0'))
        && int.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
        && let Ok(f) = s.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Some(Value::Number(n));
    }
    // Quantities, durations, digests ("500m", "16Mi", "30s", "3387c01c…") are strings: YAML
    // numbers have no letters except an exponent or a `0x`/`0o`/`0b` prefix.
    let radix_prefixed = ["0x", "0o", "0b"]
        .iter()
        .any(|p| digits.get(..2).is_some_and(|d| d.eq_ignore_ascii_case(p)));
    if first.is_ascii_digit()
        && !radix_prefixed
        && s.chars()
            .any(|c| c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E'))
    {
        return Some(Value::String(s.to_string()));
    }
    full_parser_scalar(s, dialect)
}

fn is_yaml11_true(s: &str) -> bool {
    ["y", "yes", "true", "on"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

fn is_yaml11_false(s: &str) -> bool {
    ["n", "no", "false", "off"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

/// Let the full parser type one scalar (rare spellings: `1.5`, `0644`, `1e3`, `.inf`…). Only
/// number-shaped text is handed over: alone, other text may mean something else (`---` is a
/// document marker), so for it the whole document goes to the full parser instead.
fn full_parser_scalar(s: &str, dialect: Dialect) -> Option<Value> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number_shaped = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '+' | '-'));
    if !number_shaped {
        return None;
    }
    let result = match dialect {
        Dialect::Values => super::yaml::full_from_str_strict::<Value>(s, "scalar"),
        Dialect::Manifest => super::yaml::full_manifests_from_str(s, "scalar")
            .map(|mut v| v.pop().unwrap_or(Value::Null)),
    };
    match result {
        Ok(v @ (Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_))) => Some(v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(text: &str) -> Option<Vec<Value>> {
        stream(text, Dialect::Manifest)
    }

    #[test]
    fn reads_the_common_manifest_shapes() {
        let text = "\
---
# Source: x
apiVersion: v1
kind: ConfigMap
metadata:
  name: a   # trailing comment
  labels:
    app.kubernetes.io/name: x
data:
  script: |
    line one
      indented

    last
  folded: >-
    one
    two

    three
  q: \"a\\tb \\u00e9\"
  s: 'it''s'
  num: 10
  neg: -3
  big: 18446744073709551615
  cpu: 500m
  sw: on
  empty:
  list:
  - a
  - b: 1
    c: [x, \"y\", {k: v}]
  - - nested
  url: http://x:9090/y
---
kind: B
";
        let docs = m(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0]["data"],
            json!({"script": "line one\n  indented\n\nlast\n", "folded": "one two\nthree",
                   "q": "a\tb é", "s": "it's", "num": 10, "neg": -3, "big": 18446744073709551615_u64,
                   "cpu": "500m", "sw": true, "empty": null,
                   "list": ["a", {"b": 1, "c": ["x", "y", {"k": "v"}]}, ["nested"]],
                   "url": "http://x:9090/y"})
        );
        assert_eq!(docs[0]["metadata"]["name"], "a");
    }

    #[test]
    fn leaves_the_rest_to_the_full_parser() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: \"multi\n  line\"\n",
            "a: [1,\n 2]\n",
            "a: 1\na: 2\n",
            "a:\n\t- x\n",
            "? complex\n: key\n",
            "a: |+\n  keep\n\n",
            "a: |2\n   x\n",
            "a: plain\n  continued\n",
            "a: b: c\n",
            "%YAML 1.2\n---\na: 1\n",
            "--- a: 1\n",
            "on: x\n",
            "1: x\n",
        ] {
            assert_eq!(m(text), None, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_the_full_parser() {
        assert_eq!(m(&("- ".repeat(10_000) + "x")), None);
        let deep: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(m(&deep), None);
        assert!(m(&("- ".repeat(20) + "x")).is_some());
    }

    #[test]
    fn values_dialect_keeps_yaml12_strings() {
        let v = document("a: on\nb: True\nc: tRUE\nd: 0644\ne: no\n", Dialect::Values).unwrap();
        assert_eq!(
            v,
            json!({"a": "on", "b": true, "c": "tRUE", "d": "0644", "e": "no"})
        );
        assert_eq!(document("a: 1\n---\nb: 2\n", Dialect::Values), None);
        assert_eq!(document("---\n---\n", Dialect::Values), None);
        assert_eq!(
            document("---\na: 1\n", Dialect::Values),
            Some(json!({"a": 1}))
        );
        assert_eq!(document("# nothing\n", Dialect::Values), Some(Value::Null));
    }

    #[test]
    fn rare_number_spellings_are_typed_by_the_full_parser() {
        let text = "a: 0644\nb: 1.5\nc: 1e3\ne: 0x1F\nf: 1_000\ng: +5\nh: -flag\ni: +x\n\
                    j: 0.001\nk: -12.25\nl: 3387c01c\nm: 1e5x\nn0: 0.1e3\no: 00.5\np: 10.\nq: 1.5Gi\n";
        let docs = m(text).unwrap();
        let full = super::super::yaml::full_manifests_from_str(text, "t").unwrap();
        assert_eq!(docs, full);
        assert_eq!(docs[0]["a"], json!(420));
        // `.inf` is not JSON data: the full parser refuses it, so the fast reader must too.
        assert!(super::super::yaml::full_manifests_from_str("d: .inf\n", "t").is_err());
        assert_eq!(m("d: .inf\n"), None);
    }
}
