//! Server-side apply, ownership checks, reading live state, and deletion.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use serde_json::Value;

use super::Cluster;
use crate::error::{Error, Result};
use crate::manifest::{
    INSTANCE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, Object, ObjectRef, RELEASE_ANNOTATION,
    RESOURCE_POLICY_ANNOTATION,
};

/// The field manager of every apply.
pub const FIELD_MANAGER: &str = "bscope-chart";

/// Live objects by identity.
pub type Live = HashMap<ObjectRef, Value>;

/// Label selector matching the objects of `release`.
pub fn release_selector(release: &str) -> String {
    format!("{MANAGED_BY_LABEL}={MANAGED_BY},{INSTANCE_LABEL}={release}")
}

/// Read the release's live objects: one label-selected list per kind of `refs`. Objects whose
/// release annotation names a release of the same name in another namespace (cluster-scoped
/// objects are listed across namespaces) are not ours and are left out.
pub async fn read_owned<'a>(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    refs: impl IntoIterator<Item = &'a ObjectRef>,
) -> Result<Live> {
    let kinds: BTreeSet<(String, String)> = refs
        .into_iter()
        .map(|r| (r.api_version(), r.kind.clone()))
        .collect();
    let selector = release_selector(release);
    let lists = futures::future::join_all(
        kinds
            .iter()
            .map(|(av, kind)| cluster.list(av, kind, namespace, Some(&selector))),
    )
    .await;
    let mut live = Live::new();
    for list in lists {
        for body in list? {
            if other_release(&body, release, namespace).is_some() {
                continue;
            }
            let obj = Object {
                source: String::new(),
                body,
            };
            live.insert(obj.id(), obj.body);
        }
    }
    Ok(live)
}

/// Why `release` in `namespace` may not touch `live`, if it may not. The labels name the
/// manager and the release; the `bscope.io/release` annotation (`namespace/name`) tells apart two
/// releases of the same name in different namespaces, which would otherwise both claim the
/// chart's cluster-scoped objects (ClusterRoles) and delete them from under each other.
pub fn foreign_owner(live: &Value, release: &str, namespace: &str) -> Option<String> {
    let labels = live.get("metadata").and_then(|m| m.get("labels"));
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    match (label(MANAGED_BY_LABEL), label(INSTANCE_LABEL)) {
        (Some(MANAGED_BY), Some(r)) if r == release => other_release(live, release, namespace)
            .map(|owner| format!("it belongs to release {owner:?}")),
        (Some(MANAGED_BY), Some(other)) => Some(format!("it belongs to release {other:?}")),
        (Some(other), _) => Some(format!("it is managed by {other:?}")),
        (None, _) => Some("it exists and is not managed by bscope-chart".to_string()),
    }
}

/// The `namespace/name` of the release annotated on `live` when it is not `namespace/release`.
fn other_release(live: &Value, release: &str, namespace: &str) -> Option<String> {
    let annotated = live
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(RELEASE_ANNOTATION))
        .and_then(Value::as_str)?;
    (annotated != format!("{namespace}/{release}")).then(|| annotated.to_string())
}

/// True when the object asks to be kept on prune and uninstall.
pub fn is_kept(body: &Value) -> bool {
    body.get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(RESOURCE_POLICY_ANNOTATION))
        .and_then(Value::as_str)
        == Some("keep")
}

/// Server-side apply one object (or dry-run it); returns the resulting object.
pub async fn apply(cluster: &Cluster, obj: &Object, dry_run: bool) -> Result<Value> {
    let id = obj.id();
    let (api, _) = cluster.api_for(&id).await?;
    let dynamic: DynamicObject = serde_json::from_value(obj.body.clone())
        .map_err(|e| Error::Cluster(format!("{id}: {e}")))?;
    let mut pp = PatchParams::apply(FIELD_MANAGER).force();
    if dry_run {
        pp = pp.dry_run();
    }
    cluster.count();
    let out = api
        .patch(&id.name, &pp, &Patch::Apply(&dynamic))
        .await
        .map_err(|e| cluster.error(&format!("applying {id} (from {})", obj.source), e))?;
    let mut v = serde_json::to_value(out).map_err(|e| Error::Cluster(format!("{id}: {e}")))?;
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), obj.api_version().into());
        m.insert("kind".into(), obj.kind().into());
    }
    Ok(v)
}

