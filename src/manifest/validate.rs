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
    check: fn(&Value) -> Vec<String>,
}

fn info<T: Resource + DeserializeOwned + 'static>() -> KindInfo
where
    T::Scope: 'static,
{
    KindInfo {
        namespaced: TypeId::of::<T::Scope>() == TypeId::of::<NamespaceResourceScope>(),
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

fn check<T: DeserializeOwned>(value: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    // serde_ignored renders `Option` layers as `?` segments; users think in field paths.
    let mut record = |path: serde_ignored::Path<'_>| {
        let p = path.to_string();
        unknown.push(
            p.split('.')
                .filter(|s| *s != "?")
                .collect::<Vec<_>>()
                .join("."),
        );
    };
    let de = serde_ignored::Deserializer::new(value, &mut record);
    let mut out: Vec<String> = match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(_) => Vec::new(),
        Err(e) => vec![format!("`{}`: {}", e.path(), e.inner())],
    };
    out.extend(unknown.into_iter().map(|p| format!("unknown field `{p}`")));
    out
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
    (info.check)(&obj.body)
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
                .any(|t| t.contains("unknown field `spec.ports.0.protcol`")),
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
