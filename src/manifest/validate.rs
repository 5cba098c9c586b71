//! Offline validation of rendered objects.
//!
//! Two levels: [`identity`] checks what every object needs (`apiVersion`, `kind`,
//! `metadata.name`), and [`schema`] checks built-in kinds against the Kubernetes 1.36 API types
//! of `k8s-openapi`. Deserializing into the typed structs through `serde_path_to_error` gives the
//! path of a wrongly typed field; `serde_ignored` catches unknown fields, which the API server
//! would otherwise drop silently (or reject under strict field validation).

use std::any::TypeId;

use k8s_openapi::api::{
    apps, autoscaling, batch, coordination, core, networking, policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::{NamespaceResourceScope, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Object;
use crate::error::Problem;

/// Facts about a built-in kind.
#[derive(Clone, Copy)]
pub struct KindInfo {
    /// Namespaced (true) or cluster-scoped.
    pub namespaced: bool,
    /// Plural resource name used in API paths (`deployments`).
    pub plural: &'static str,
    check: fn(&Value, bool) -> Vec<String>,
}

fn info<T: Resource + DeserializeOwned + 'static>() -> KindInfo
where
    T::Scope: 'static,
{
    KindInfo {
        namespaced: TypeId::of::<T::Scope>() == TypeId::of::<NamespaceResourceScope>(),
        plural: T::URL_PATH_SEGMENT,
        check: check::<T>,
    }
}

macro_rules! known_kinds {
    ($($ty:ty),* $(,)?) => {
        /// Look up a built-in kind by `apiVersion` and `kind`.
        pub fn kind_info(api_version: &str, kind: &str) -> Option<KindInfo> {
            $(
                if api_version == <$ty as Resource>::API_VERSION && kind == <$ty as Resource>::KIND {
                    return Some(info::<$ty>());
                }
            )*
            None
        }
    };
}

known_kinds!(
    core::v1::ConfigMap,
    core::v1::Secret,
    core::v1::Service,
    core::v1::ServiceAccount,
    core::v1::PersistentVolumeClaim,
    core::v1::PersistentVolume,
    core::v1::Pod,
    core::v1::Namespace,
    core::v1::LimitRange,
    core::v1::ResourceQuota,
    core::v1::Endpoints,
    core::v1::ReplicationController,
    apps::v1::Deployment,
    apps::v1::DaemonSet,
    apps::v1::StatefulSet,
    apps::v1::ReplicaSet,
    batch::v1::Job,
    batch::v1::CronJob,
    rbac::v1::ClusterRole,
    rbac::v1::ClusterRoleBinding,
    rbac::v1::Role,
    rbac::v1::RoleBinding,
    networking::v1::Ingress,
    networking::v1::IngressClass,
    networking::v1::NetworkPolicy,
    policy::v1::PodDisruptionBudget,
    autoscaling::v2::HorizontalPodAutoscaler,
    storage::v1::StorageClass,
    coordination::v1::Lease,
    scheduling::v1::PriorityClass,
    apiextensions::v1::CustomResourceDefinition,
);

/// Deserialize `value` as `T`, returning one message per problem. With `redact` (Secrets),
/// serde's message is reduced to what was expected: it would otherwise quote the offending
/// value (``invalid type: string "hunter2", expected a boolean``) or part of it (base64's
/// "Invalid symbol 45, offset 7").
///
/// Deserialization stops at the first wrongly typed field. So that one run reports every
/// problem of an object, the offending field is removed and the object checked again (a few
/// times at most); a "missing field" error caused by such a removal is not reported.
fn check<T: DeserializeOwned>(value: &Value, redact: bool) -> Vec<String> {
    const MAX_ROUNDS: usize = 16;
    let mut unknown: Vec<String> = Vec::new();
    // Almost every object is well typed: try it with only the unknown-field tracking, which is
    // cheap. Path tracking (a `String` per map key on the way down) is paid for only when an
    // object is wrongly typed and the path must be reported.
    {
        let mut record = |path: serde_ignored::Path<'_>| {
            let p = ignored_path(&path);
            if !unknown.contains(&p) {
                unknown.push(p);
            }
        };
        if T::deserialize(serde_ignored::Deserializer::new(value, &mut record)).is_ok() {
            return unknown
                .into_iter()
                .map(|p| format!("unknown field `{p}`"))
                .collect();
        }
    }
    unknown.clear();
    let mut out = Vec::new();
    let mut removed: Vec<Vec<PathSeg>> = Vec::new();
    let mut current: Option<Value> = None; // a copy, made only once an error is found
    for _ in 0..MAX_ROUNDS {
        let mut record = |path: serde_ignored::Path<'_>| {
            let p = ignored_path(&path);
            if !unknown.contains(&p) {
                unknown.push(p);
            }
        };
        let de = serde_ignored::Deserializer::new(current.as_ref().unwrap_or(value), &mut record);
        let err = match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(_) => break,
            Err(e) => e,
        };
        let path: Option<Vec<PathSeg>> = err
            .path()
            .iter()
            .map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(PathSeg::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(PathSeg::Index(*index)),
                _ => None,
            })
            .collect();
        let inner = err.inner().to_string();
        let consequence = path.as_ref().is_some_and(|p| {
            removed.iter().any(|r| {
                r.len() == p.len() + 1
                    && r.starts_with(p)
                    && matches!(r.last(), Some(PathSeg::Key(k)) if inner == format!("missing field `{k}`"))
            })
        });
        if consequence {
            break;
        }
        let shown = err.path().to_string();
        let inner = if redact {
            redact_secret_message(&inner, &shown)
        } else {
            inner
        };
        out.push(format!("`{shown}`: {inner}"));
        let Some(path) = path.filter(|p| !p.is_empty()) else {
            break;
        };
        let copy = current.get_or_insert_with(|| value.clone());
        if !remove_at(copy, &path) {
            break;
        }
        removed.push(path);
    }
    out.extend(unknown.into_iter().map(|p| format!("unknown field `{p}`")));
    out
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq)]
enum PathSeg {
    Key(String),
    Index(usize),
}