/// Result of a dry-run apply for diff.
pub enum DryRun {
    /// The object as the server would store it.
    Applied(Value),
    /// The server refuses because immutable fields change: (message, fields).
    Immutable(String, Vec<String>),
}

/// Server-side apply dry-run, telling immutable-field refusals apart from other errors.
pub async fn dry_run_apply(cluster: &Cluster, obj: &Object) -> Result<DryRun> {
    let id = obj.id();
    let (api, _) = cluster.api_for(&id).await?;
    let dynamic: DynamicObject = serde_json::from_value(obj.body.clone())
        .map_err(|e| Error::Cluster(format!("{id}: {e}")))?;
    cluster.count();
    match api
        .patch(
            &id.name,
            &PatchParams::apply(FIELD_MANAGER).force().dry_run(),
            &Patch::Apply(&dynamic),
        )
        .await
    {
        Ok(out) => {
            let mut v =
                serde_json::to_value(out).map_err(|e| Error::Cluster(format!("{id}: {e}")))?;
            if let Some(m) = v.as_object_mut() {
                m.insert("apiVersion".into(), obj.api_version().into());
                m.insert("kind".into(), obj.kind().into());
            }
            Ok(DryRun::Applied(v))
        }
        Err(kube::Error::Api(s))
            if s.code == 422
                && (s.message.contains("immutable") || s.message.contains("may not change")) =>
        {
            let mut fields: Vec<String> = s
                .details
                .as_ref()
                .map(|d| d.causes.iter().map(|c| c.field.clone()).collect())
                .unwrap_or_default();
            fields.retain(|f| !f.is_empty());
            fields.dedup();
            Ok(DryRun::Immutable(s.message.clone(), fields))
        }
        Err(e) => Err(cluster.error(&format!("dry-run applying {id} (from {})", obj.source), e)),
    }
}

/// Delete one object (background propagation). Returns false if it was already gone.
pub async fn delete(cluster: &Cluster, r: &ObjectRef) -> Result<bool> {
    let (api, _) = cluster.api_for(r).await?;
    cluster.count();
    let dp = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..Default::default()
    };
    match api.delete(&r.name, &dp).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(cluster.error(&format!("deleting {r}"), e)),
    }
}

/// True when every field of `desired` has the same value in `live` (extra fields in `live`,
/// such as server defaults, are ignored). Quantities compare by value (`0.5` = `500m`), but only
/// where Kubernetes stores quantities (see [`QUANTITY_MAPS`]): elsewhere `"1000m"` and `"1"` are
/// different strings (a ConfigMap value, an argument).
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    subset(desired, live, false)
}

/// Keys whose map values hold quantities: a container's or a claim's `resources` (`requests`,
/// `limits`, `claims`), a ResourceQuota's `hard`, a pod's `overhead`. `sizeLimit` (an emptyDir)
/// is a quantity itself.
const QUANTITY_MAPS: &[&str] = &["resources", "hard", "overhead"];

/// Unchanged detection: the object is what the previous revision applied (`before`) and the live
/// object still has every field of it, so applying it again would change nothing. Shared by
/// `upgrade` (which then skips the apply) and `diff` (which then skips the dry-run).
pub fn unchanged(desired: &Value, before: Option<&Value>, live: Option<&Value>) -> bool {
    before == Some(desired) && live.is_some_and(|l| is_subset(desired, l))
}

fn subset(desired: &Value, live: &Value, quantities: bool) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, dv)| {
            let q = quantities
                || (dv.is_object() && QUANTITY_MAPS.contains(&k.as_str()))
                || k == "sizeLimit";
            l.get(k).is_some_and(|lv| subset(dv, lv, q)) || (is_empty(dv) && !l.contains_key(k))
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| subset(a, b, quantities))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), Value::String(b)) => {
            a == b || (quantities && quantity(a).is_some_and(|q| Some(q) == quantity(b)))
        }
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => {
            quantities && quantity(b).is_some_and(|q| Some(q) == a.as_f64())
        }
        (a, b) => a == b,
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Value of a Kubernetes quantity (`500m`, `1Gi`, `2`), if `s` is one.
pub fn quantity(s: &str) -> Option<f64> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0_f64.powi(2),
        "Gi" => 1024.0_f64.powi(3),
        "Ti" => 1024.0_f64.powi(4),
        "Pi" => 1024.0_f64.powi(5),
        _ => return None,
    };
    Some(n * mult)
}

