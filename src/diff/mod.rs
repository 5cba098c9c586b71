//! Diff: what an upgrade (or rollback) would change, computed from the server's own view.
//!
//! Both sides come from the API server: the live object as read, and the desired object as a
//! server-side apply dry-run returns it. Server defaults and quantity spellings are therefore
//! identical on both sides and never show up as noise. This module is pure: it compares
//! objects and produces a [`Plan`]; fetching them is [`crate::ops::diff`]'s job.

pub mod drift;
pub mod normalize;
pub mod output;
pub mod secret;

use serde::Serialize;
use serde_json::Value;

use crate::manifest::ObjectRef;

/// What will happen to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Created.
    Create,
    /// Changed in place.
    Update,
    /// Deleted (it left the chart).
    Delete,
    /// Must be deleted and re-created: an immutable field changes.
    Replace,
    /// Left the chart but kept (`bscope.io/resource-policy: keep`).
    Keep,
}

/// A field changed by someone other than bscope-chart that the upgrade will revert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// The field manager that made the change (`kubectl-edit`).
    pub manager: String,
    /// Dotted paths of the fields.
    pub fields: Vec<String>,
}

/// One object's change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Kind.
    pub kind: String,
    /// `group/version`.
    pub api_version: String,
    /// Namespace, if namespaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What happens.
    pub action: Action,
    /// Changed fields (dotted paths), for updates and replaces.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Why a replace is needed (the immutable field, from the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Manual changes this update reverts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Drift>,
    /// Secret keys whose values change (values themselves are never shown unless asked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secret_keys: Vec<String>,
    /// Unified diff of the normalised YAML (masked for Secrets).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
}