/// Remove the value at `path`; false if there is none.
fn remove_at(value: &mut Value, path: &[PathSeg]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cur = value;
    for seg in parents {
        let next = match (seg, cur) {
            (PathSeg::Key(k), Value::Object(m)) => m.get_mut(k),
            (PathSeg::Index(i), Value::Array(a)) => a.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (PathSeg::Key(k), Value::Object(m)) => m.shift_remove(k).is_some(),
        // Keep indexes stable for later messages: blank the item instead of removing it.
        (PathSeg::Index(i), Value::Array(a)) => match a.get_mut(*i) {
            Some(item) if !item.is_object() => {
                *item = Value::Object(serde_json::Map::new());
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// `spec.ports[0].protcol`, the same notation serde_path_to_error uses: serde_ignored's own
/// display (`spec.ports.0.protcol`, with `?` for every `Option`) is not what users type.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => {
            let parent = ignored_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

/// The safe part of a serde message about a Secret's field: what was expected, never what
/// was found.
fn redact_secret_message(message: &str, path: &str) -> String {
    if let Some(i) = message.find("expected") {
        format!("invalid value, {} (value hidden)", &message[i..])
    } else if path.starts_with("data.") {
        "not valid base64 (value hidden)".to_string()
    } else {
        "invalid value (value hidden)".to_string()
    }
}

/// Check that an object has the identity fields every object needs.
pub fn identity(obj: &Object) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(map) = obj.body.as_object() else {
        return vec![Problem::new(format!(
            "{}: a document is not a map (found {})",
            obj.source,
            short(&obj.body)
        ))];
    };
    for field in ["apiVersion", "kind"] {
        match map.get(field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => problems.push(Problem::new(format!(
                "{}: `{field}` must be a non-empty string",
                obj.source
            ))),
            None => problems.push(
                Problem::new(format!(
                    "{}: a document has no `{field}`{}",
                    obj.source,
                    describe(obj)
                ))
                .help("every object needs apiVersion, kind and metadata.name"),
            ),
        }
    }
    match map.get("metadata").and_then(|m| m.get("name")) {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => problems.push(
            Problem::new(format!(
                "{}: a document has no `metadata.name`{}",
                obj.source,
                describe(obj)
            ))
            .help("every object needs apiVersion, kind and metadata.name"),
        ),
    }
    problems
}

fn describe(obj: &Object) -> String {
    let (kind, name) = (obj.kind(), obj.name());
    match (kind.is_empty(), name.is_empty()) {
        (false, false) => format!(" ({kind} {name})"),
        (false, true) => format!(" ({kind})"),
        (true, false) => format!(" (named {name})"),
        (true, true) => String::new(),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}…", &s[..s.floor_char_boundary(40)])
    } else {
        s
    }
}

/// Validate a built-in object against its API type. Kinds we do not know (custom resources)
/// pass: the API server validates them against their CRD at dry-run time.
pub fn schema(obj: &Object) -> Vec<Problem> {
    let Some(info) = kind_info(obj.api_version(), obj.kind()) else {
        return Vec::new();
    };
    // Secret values must not reach error output (CI logs); other kinds keep the value, which
    // is what makes a wrong type obvious.
    let redact = obj.kind() == "Secret";
    (info.check)(&obj.body, redact)
        .into_iter()
        .map(|msg| {
            Problem::new(format!(
                "{}: {} {}: {msg}",
                obj.source,
                obj.kind(),
                obj.name()
            ))
            .help("compare with `kubectl explain` for this kind (Kubernetes 1.36 API)")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn o(body: Value) -> Object {
        Object {
            source: "templates/t.yaml.j2".into(),
            body,
        }
    }

    #[test]
    fn valid_deployment_passes() {
        let d = o(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}]}}}}),
        );
        assert!(schema(&d).is_empty(), "{:?}", schema(&d));
    }

    #[test]
    fn unknown_field_and_wrong_type_are_reported() {
        let d = o(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replicas": "three", "selectr": {}}}),
        );
        let text: Vec<String> = schema(&d).into_iter().map(|p| p.message).collect();
        assert!(text.iter().any(|t| t.contains("spec.replicas")), "{text:?}");
        let d = o(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
            "spec": {"ports": [{"port": 80, "protcol": "TCP"}]}}),
        );
        let text: Vec<String> = schema(&d).into_iter().map(|p| p.message).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("unknown field `spec.ports[0].protcol`")),
            "{text:?}"
        );
    }

    #[test]
    fn every_problem_of_an_object_is_reported() {
        let d = o(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
            "spec": {"ports": [{"port": "eighty", "protcol": "TCP"}, {"port": 81, "name": 5}],
                     "selector": "app", "typo": 1}}),
        );
        let text: Vec<String> = schema(&d).into_iter().map(|p| p.message).collect();
        for want in [
            "`spec.ports[0].port`: invalid type",
            "`spec.ports[1].name`: invalid type",
            "`spec.selector`: invalid type",
            "unknown field `spec.ports[0].protcol`",
            "unknown field `spec.typo`",
        ] {
            assert!(
                text.iter().any(|t| t.contains(want)),
                "{want} missing: {text:?}"
            );
        }
        // Removing `port` to continue must not add "missing field `port`".
        assert!(
            !text.iter().any(|t| t.contains("missing field")),
            "{text:?}"
        );
    }

    #[test]
    fn missing_kind_names_template() {
        let p = identity(&o(json!({"apiVersion": "v1", "metadata": {"name": "x"}})));
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("templates/t.yaml.j2") && p[0].message.contains("`kind`"));
    }

    #[test]
    fn secret_values_are_not_quoted_in_errors() {
        let s = o(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"},
            "immutable": "hunter2", "data": {"pw": "not base64!"}}),
        );
        let text: Vec<String> = schema(&s).into_iter().map(|p| p.message).collect();
        assert!(!text.is_empty());
        assert!(text.iter().all(|t| !t.contains("hunter2")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("`immutable`")), "{text:?}");
        // Other kinds keep the value: it is what makes the mistake obvious.
        let c = o(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "immutable": "yes"}),
        );
        assert!(schema(&c)[0].message.contains("\"yes\""));
        let d = o(
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"},
            "data": {"pw": "abc-def"}}),
        );
        let text = schema(&d)[0].message.clone();
        assert!(
            text.contains("`data.pw`: not valid base64 (value hidden)"),
            "{text}"
        );
    }

    #[test]
    fn scope() {
        assert!(kind_info("v1", "ConfigMap").unwrap().namespaced);
        assert!(
            !kind_info("rbac.authorization.k8s.io/v1", "ClusterRole")
                .unwrap()
                .namespaced
        );
        assert!(kind_info("example.com/v1", "Widget").is_none());
    }
}
