//! `history`: every stored revision of a release.

use crate::cluster::store::Store;
use crate::cluster::{Cluster, ConnectOptions};
use crate::error::{Error, Result};
use crate::release::ReleaseRecord;

/// All revisions of `release`, oldest first; an error if there are none.
pub async fn history(
    connect: &ConnectOptions,
    release: &str,
    namespace: &str,
) -> Result<Vec<ReleaseRecord>> {
    let cluster = Cluster::connect(connect).await?;
    let records = Store::new(&cluster, namespace).history(release).await?;
    if records.is_empty() {
        return Err(Error::Cluster(format!(
            "release {release} not found in namespace {namespace}\n  = help: `bscope-chart list -A` shows every release"
        )));
    }
    Ok(records)
}

/// One revision (`None` = latest).
pub async fn revision(
    connect: &ConnectOptions,
    release: &str,
    namespace: &str,
    revision: Option<u32>,
) -> Result<ReleaseRecord> {
    let records = history(connect, release, namespace).await?;
    pick(&records, revision, release)
}

/// Pick a revision from a history.
pub fn pick(
    records: &[ReleaseRecord],
    revision: Option<u32>,
    release: &str,
) -> Result<ReleaseRecord> {
    let found = match revision {
        Some(r) => records.iter().find(|x| x.revision == r),
        None => records.iter().max_by_key(|x| x.revision),
    };
    found.cloned().ok_or_else(|| {
        Error::Cluster(format!(
            "release {release} has no revision {}\n  = help: see `bscope-chart history {release}`",
            revision.map_or_else(|| "at all".into(), |r| r.to_string())
        ))
    })
}

/// Every release's latest revision (`namespace: None` = all namespaces).
pub async fn list(connect: &ConnectOptions, namespace: Option<&str>) -> Result<Vec<ReleaseRecord>> {
    let cluster = Cluster::connect(connect).await?;
    let all = Store::all(&cluster, namespace).await?;
    let mut latest: std::collections::BTreeMap<(String, String), ReleaseRecord> =
        Default::default();
    for r in all {
        let key = (r.namespace.clone(), r.name.clone());
        if latest.get(&key).is_none_or(|l| l.revision < r.revision) {
            latest.insert(key, r);
        }
    }
    Ok(latest.into_values().collect())
}
