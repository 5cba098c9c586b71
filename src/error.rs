//! User-facing errors.
//!
//! Every error says *what* went wrong, *where* (a file with line and column, a key path, a flag,
//! an object) and, when we know it, *what to do*. Library code returns [`Error`]; the CLI prints it
//! with [`std::fmt::Display`] and exits 1. Several independent problems (a lint run, a schema
//! check) travel together as [`Error::Problems`] so the user sees all of them at once.

use std::fmt;
use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A position in a source file, 1-based like every editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File name as the user knows it (`values/prod.yaml`, `templates/loki.yaml.j2`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem found in the user's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong, in one line.
    pub message: String,
    /// Where, when it has a position in a file.
    pub location: Option<Location>,
    /// The offending source lines with a caret, already formatted.
    pub snippet: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Problem {
    /// A problem with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            location: None,
            snippet: None,
            help: None,
        }
    }

    /// Attach a location.
    #[must_use]
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Attach a location and a snippet cut from `source` around it.
    #[must_use]
    pub fn at_source(mut self, location: Location, source: &str, width: usize) -> Self {
        self.snippet = Some(snippet(source, location.line, location.column, width));
        self.location = Some(location);
        self
    }

    /// Attach advice.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(loc) = &self.location {
            write!(f, "\n  --> {loc}")?;
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

/// Render the line `line` of `source` with a caret under `column` spanning `width` characters,
/// plus one line of context before it.
pub fn snippet(source: &str, line: usize, column: usize, width: usize) -> String {
    let lines: Vec<&str> = source.lines().collect();
    if line == 0 || line > lines.len() {
        return String::new();
    }
    let gutter = line.to_string().len();
    let mut out = format!("{:gutter$} |", "");
    if line >= 2 {
        out.push_str(&format!("\n{:>gutter$} | {}", line - 1, lines[line - 2]));
    }
    out.push_str(&format!("\n{:>gutter$} | {}", line, lines[line - 1]));
    let pad = " ".repeat(column.saturating_sub(1));
    let carets = "^".repeat(width.max(1));
    out.push_str(&format!("\n{:gutter$} | {pad}{carets}", ""));
    out
}

/// The library's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in the user's input (values, templates, manifests, chart files).
    #[error("{}", display_problems(.0))]
    Problems(Vec<Problem>),

    /// A file could not be read or written.
    #[error("error: cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing ("read", "write", "create directory").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// Talking to the cluster failed: unreachable, forbidden, invalid object, timeout, lock held.
    /// The message names the object or release and says what to do.
    #[error("error: {0}")]
    Cluster(String),

    /// A command-line usage error that clap cannot express.
    #[error("error: {0}")]
    Usage(String),
}

impl Error {
    /// A single problem.
    pub fn problem(p: Problem) -> Self {
        Error::Problems(vec![p])
    }

    /// A single problem with only a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Error::Problems(vec![Problem::new(message)])
    }

    /// Wrap an I/O error with the path and action.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The problems this error carries (one synthetic problem for non-problem errors).
    pub fn into_problems(self) -> Vec<Problem> {
        match self {
            Error::Problems(p) => p,
            other => vec![Problem::new(
                other.to_string().trim_start_matches("error: ").to_string(),
            )],
        }
    }
}

fn display_problems(problems: &[Problem]) -> String {
    let mut out = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n");
    if problems.len() > 1 {
        out.push_str(&format!("\n\n{} problems found", problems.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_points_at_column() {
        let s = snippet("a: 1\nb: {{ x }}\n", 2, 7, 1);
        assert_eq!(s, "  |\n1 | a: 1\n2 | b: {{ x }}\n  |       ^");
    }

    #[test]
    fn snippet_out_of_range_is_empty() {
        assert_eq!(snippet("a", 5, 1, 1), "");
    }

    #[test]
    fn several_problems_are_counted() {
        let e = Error::Problems(vec![Problem::new("one"), Problem::new("two")]);
        let text = e.to_string();
        assert!(text.contains("error: one") && text.contains("error: two"));
        assert!(text.ends_with("2 problems found"));
    }
}
