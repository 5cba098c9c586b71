//! The `lookup` template function against a live cluster.

use kube::core::GroupVersionKind;

use super::Cluster;
use crate::manifest::ObjectRef;
use crate::render::Lookup;

/// Reads live objects for templates during install, upgrade and diff.
pub struct LiveLookup {
    cluster: Cluster,
    runtime: tokio::runtime::Handle,
}

impl LiveLookup {
    /// Use `cluster` from inside the given runtime (rendering is synchronous, so each lookup
    /// blocks on the runtime from a blocking-capable thread).
    pub fn new(cluster: Cluster, runtime: tokio::runtime::Handle) -> Self {
        LiveLookup { cluster, runtime }
    }
}

impl Lookup for LiveLookup {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> std::result::Result<Option<serde_json::Value>, String> {
        let gvk = GroupVersionKind::gvk(
            crate::manifest::split_api_version(api_version).0,
            crate::manifest::split_api_version(api_version).1,
            kind,
        );
        let r = ObjectRef {
            group: gvk.group,
            version: gvk.version,
            kind: gvk.kind,
            namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
            name: name.to_string(),
        };
        let cluster = self.cluster.clone();
        tokio::task::block_in_place(|| self.runtime.block_on(async move { cluster.get(&r).await }))
            .map_err(|e| e.to_string())
    }
}
