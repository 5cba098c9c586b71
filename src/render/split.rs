//! Splitting rendered template output into objects.
//!
//! The whole output is read by the YAML parser as a multi-document stream, so a `---` line
//! inside a block scalar (a config file in a ConfigMap) is content, not a separator. Empty and
//! comment-only documents are dropped; CRLF line ends are accepted.

use serde_json::Value;

use crate::error::Result;
use crate::manifest::Object;
use crate::values::yaml;

/// Parse `text` (the output of one template) into objects attributed to `source`.
pub fn documents(text: &str, source: &str) -> Result<Vec<Object>> {
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n");
        normalized.as_str()
    } else {
        text
    };
    if is_blank(text) {
        return Ok(Vec::new());
    }
    let docs = yaml::manifests_from_str(text, &format!("{source} (rendered)"))?;
    Ok(docs
        .into_iter()
        .filter(|d| !d.is_null())
        .map(|body| Object {
            source: source.to_string(),
            body,
        })
        .collect())
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    })
}

/// True when a document has no content (used by tests and lint).
pub fn is_empty_document(v: &Value) -> bool {
    v.is_null()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_scalar_with_separator_is_one_document() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  f: |\n    a\n    ---\n    b\n";
        let docs = documents(text, "t").unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].body["data"]["f"], "a\n---\nb\n");
    }

    #[test]
    fn empty_and_comment_documents_are_dropped() {
        let text = "---\n# only a comment\n---\n\n---\nkind: A\n---\n# c\n...\n---\nkind: B\n";
        let docs = documents(text, "t").unwrap();
        let kinds: Vec<_> = docs
            .iter()
            .map(|d| d.body["kind"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(kinds, ["A", "B"]);
        assert!(documents("# nothing\n\n", "t").unwrap().is_empty());
    }

    #[test]
    fn crlf_is_accepted() {
        let docs = documents("kind: A\r\n---\r\nkind: B\r\n", "t").unwrap();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn syntax_error_has_location() {
        let e = documents("kind: A\n---\nkind: [B\n", "templates/x.yaml.j2").unwrap_err();
        assert!(
            e.to_string().contains("templates/x.yaml.j2 (rendered):"),
            "{e}"
        );
    }
}
