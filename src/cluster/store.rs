//! Release records as Secrets: one per revision, in the release namespace.
//!
//! Name `bscope.release.v1.<release>.v<revision>`, type `bscope.io/release.v1`, labels for
//! selection and a glance with kubectl; the `release` data key holds gzip(JSON) of the record.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};

use super::Cluster;
use crate::error::{Error, Result};
use crate::manifest::{MANAGED_BY, MANAGED_BY_LABEL};
use crate::release::ReleaseRecord;

/// Secret type of release records.
pub const SECRET_TYPE: &str = "bscope.io/release.v1";
/// Label naming the release.
pub const RELEASE_LABEL: &str = "bscope.io/release";
/// Label holding the revision number.
pub const REVISION_LABEL: &str = "bscope.io/revision";
/// Label mirroring the record's status.
pub const STATUS_LABEL: &str = "bscope.io/status";
/// Largest encoded record we store. The API server refuses Secrets over 1 MiB; keep a margin
/// for the object's metadata and base64 framing.
pub const MAX_RECORD_BYTES: usize = 1_000_000;

/// Secret name of a revision.
pub fn secret_name(release: &str, revision: u32) -> String {
    format!("bscope.release.v1.{release}.v{revision}")
}

/// Refuse, before the cluster is touched, a record that could not be stored.
pub fn check_size(record: &ReleaseRecord) -> Result<Vec<u8>> {
    let bytes = record.encode()?;
    if bytes.len() > MAX_RECORD_BYTES {
        return Err(Error::Cluster(format!(
            "release {} revision {}: the record is {} bytes compressed, over the {MAX_RECORD_BYTES}-byte Secret limit; nothing was changed\n  = help: move large files (dashboards) out of values, or reduce the chart",
            record.name,
            record.revision,
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Release records of one namespace.
pub struct Store<'c> {
    cluster: &'c Cluster,
    namespace: String,
}

impl<'c> Store<'c> {
    /// Records in `namespace`.
    pub fn new(cluster: &'c Cluster, namespace: &str) -> Self {
        Store {
            cluster,
            namespace: namespace.to_string(),
        }
    }

    fn api(&self) -> Api<Secret> {
        Api::namespaced(self.cluster.client(), &self.namespace)
    }

    /// Every revision of `release`, sorted by revision. Records that fail to decode are errors
    /// (never silently skipped: a skipped record would let us reuse its revision number).
    pub async fn history(&self, release: &str) -> Result<Vec<ReleaseRecord>> {
        self.query(
            &format!("{MANAGED_BY_LABEL}={MANAGED_BY},{RELEASE_LABEL}={release}"),
            &self.api(),
        )
        .await
    }

    /// Every record of every release in `namespace` (`None`: all namespaces).
    pub async fn all(cluster: &Cluster, namespace: Option<&str>) -> Result<Vec<ReleaseRecord>> {
        let api: Api<Secret> = match namespace {
            Some(ns) => Api::namespaced(cluster.client(), ns),
            None => Api::all(cluster.client()),
        };
        let store = Store {
            cluster,
            namespace: namespace.unwrap_or("").to_string(),
        };
        store
            .query(
                &format!("{MANAGED_BY_LABEL}={MANAGED_BY},{RELEASE_LABEL}"),
                &api,
            )
            .await
    }

    async fn query(&self, selector: &str, api: &Api<Secret>) -> Result<Vec<ReleaseRecord>> {
        self.cluster.count();
        let list = api
            .list(&ListParams::default().labels(selector))
            .await
            .map_err(|e| {
                let place = if self.namespace.is_empty() {
                    "all namespaces".to_string()
                } else {
                    format!("namespace {}", self.namespace)
                };
                self.cluster
                    .error(&format!("reading release records in {place}"), e)
            })?;
        let mut out = Vec::new();
        for s in list.items {
            if s.type_.as_deref() != Some(SECRET_TYPE) {
                continue;
            }
            let name = s.metadata.name.clone().unwrap_or_default();
            let what = format!(
                "Secret {}/{name}",
                s.metadata.namespace.clone().unwrap_or_default()
            );
            let data = s
                .data
                .as_ref()
                .and_then(|d| d.get("release"))
                .ok_or_else(|| {
                    Error::Cluster(format!("{what}: release record has no `release` key"))
                })?;
            out.push(ReleaseRecord::decode(&data.0, &what)?);
        }
        out.sort_by(|a, b| {
            (&a.namespace, &a.name, a.revision).cmp(&(&b.namespace, &b.name, b.revision))
        });
        Ok(out)
    }

    fn secret(record: &ReleaseRecord, bytes: Vec<u8>) -> Secret {
        let labels = BTreeMap::from([
            (MANAGED_BY_LABEL.to_string(), MANAGED_BY.to_string()),
            (RELEASE_LABEL.to_string(), record.name.clone()),
            (REVISION_LABEL.to_string(), record.revision.to_string()),
            (STATUS_LABEL.to_string(), record.status.as_str().to_string()),
        ]);
        Secret {
            metadata: kube::api::ObjectMeta {
                name: Some(secret_name(&record.name, record.revision)),
                namespace: Some(record.namespace.clone()),
                labels: Some(labels),
                ..Default::default()
            },
            type_: Some(SECRET_TYPE.to_string()),
            data: Some(BTreeMap::from([("release".to_string(), ByteString(bytes))])),
            ..Default::default()
        }
    }

    /// Write a new revision. Fails if that revision already exists (a concurrent writer).
    pub async fn create(&self, record: &ReleaseRecord) -> Result<()> {
        let bytes = check_size(record)?;
        self.cluster.count();
        self.api()
            .create(&PostParams::default(), &Self::secret(record, bytes))
            .await
            .map(|_| ())
            .map_err(|e| {
                self.cluster.error(
                    &format!(
                        "writing release {} revision {}",
                        record.name, record.revision
                    ),
                    e,
                )
            })
    }

    /// Overwrite an existing revision (status changes).
    pub async fn update(&self, record: &ReleaseRecord) -> Result<()> {
        let bytes = check_size(record)?;
        let secret = Self::secret(record, bytes);
        self.cluster.count();
        self.api()
            .patch(
                &secret_name(&record.name, record.revision),
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({
                    "metadata": {"labels": secret.metadata.labels},
                    "data": secret.data,
                })),
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                self.cluster.error(
                    &format!(
                        "updating release {} revision {}",
                        record.name, record.revision
                    ),
                    e,
                )
            })
    }

    /// Delete one revision's record.
    pub async fn delete(&self, release: &str, revision: u32) -> Result<()> {
        self.cluster.count();
        match self
            .api()
            .delete(&secret_name(release, revision), &DeleteParams::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(self.cluster.error(
                &format!("deleting release {release} revision {revision}"),
                e,
            )),
        }
    }
}