impl Change {
    /// The object's identity.
    pub fn id(&self) -> ObjectRef {
        let (group, version) = crate::manifest::split_api_version(&self.api_version);
        ObjectRef {
            group: group.into(),
            version: version.into(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// Counts per action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Objects to create.
    pub create: usize,
    /// Objects to update.
    pub update: usize,
    /// Objects to delete.
    pub delete: usize,
    /// Objects to replace.
    pub replace: usize,
    /// Objects kept although they leave the chart.
    pub keep: usize,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Changes, in apply order (deletions last, in delete order).
    pub changes: Vec<Change>,
    /// Counts.
    pub summary: Summary,
}

impl Plan {
    /// Build a plan and its summary.
    pub fn new(release: &str, namespace: &str, changes: Vec<Change>) -> Plan {
        let mut summary = Summary::default();
        for c in &changes {
            match c.action {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
                Action::Replace => summary.replace += 1,
                Action::Keep => summary.keep += 1,
            }
        }
        Plan {
            release: release.into(),
            namespace: namespace.into(),
            changes,
            summary,
        }
    }

    /// True when applying would change something.
    pub fn has_changes(&self) -> bool {
        let s = &self.summary;
        s.create + s.update + s.delete + s.replace > 0
    }
}

/// Options for comparing objects.
#[derive(Debug, Clone, Copy)]
pub struct CompareOptions {
    /// Lines of context in unified diffs.
    pub context: usize,
    /// Print Secret values.
    pub show_secrets: bool,
}

fn change(id: &ObjectRef, action: Action) -> Change {
    Change {
        kind: id.kind.clone(),
        api_version: id.api_version(),
        namespace: id.namespace.clone(),
        name: id.name.clone(),
        action,
        fields: Vec::new(),
        reason: None,
        drift: Vec::new(),
        secret_keys: Vec::new(),
        diff: String::new(),
    }
}

/// Compare the live and desired versions of one object. `None` = no change.
/// `live = None` means the object will be created.
pub fn compare(
    id: &ObjectRef,
    live: Option<&Value>,
    desired: &Value,
    opts: CompareOptions,
) -> Option<Change> {
    let desired_n = normalize::normalize(desired);
    let live_n = live.map(normalize::normalize);
    if live_n.as_ref() == Some(&desired_n) {
        return None;
    }
    let (mut before, mut after) = (live_n.clone().unwrap_or(Value::Null), desired_n.clone());
    let mut c = change(
        id,
        if live.is_some() {
            Action::Update
        } else {
            Action::Create
        },
    );
    if id.kind == "Secret" && id.group.is_empty() {
        c.secret_keys = secret::changed_keys(&before, &after);
        if !opts.show_secrets {
            secret::mask_pair(&mut before, &mut after);
        }
    }
    if let Some(l) = &live_n {
        let paths = normalize::changed_paths(l, &desired_n);
        if let Some(raw_live) = live {
            c.drift = drift::explain(raw_live, &paths);
        }
        c.fields = paths.iter().map(|p| normalize::dotted(p)).collect();
    }
    c.diff = output::unified(id, live.map(|_| &before), &after, opts.context);
    Some(c)
}

/// A deletion (or a kept object, when `kept`).
pub fn deletion(id: &ObjectRef, live: &Value, kept: bool, opts: CompareOptions) -> Change {
    let mut c = change(id, if kept { Action::Keep } else { Action::Delete });
    if !kept {
        let mut before = normalize::normalize(live);
        if id.kind == "Secret" && !opts.show_secrets {
            let mut none = Value::Null;
            secret::mask_pair(&mut before, &mut none);
        }
        c.diff = output::unified_delete(id, &before, opts.context);
    }
    c
}

/// A replacement forced by an immutable field (the server's message names it).
pub fn replacement(id: &ObjectRef, reason: String, fields: Vec<String>) -> Change {
    let mut c = change(id, Action::Replace);
    c.reason = Some(reason);
    c.fields = fields;
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(kind: &str) -> ObjectRef {
        ObjectRef {
            group: String::new(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: Some("ns".into()),
            name: "x".into(),
        }
    }

    const OPTS: CompareOptions = CompareOptions {
        context: 3,
        show_secrets: false,
    };

    #[test]
    fn bookkeeping_is_not_a_change() {
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "x", "resourceVersion": "5", "uid": "u",
            "managedFields": [], "creationTimestamp": "t", "generation": 3}, "data": {"a": "1"}, "status": {"x": 1}});
        let desired = json!({"kind": "ConfigMap", "metadata": {"name": "x", "resourceVersion": "6"}, "data": {"a": "1"}});
        assert!(compare(&id("ConfigMap"), Some(&live), &desired, OPTS).is_none());
    }

    #[test]
    fn update_shows_changed_line_only() {
        let live = json!({"metadata": {"name": "x"}, "data": {"a": "1", "b": "2"}});
        let desired = json!({"metadata": {"name": "x"}, "data": {"a": "1", "b": "3"}});
        let c = compare(&id("ConfigMap"), Some(&live), &desired, OPTS).unwrap();
        assert_eq!(c.action, Action::Update);
        assert_eq!(c.fields, vec!["data.b"]);
        assert!(
            c.diff.contains("-  b: \"2\"") && c.diff.contains("+  b: \"3\""),
            "{}",
            c.diff
        );
    }

    #[test]
    fn secrets_are_masked_but_keys_named() {
        use base64::Engine as _;
        let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let live = json!({"metadata": {"name": "x"}, "data": {"password": b("old-pass"), "user": b("admin")}});
        let desired = json!({"metadata": {"name": "x"}, "data": {"password": b("new-pass"), "user": b("admin")}});
        let c = compare(&id("Secret"), Some(&live), &desired, OPTS).unwrap();
        assert_eq!(c.secret_keys, vec!["password"]);
        let text = serde_json::to_string(&c).unwrap();
        for s in ["old-pass", "new-pass", &b("old-pass"), &b("new-pass")] {
            assert!(!text.contains(s), "leaked {s}: {text}");
        }
        assert!(c.diff.contains("password"));
    }
}
