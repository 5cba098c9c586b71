//! `rollback`: re-deploy a stored revision's manifest as a new revision.

use super::deploy::{self, DeploySettings};
use super::install::Deployed;
use crate::cluster::store::Store;
use crate::cluster::{Cluster, ConnectOptions};
use crate::error::{Error, Result};
use crate::release::{ReleaseRecord, Status, history};

/// Options of `rollback`.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// Release name.
    pub release: String,
    /// Namespace.
    pub namespace: String,
    /// Target revision; `None` = the one before the current.
    pub revision: Option<u32>,
    /// Cluster access.
    pub connect: ConnectOptions,
    /// Wait/history settings (`atomic` is ignored).
    pub settings: DeploySettings,
    /// Only validate server-side.
    pub dry_run: bool,
}

/// Pick the rollback target: the given revision, or the newest revision before the current.
pub fn target(
    records: &[ReleaseRecord],
    revision: Option<u32>,
    release: &str,
) -> Result<ReleaseRecord> {
    let current = history::current(records).ok_or_else(|| {
        Error::Cluster(format!(
            "release {release} has no history\n  = help: check the name and -n NAMESPACE"
        ))
    })?;
    let wanted = match revision {
        Some(r) => r,
        None => records
            .iter()
            .filter(|r| r.revision < current.revision)
            .map(|r| r.revision)
            .max()
            .ok_or_else(|| {
                Error::Cluster(format!(
                    "release {release} has no revision before {} to roll back to",
                    current.revision
                ))
            })?,
    };
    records.iter().find(|r| r.revision == wanted).cloned().ok_or_else(|| {
        let have: Vec<String> = records.iter().map(|r| r.revision.to_string()).collect();
        Error::Cluster(format!(
            "release {release} has no revision {wanted} (stored revisions: {})\n  = help: see `bscope-chart history {release}`",
            have.join(", ")
        ))
    })
}

/// Roll back.
pub async fn rollback(opts: &RollbackOptions) -> Result<Deployed> {
    let cluster = Cluster::connect(&opts.connect).await?;
    let (name, ns) = (&opts.release, &opts.namespace);
    let work = async {
        let store = Store::new(&cluster, ns);
        let mut records = store.history(name).await?;
        deploy::recover_interrupted(&cluster, &mut records).await?;
        let target = target(&records, opts.revision, name)?;
        let current = history::latest(&records).cloned();
        let objects = deploy::record_objects(&target)?;
        let prev_ids = current
            .as_ref()
            .map(|c| c.inventory.clone())
            .unwrap_or_default();
        let live = deploy::preflight(&cluster, name, ns, &objects, &prev_ids, true).await?;
        let record = ReleaseRecord {
            revision: history::next_revision(&records),
            status: Status::PendingRollback,
            description: format!("Rollback to {}", target.revision),
            last_deployed: jiff::Timestamp::now(),
            ..target.clone()
        };
        if opts.dry_run {
            deploy::dry_run(&cluster, &objects).await?;
            return Ok((record, Default::default()));
        }
        let settings = DeploySettings {
            atomic: false,
            ..opts.settings.clone()
        };
        let desc = format!("Rollback to {}", target.revision);
        deploy::deploy(
            &cluster,
            &records,
            record,
            &objects,
            current.as_ref(),
            &live,
            &settings,
            &desc,
        )
        .await
    };
    let (record, outcome) = deploy::with_lock(&cluster, ns, name, opts.dry_run, work).await?;
    Ok(Deployed {
        record,
        outcome,
        dry_run: opts.dry_run,
        requests: cluster.requests(),
    })
}
