//! Rendering a plan: unified diffs, one-line summaries, JSON.

use std::fmt::Write as _;

use serde_json::Value;

use super::{Action, Change, Plan};
use crate::manifest::ObjectRef;
use crate::render::toyaml::to_yaml;

fn yaml(v: &Value) -> String {
    if v.is_null() {
        String::new()
    } else {
        format!("{}\n", to_yaml(v))
    }
}

/// Unified diff between two object versions (`before = None`: creation).
pub fn unified(id: &ObjectRef, before: Option<&Value>, after: &Value, context: usize) -> String {
    let old = before.map(yaml).unwrap_or_default();
    text_diff(id, &old, &yaml(after), context)
}

/// Unified diff of a deletion.
pub fn unified_delete(id: &ObjectRef, before: &Value, context: usize) -> String {
    text_diff(id, &yaml(before), "", context)
}

/// Rename the two sides in a unified diff's header (`live`/`desired` → e.g. `revision 1`/`revision 2`).
pub fn relabel(diff: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    for (i, line) in diff.split_inclusive('\n').enumerate() {
        match (
            i,
            line.strip_prefix("--- live:"),
            line.strip_prefix("+++ desired:"),
        ) {
            (0, Some(rest), _) => out.push_str(&format!("--- {old}:{rest}")),
            (1, _, Some(rest)) => out.push_str(&format!("+++ {new}:{rest}")),
            _ => out.push_str(line),
        }
    }
    out
}

/// Unified diff of two texts with `live`/`desired` headers naming the object.
pub fn text_diff(id: &ObjectRef, old: &str, new: &str, context: usize) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let name = id.to_string();
    diff.unified_diff()
        .context_radius(context)
        .header(&format!("live: {name}"), &format!("desired: {name}"))
        .to_string()
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Replace => "replace",
        Action::Keep => "keep",
    }
}

/// One line per object.
pub fn summary_line(c: &Change) -> String {
    let mut line = format!("{:<8} {}", action_word(c.action), c.id());
    match c.action {
        Action::Replace => {
            let _ = write!(line, " (immutable: {})", c.fields.join(", "));
        }
        Action::Keep => line.push_str(" (bscope.io/resource-policy: keep; left in place)"),
        _ => {}
    }
    if !c.secret_keys.is_empty() {
        let _ = write!(line, " (secret keys changed: {})", c.secret_keys.join(", "));
    }
    for d in &c.drift {
        let _ = write!(
            line,
            " (reverts manual change by {}: {})",
            d.manager,
            d.fields.join(", ")
        );
    }
    line
}

/// The plan's closing line.
pub fn plan_line(p: &Plan) -> String {
    if !p.has_changes() {
        let kept = if p.summary.keep > 0 {
            format!(" ({} kept)", p.summary.keep)
        } else {
            String::new()
        };
        return format!("No changes{kept}");
    }
    let s = &p.summary;
    let mut line = format!(
        "Plan: {} to create, {} to update, {} to delete, {} to replace",
        s.create, s.update, s.delete, s.replace
    );
    if s.keep > 0 {
        let _ = write!(line, ", {} kept", s.keep);
    }
    line
}

/// Full text output; `color` adds ANSI styles (the caller decides from the terminal).
pub fn render_diff(p: &Plan, color: bool) -> String {
    let (red, green, cyan, bold) = if color {
        ("\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m")
    } else {
        ("", "", "", "")
    };
    let reset = if color { "\x1b[0m" } else { "" };
    let mut out = String::new();
    for c in &p.changes {
        let _ = writeln!(out, "{bold}{}{reset}", summary_line(c));
        if let Some(reason) = &c.reason {
            let _ = writeln!(out, "  {reason}");
        }
        for line in c.diff.lines() {
            let style = if line.starts_with("+++") || line.starts_with("---") {
                bold
            } else if line.starts_with('+') {
                green
            } else if line.starts_with('-') {
                red
            } else if line.starts_with("@@") {
                cyan
            } else {
                ""
            };
            let end = if style.is_empty() { "" } else { reset };
            let _ = writeln!(out, "{style}{line}{end}");
        }
        out.push('\n');
    }
    out.push_str(&plan_line(p));
    out.push('\n');
    out
}

/// `-o summary`.
pub fn render_summary(p: &Plan) -> String {
    let mut out: String = p.changes.iter().map(|c| summary_line(c) + "\n").collect();
    out.push_str(&plan_line(p));
    out.push('\n');
    out
}

/// `-o json`: the plan, pretty-printed.
pub fn render_json(p: &Plan) -> String {
    serde_json::to_string_pretty(p).unwrap_or_default() + "\n"
}
