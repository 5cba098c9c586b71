//! Kubernetes objects as bscope-chart handles them: identity, install order, ownership metadata.

pub mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Label every object of a release carries: who manages it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "bscope-chart";
/// Label naming the release (instance) an object belongs to.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Annotation naming the owning release as `namespace/name`.
pub const RELEASE_ANNOTATION: &str = "bscope.io/release";
/// Annotation that protects an object from pruning and uninstall when set to `keep`.
pub const RESOURCE_POLICY_ANNOTATION: &str = "bscope.io/resource-policy";

/// Identity of an object: enough to find it again on the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// API group, empty for the core group.
    pub group: String,
    /// API version within the group (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Namespace, absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// `group/version` or just `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Split `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// One rendered object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The template it came from (`templates/loki.yaml.j2`).
    pub source: String,
    /// The object as JSON. Guaranteed to be a map with string `apiVersion`, `kind` and
    /// `metadata.name` once it has passed [`validate::identity`].
    pub body: Value,
}

impl Object {
    fn str_at(&self, path: &[&str]) -> &str {
        let mut cur = &self.body;
        for p in path {
            match cur.get(p) {
                Some(v) => cur = v,
                None => return "",
            }
        }
        cur.as_str().unwrap_or("")
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.str_at(&["apiVersion"])
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        self.str_at(&["kind"])
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.str_at(&["metadata", "name"])
    }

    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        Some(self.str_at(&["metadata", "namespace"])).filter(|s| !s.is_empty())
    }

    /// The object's identity.
    pub fn id(&self) -> ObjectRef {
        let (group, version) = split_api_version(self.api_version());
        ObjectRef {
            group: group.to_string(),
            version: version.to_string(),
            kind: self.kind().to_string(),
            namespace: self.namespace().map(str::to_string),
            name: self.name().to_string(),
        }
    }

    /// Mutable `metadata` map, created if missing.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        let Value::Object(body) = &mut self.body else {
            unreachable!("objects are maps once validated")
        };
        let meta = body
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        meta.as_object_mut().expect("just made a map")
    }

    /// Set `metadata.<field>.<key> = value` (labels or annotations).
    pub fn set_meta_entry(&mut self, field: &str, key: &str, value: &str) {
        let meta = self.metadata_mut();
        let map = meta
            .entry(field)
            .or_insert_with(|| Value::Object(Map::new()));
        if !map.is_object() {
            *map = Value::Object(Map::new());
        }
        if let Value::Object(m) = map {
            m.insert(key.to_string(), Value::String(value.to_string()));
        }
    }

    /// `metadata.<field>.<key>` (labels or annotations), if set.
    pub fn meta_entry(&self, field: &str, key: &str) -> Option<&str> {
        self.body.get("metadata")?.get(field)?.get(key)?.as_str()
    }
}

/// Helm's install order: things others depend on first. Unknown kinds (custom resources) go
/// last, after the controllers that may serve them.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Position of a kind in install order.
pub fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

/// Sort objects into install order; ties are broken by identity so the order is total and
/// the output deterministic.
pub fn sort_for_install(objects: &mut [Object]) {
    objects.sort_by_cached_key(|o| (install_rank(o.kind()), o.kind().to_string(), o.id()));
}

/// Sort object references into deletion order (reverse install order).
pub fn sort_for_delete(refs: &mut [ObjectRef]) {
    refs.sort_by(|a, b| {
        (install_rank(&b.kind), &b.kind, b).cmp(&(install_rank(&a.kind), &a.kind, a))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(kind: &str, name: &str) -> Object {
        Object {
            source: "t".into(),
            body: json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
        }
    }

    #[test]
    fn install_order_puts_config_before_workloads() {
        let mut objs = vec![
            obj("Deployment", "a"),
            obj("Widget", "w"),
            obj("ConfigMap", "b"),
            obj("ServiceAccount", "c"),
        ];
        sort_for_install(&mut objs);
        let kinds: Vec<_> = objs.iter().map(Object::kind).collect();
        assert_eq!(
            kinds,
            ["ServiceAccount", "ConfigMap", "Deployment", "Widget"]
        );
    }

    #[test]
    fn delete_order_is_reverse() {
        let mut refs = vec![obj("ConfigMap", "b").id(), obj("Deployment", "a").id()];
        sort_for_delete(&mut refs);
        assert_eq!(refs[0].kind, "Deployment");
    }

    #[test]
    fn identity() {
        let o = Object {
            source: "t".into(),
            body: json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "n"}}),
        };
        assert_eq!(o.id().to_string(), "Deployment n/x");
        assert_eq!(o.id().group, "apps");
    }
}