/// Group refs by kind for messages (`ConfigMap: a, b`).
pub fn summarize(refs: &[ObjectRef]) -> String {
    let mut by_kind: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in refs {
        by_kind.entry(&r.kind).or_default().push(&r.name);
    }
    by_kind
        .iter()
        .map(|(k, names)| format!("{k}: {}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_ignores_defaults_and_normalises_quantities() {
        let desired = json!({"spec": {"ports": [{"port": 80}], "n": 1,
            "resources": {"requests": {"cpu": "0.5", "memory": "1Gi"}, "limits": {"cpu": 1}}}});
        let live = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}], "n": 1.0, "x": 2,
            "resources": {"requests": {"cpu": "500m", "memory": "1024Mi"}, "limits": {"cpu": "1"}}}});
        assert!(is_subset(&desired, &live));
        assert!(!is_subset(&json!({"spec": {"n": 2}}), &live));
        assert!(!is_subset(&json!({"spec": {"ports": []}}), &live));
        assert!(is_subset(&json!({"a": {}}), &json!({})));
        let empty_dir = json!({"emptyDir": {"sizeLimit": "1Gi"}});
        assert!(is_subset(
            &empty_dir,
            &json!({"emptyDir": {"sizeLimit": "1024Mi"}})
        ));
    }

    #[test]
    fn quantity_spellings_elsewhere_are_different_values() {
        // A ConfigMap value, an argument: "1000m" is not "1", and 8080 is not "8080".
        let live = json!({"data": {"a": "1"}, "spec": {"args": ["1"], "targetPort": "8080"}});
        assert!(!is_subset(&json!({"data": {"a": "1000m"}}), &live));
        assert!(!is_subset(&json!({"spec": {"args": ["1000m"]}}), &live));
        assert!(!is_subset(&json!({"spec": {"targetPort": 8080}}), &live));
        // Nor is a string named like a quantity map: only maps under those keys hold quantities.
        assert!(!is_subset(
            &json!({"data": {"resources": "1000m"}}),
            &json!({"data": {"resources": "1"}})
        ));
    }

    #[test]
    fn unchanged_needs_the_same_manifest_and_its_fields_in_place() {
        let desired = json!({"data": {"a": "1"}});
        let live = json!({"data": {"a": "1"}, "metadata": {"resourceVersion": "3"}});
        assert!(unchanged(&desired, Some(&desired), Some(&live)));
        // The manifest changed (a removed field would be dropped by the apply).
        assert!(!unchanged(
            &desired,
            Some(&json!({"data": {"a": "1", "b": "2"}})),
            Some(&live)
        ));
        // Edited in the cluster, or gone.
        assert!(!unchanged(
            &desired,
            Some(&desired),
            Some(&json!({"data": {"a": "2"}}))
        ));
        assert!(!unchanged(&desired, Some(&desired), None));
        // First revision.
        assert!(!unchanged(&desired, None, Some(&live)));
    }

    #[test]
    fn ownership() {
        let ours =
            json!({"metadata": {"labels": {MANAGED_BY_LABEL: MANAGED_BY, INSTANCE_LABEL: "r"}}});
        assert!(foreign_owner(&ours, "r", "ns").is_none());
        assert!(
            foreign_owner(&ours, "other", "ns")
                .unwrap()
                .contains("\"r\"")
        );
        assert!(
            foreign_owner(&json!({"metadata": {}}), "r", "ns")
                .unwrap()
                .contains("not managed")
        );
        // Same release name, other namespace: a cluster-scoped object of another release.
        let mut annotated = ours.clone();
        annotated["metadata"]["annotations"] = json!({RELEASE_ANNOTATION: "a/r"});
        assert!(foreign_owner(&annotated, "r", "a").is_none());
        assert_eq!(
            foreign_owner(&annotated, "r", "b").unwrap(),
            "it belongs to release \"a/r\""
        );
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("500m"), Some(0.5));
        assert_eq!(quantity("2Gi"), quantity("2048Mi"));
        assert_eq!(quantity("abc"), None);
        assert_eq!(quantity("10x"), None);
    }
}
