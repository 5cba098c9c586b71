//! Everything that talks to the Kubernetes API. The only module that imports `kube`.
//!
//! [`Cluster`] wraps a client and counts requests (the performance targets are stated in API
//! requests, and the benchmarks print them). Errors are turned into messages that name the
//! object and say what to do: an unreachable server, a forbidden request, an invalid object.

pub mod apply;
pub mod lock;
pub mod lookup;
pub mod store;
pub mod wait;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::{Client, Config};
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::manifest::ObjectRef;
use crate::manifest::validate::kind_info;

/// How to reach the cluster (kubectl's conventions).
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`; else `$KUBECONFIG`, `~/.kube/config`, in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context`; else the kubeconfig's current context.
    pub context: Option<String>,
}

/// A resolved kind: where its objects live in the API.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Group/version/kind/plural.
    pub resource: ApiResource,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
}

/// A connected cluster.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
    server: String,
    requests: Arc<AtomicUsize>,
    kinds: Arc<Mutex<HashMap<(String, String), Resolved>>>,
}

impl Cluster {
    /// Build a client from kubeconfig (no request is made yet).
    pub async fn connect(opts: &ConnectOptions) -> Result<Cluster> {
        let kube_opts = KubeConfigOptions {
            context: opts.context.clone(),
            ..Default::default()
        };
        let config = match &opts.kubeconfig {
            Some(path) => {
                let kc = Kubeconfig::read_from(path)
                    .map_err(|e| Error::Cluster(format!("cannot read kubeconfig {}: {e}", path.display())))?;
                Config::from_custom_kubeconfig(kc, &kube_opts).await.map_err(|e| {
                    Error::Cluster(format!("kubeconfig {}: {e}", path.display()))
                })?
            }
            None if opts.context.is_some() => Config::from_kubeconfig(&kube_opts)
                .await
                .map_err(|e| Error::Cluster(format!("kubeconfig: {e}")))?,
            None => Config::infer().await.map_err(|e| {
                Error::Cluster(format!(
                    "no cluster configured: {e}\n  = help: set KUBECONFIG or pass --kubeconfig (for the local test cluster: `make cluster-up`)"
                ))
            })?,
        };
        let mut config = config;
        config.connect_timeout = Some(Duration::from_secs(5));
        config.read_timeout = Some(Duration::from_secs(60));
        let server = config.cluster_url.to_string();
        let client = Client::try_from(config)
            .map_err(|e| Error::Cluster(format!("cannot build a client for {server}: {e}")))?;
        Ok(Cluster {
            client,
            server,
            requests: Arc::default(),
            kinds: Arc::default(),
        })
    }

    /// The underlying client (for typed APIs in this module).
    pub(crate) fn client(&self) -> Client {
        self.client.clone()
    }

    /// Count one API request.
    pub(crate) fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// API requests made so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Translate a kube error into a clear message about `what` (an object, a release).
    pub fn error(&self, what: &str, e: kube::Error) -> Error {
        match e {
            kube::Error::Api(status) => {
                let hint = match status.code {
                    401 => "check the credentials in your kubeconfig",
                    403 => {
                        "your user lacks RBAC permission for this; ask for a Role that allows it"
                    }
                    404 => "it does not exist (or its kind is not served by this cluster)",
                    409 => "someone changed it concurrently; run the command again",
                    422 => {
                        "the API server rejected the object as invalid; fix the template or values"
                    }
                    _ => "see the API server's message above",
                };
                Error::Cluster(format!(
                    "{what}: {} ({} {})\n  = help: {hint}",
                    status.message, status.code, status.reason
                ))
            }
            other => Error::Cluster(format!(
                "{what}: cannot reach the Kubernetes API server at {}: {other}\n  = help: is the cluster running? check KUBECONFIG / --kubeconfig (local cluster: `make cluster-up`)",
                self.server
            )),
        }
    }

