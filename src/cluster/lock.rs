//! The release lock: a `coordination.k8s.io/v1` Lease per release.
//!
//! Every mutating verb takes it first. A second operation fails at once, naming the holder and
//! when the lease expires. The holder renews it while working; after a crash nobody renews it,
//! it expires by itself, and the next operation may take it over. So a release can never be
//! wedged the way Helm's `pending-upgrade` wedges it.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use tokio::task::JoinHandle;

use super::Cluster;
use crate::error::{Error, Result};

/// Lease duration in seconds; `BSCOPE_LOCK_SECONDS` overrides it (tests use a short one).
pub fn lease_seconds() -> i32 {
    std::env::var("BSCOPE_LOCK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s >= 2)
        .unwrap_or(15)
}

/// Name of the Lease guarding `release`.
pub fn lease_name(release: &str) -> String {
    format!("bscope.lock.{release}")
}

/// A held lock; renewed in the background until [`release`](Self::release)d or dropped.
pub struct ReleaseLock {
    cluster: Cluster,
    namespace: String,
    name: String,
    holder: String,
    renewer: JoinHandle<()>,
}

fn holder_identity() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    let mut r = [0u8; 4];
    let _ = getrandom::fill(&mut r);
    format!("{host}/pid-{}/{}", std::process::id(), hex::encode(r))
}

fn now() -> MicroTime {
    MicroTime(jiff::Timestamp::now())
}

/// Take the lock of `release` in `namespace`, or fail at once naming the holder.
pub async fn acquire(cluster: &Cluster, namespace: &str, release: &str) -> Result<ReleaseLock> {
    let api: Api<Lease> = Api::namespaced(cluster.client(), namespace);
    let name = lease_name(release);
    let holder = holder_identity();
    let secs = lease_seconds();
    let spec = serde_json::json!({
        "holderIdentity": holder, "leaseDurationSeconds": secs,
        "acquireTime": now(), "renewTime": now(),
    });
    cluster.count();
    let existing = api
        .get_opt(&name)
        .await
        .map_err(|e| cluster.error(&format!("reading lock {namespace}/{name}"), e))?;
    let taken = match existing {
        None => {
            let lease: Lease = serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "namespace": namespace,
                             "labels": {"app.kubernetes.io/managed-by": "bscope-chart", "bscope.io/release": release}},
                "spec": spec,
            }))
            .map_err(|e| Error::Cluster(e.to_string()))?;
            cluster.count();
            api.create(&PostParams::default(), &lease).await
        }
        Some(lease) => {
            if let Some(err) = held_by_other(&lease, release) {
                return Err(err);
            }
            // Expired or released: take it over, guarded by resourceVersion so that two
            // contenders cannot both win.
            let mut lease = lease;
            lease.spec =
                Some(serde_json::from_value(spec).map_err(|e| Error::Cluster(e.to_string()))?);
            cluster.count();
            api.replace(&name, &PostParams::default(), &lease).await
        }
    };
    match taken {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 409 => {
            // Lost a race: report whoever won.
            cluster.count();
            if let Ok(Some(lease)) = api.get_opt(&name).await
                && let Some(err) = held_by_other(&lease, release)
            {
                return Err(err);
            }
            return Err(Error::Cluster(format!(
                "release {release} is locked: another operation took the lock at the same moment\n  = help: wait for it to finish, then run the command again"
            )));
        }
        Err(e) => return Err(cluster.error(&format!("taking lock {namespace}/{name}"), e)),
    }
    let renewer = spawn_renewer(cluster.clone(), api, name.clone(), secs);
    Ok(ReleaseLock {
        cluster: cluster.clone(),
        namespace: namespace.to_string(),
        name,
        holder,
        renewer,
    })
}

fn held_by_other(lease: &Lease, release: &str) -> Option<Error> {
    let spec = lease.spec.as_ref()?;
    let holder = spec.holder_identity.as_deref().filter(|h| !h.is_empty())?;
    let renewed = spec.renew_time.as_ref().map(|t| t.0)?;
    let secs = i64::from(spec.lease_duration_seconds.unwrap_or(15));
    let expires = renewed
        .checked_add(jiff::SignedDuration::from_secs(secs))
        .ok()?;
    let now = jiff::Timestamp::now();
    (expires > now).then(|| {
        let left = (expires - now).get_seconds().max(1);
        Error::Cluster(format!(
            "release {release} is locked by {holder} until {} ({left}s from now)\n  = help: another bscope-chart operation is running; wait for it. If it crashed, the lock expires by itself",
            expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        ))
    })
}

fn spawn_renewer(cluster: Cluster, api: Api<Lease>, name: String, secs: i32) -> JoinHandle<()> {
    let period = Duration::from_millis((u64::try_from(secs).unwrap_or(15) * 1000) / 3);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            cluster.count();
            let patch = serde_json::json!({"spec": {"renewTime": now()}});
            if let Err(e) = api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                eprintln!("warning: could not renew lock {name}: {e}");
            }
        }
    })
}

impl ReleaseLock {
    /// The holder identity we wrote.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Stop renewing and delete the Lease (only if we still hold it).
    pub async fn release(self) -> Result<()> {
        self.renewer.abort();
        let api: Api<Lease> = Api::namespaced(self.cluster.client(), &self.namespace);
        self.cluster.count();
        let current = api.get_opt(&self.name).await.ok().flatten();
        let ours = current
            .as_ref()
            .and_then(|l| l.spec.as_ref())
            .and_then(|s| s.holder_identity.as_deref())
            .is_some_and(|h| h == self.holder);
        if ours {
            self.cluster.count();
            let dp = DeleteParams {
                preconditions: current
                    .as_ref()
                    .and_then(|l| l.metadata.resource_version.clone())
                    .map(|rv| kube::api::Preconditions {
                        resource_version: Some(rv),
                        uid: None,
                    }),
                ..Default::default()
            };
            if let Err(e) = api.delete(&self.name, &dp).await
                && !matches!(&e, kube::Error::Api(s) if s.code == 404 || s.code == 409)
            {
                return Err(self.cluster.error(
                    &format!("releasing lock {}/{}", self.namespace, self.name),
                    e,
                ));
            }
        }
        Ok(())
    }
}

impl Drop for ReleaseLock {
    fn drop(&mut self) {
        self.renewer.abort();
    }
}