    /// Where objects of `api_version`/`kind` live. Built-in kinds resolve offline; others by
    /// discovery (once per kind).
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<Resolved> {
        let key = (api_version.to_string(), kind.to_string());
        if let Some(r) = self.kinds.lock().await.get(&key) {
            return Ok(r.clone());
        }
        let (group, version) = crate::manifest::split_api_version(api_version);
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let resolved = if let Some(info) = kind_info(api_version, kind) {
            Resolved {
                resource: ApiResource::from_gvk_with_plural(&gvk, info.plural),
                namespaced: info.namespaced,
            }
        } else {
            self.count();
            let (resource, caps) = kube::discovery::pinned_kind(&self.client, &gvk).await.map_err(|e| {
                match e {
                    kube::Error::Api(_) | kube::Error::Discovery(_) => Error::Cluster(format!(
                        "kind {kind} ({api_version}) is not served by this cluster\n  = help: install its CRD first, or check the apiVersion"
                    )),
                    other => self.error(&format!("discovering {kind} ({api_version})"), other),
                }
            })?;
            Resolved {
                resource,
                namespaced: caps.scope == kube::discovery::Scope::Namespaced,
            }
        };
        self.kinds.lock().await.insert(key, resolved.clone());
        Ok(resolved)
    }

    /// A dynamic API handle for objects of a resolved kind in `namespace`.
    pub fn dynamic(&self, r: &Resolved, namespace: Option<&str>) -> Api<DynamicObject> {
        match (r.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &r.resource),
            (true, None) => Api::all_with(self.client.clone(), &r.resource),
            (false, _) => Api::all_with(self.client.clone(), &r.resource),
        }
    }

    /// A dynamic API handle for one object reference.
    pub async fn api_for(&self, r: &ObjectRef) -> Result<(Api<DynamicObject>, Resolved)> {
        let resolved = self.resolve(&r.api_version(), &r.kind).await?;
        Ok((self.dynamic(&resolved, r.namespace.as_deref()), resolved))
    }

    /// List objects of one kind (in `namespace` when namespaced), optionally label-selected.
    pub async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        selector: Option<&str>,
    ) -> Result<Vec<serde_json::Value>> {
        let resolved = self.resolve(api_version, kind).await?;
        let api = self.dynamic(&resolved, Some(namespace));
        let mut lp = ListParams::default();
        if let Some(s) = selector {
            lp = lp.labels(s);
        }
        self.count();
        let list = api
            .list(&lp)
            .await
            .map_err(|e| self.error(&format!("listing {kind} in {namespace}"), e))?;
        list.items
            .into_iter()
            .map(|mut o| {
                o.types = Some(kube::core::TypeMeta {
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                });
                serde_json::to_value(o).map_err(|e| Error::Cluster(format!("decoding {kind}: {e}")))
            })
            .collect()
    }

    /// Get one object, `None` if absent.
    pub async fn get(&self, r: &ObjectRef) -> Result<Option<serde_json::Value>> {
        let (api, _) = self.api_for(r).await?;
        self.count();
        match api.get_opt(&r.name).await {
            Ok(Some(mut o)) => {
                o.types = Some(kube::core::TypeMeta {
                    api_version: r.api_version(),
                    kind: r.kind.clone(),
                });
                Ok(Some(serde_json::to_value(o).map_err(|e| {
                    Error::Cluster(format!("decoding {r}: {e}"))
                })?))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.error(&format!("reading {r}"), e)),
        }
    }

    /// Check the server answers (one cheap request), for a clear early error.
    pub async fn ping(&self) -> Result<String> {
        self.count();
        let v = self
            .client
            .apiserver_version()
            .await
            .map_err(|e| self.error("connecting", e))?;
        Ok(v.git_version)
    }

    /// Ensure a namespace exists (`--create-namespace`). Not part of any release.
    pub async fn ensure_namespace(&self, name: &str) -> Result<()> {
        use k8s_openapi::api::core::v1::Namespace;
        let api: Api<Namespace> = Api::all(self.client.clone());
        self.count();
        if api
            .get_opt(name)
            .await
            .map_err(|e| self.error(&format!("reading namespace {name}"), e))?
            .is_some()
        {
            return Ok(());
        }
        let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}}))
            .map_err(|e| Error::Cluster(e.to_string()))?;
        self.count();
        match api.create(&Default::default(), &ns).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
            Err(e) => Err(self.error(&format!("creating namespace {name}"), e)),
        }
    }

    /// Fail early, with advice, when the release namespace is missing.
    pub async fn require_namespace(&self, name: &str) -> Result<()> {
        use k8s_openapi::api::core::v1::Namespace;
        let api: Api<Namespace> = Api::all(self.client.clone());
        self.count();
        match api.get_opt(name).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(Error::Cluster(format!(
                "namespace {name} does not exist\n  = help: pass --create-namespace, or -n NAMESPACE"
            ))),
            Err(e) => Err(self.error(&format!("reading namespace {name}"), e)),
        }
    }
}
