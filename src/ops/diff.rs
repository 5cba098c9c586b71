//! `diff`: what an upgrade or a rollback would change, or how two stored revisions differ.

use std::collections::HashMap;

use futures::StreamExt as _;

use super::deploy::{self, record_objects};
use super::history::pick;
use super::upgrade::{ReuseValues, upgrade_values};
use super::{RenderOptions, compute_values};
use crate::chart::Chart;
use crate::cluster::apply::{self, DryRun};
use crate::cluster::store::Store;
use crate::cluster::{Cluster, ConnectOptions};
use crate::diff::{self, Change, CompareOptions, Plan};
use crate::error::{Error, Result};
use crate::manifest::{self, Object, ObjectRef};
use crate::release::{ReleaseRecord, history};
use crate::render::ReleaseInfo;

/// Dry-runs in flight at once.
const CONCURRENCY: usize = 8;

/// Re-reads of an object that a controller writes to while it is being compared.
const RESYNC_ATTEMPTS: usize = 3;

/// A plan and the number of API requests it took.
#[derive(Debug, Clone)]
pub struct DiffResult {
    /// The plan.
    pub plan: Plan,
    /// API requests made (0 for `diff revision`).
    pub requests: usize,
}

/// `diff [upgrade]`: render with the new values and compare with the cluster.
pub async fn diff_upgrade(
    render: &RenderOptions,
    reuse: ReuseValues,
    connect: &ConnectOptions,
    compare: CompareOptions,
) -> Result<DiffResult> {
    let cluster = Cluster::connect(connect).await?;
    let (name, ns) = (&render.release, &render.namespace);
    let chart = Chart::load_or_embedded(render.chart.as_deref())?;
    let layers = render.values.layers()?;
    let records = Store::new(&cluster, ns).history(name).await?;
    let previous = history::current(&records).cloned();
    let values = match &previous {
        Some(p) => upgrade_values(&chart, p, layers, reuse)?,
        None => compute_values(&chart, &layers)?,
    };
    let release = ReleaseInfo {
        name: name.clone(),
        namespace: ns.clone(),
        revision: history::next_revision(&records),
        is_install: previous.is_none(),
        is_upgrade: previous.is_some(),
    };
    let rev = deploy::render_new(&cluster, chart, values, &release)?;
    let plan = plan(
        &cluster,
        name,
        ns,
        &rev.rendered.objects,
        previous.as_ref(),
        compare,
    )
    .await?;
    Ok(DiffResult {
        plan,
        requests: cluster.requests(),
    })
}

/// `diff rollback RELEASE [REVISION]`: what `rollback` would change.
pub async fn diff_rollback(
    release: &str,
    namespace: &str,
    revision: Option<u32>,
    connect: &ConnectOptions,
    compare: CompareOptions,
) -> Result<DiffResult> {
    let cluster = Cluster::connect(connect).await?;
    let records = Store::new(&cluster, namespace).history(release).await?;
    let target = super::rollback::target(&records, revision, release)?;
    let current = history::latest(&records);
    let objects = record_objects(&target)?;
    let plan = plan(&cluster, release, namespace, &objects, current, compare).await?;
    Ok(DiffResult {
        plan,
        requests: cluster.requests(),
    })
}

/// `diff revision RELEASE A [B]`: compare stored manifests (B defaults to the latest). Reads the
/// records only; never writes.
pub async fn diff_revision(
    release: &str,
    namespace: &str,
    a: u32,
    b: Option<u32>,
    connect: &ConnectOptions,
    compare: CompareOptions,
) -> Result<DiffResult> {
    let cluster = Cluster::connect(connect).await?;
    let records = Store::new(&cluster, namespace).history(release).await?;
    if records.is_empty() {
        return Err(Error::Cluster(format!(
            "release {release} not found in namespace {namespace}"
        )));
    }
    let ra = pick(&records, Some(a), release)?;
    let rb = pick(&records, b, release)?;
    let plan = compare_records(release, namespace, &ra, &rb, compare)?;
    Ok(DiffResult {
        plan,
        requests: cluster.requests(),
    })
}

/// Offline comparison of two stored revisions.
pub fn compare_records(
    release: &str,
    namespace: &str,
    a: &ReleaseRecord,
    b: &ReleaseRecord,
    compare: CompareOptions,
) -> Result<Plan> {
    let old: std::collections::HashMap<ObjectRef, Object> = record_objects(a)?
        .into_iter()
        .map(|o| (o.id(), o))
        .collect();
    let new = record_objects(b)?;
    let mut changes: Vec<Change> = new
        .iter()
        .filter_map(|o| diff::compare(&o.id(), old.get(&o.id()).map(|x| &x.body), &o.body, compare))
        .collect();
    let new_ids: std::collections::HashSet<ObjectRef> = new.iter().map(Object::id).collect();
    let mut gone: Vec<&Object> = old
        .values()
        .filter(|o| !new_ids.contains(&o.id()))
        .collect();
    gone.sort_by_key(|o| std::cmp::Reverse((manifest::install_rank(o.kind()), o.id())));
    changes.extend(
        gone.into_iter()
            .map(|o| diff::deletion(&o.id(), &o.body, apply::is_kept(&o.body), compare)),
    );
    let (old_side, new_side) = (
        format!("revision {}", a.revision),
        format!("revision {}", b.revision),
    );
    for c in &mut changes {
        c.diff = diff::output::relabel(&c.diff, &old_side, &new_side);
    }
    Ok(Plan::new(release, namespace, changes))
}

/// Compare rendered `objects` with the cluster: one label-selected list per kind, one
/// server-side dry-run per object (concurrent), plus deletions of what `previous` (the revision
/// being replaced) has and `objects` has not.
///
/// An object that `upgrade`/`rollback` would leave alone ([`apply::unchanged`]: the same
/// manifest as in `previous`, every field still in place) is not dry-run: it shows no change,
/// exactly as the upgrade will make none. A no-op diff thus costs one list per kind.
pub async fn plan(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    objects: &[Object],
    previous: Option<&ReleaseRecord>,
    compare: CompareOptions,
) -> Result<Plan> {
    let ids: Vec<ObjectRef> = objects.iter().map(Object::id).collect();
    let previous_ids = previous.map(|p| p.inventory.as_slice()).unwrap_or_default();
    let before: HashMap<ObjectRef, serde_json::Value> = match previous {
        Some(p) => record_objects(p)?
            .into_iter()
            .map(|o| (o.id(), o.body))
            .collect(),
        None => HashMap::new(),
    };
    let mut live =
        apply::read_owned(cluster, release, namespace, ids.iter().chain(previous_ids)).await?;
    let ns_exists = !live.is_empty() || cluster.require_namespace(namespace).await.is_ok();
    let live_ref = &live;
    let before_ref = &before;
    let mut dry_runs: Vec<Option<DryRun>> = futures::stream::iter(objects.iter().zip(&ids))
        .map(|(o, id)| async move {
            if !ns_exists || apply::unchanged(&o.body, before_ref.get(id), live_ref.get(id)) {
                Ok(None)
            } else {
                apply::dry_run_apply(cluster, o).await.map(Some)
            }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<Result<Option<DryRun>>>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    // A controller may write an object between the list and its dry-run (a claim gets bound, a
    // Deployment its revision annotation). Compared as is, that write would show up as a change
    // of the upgrade: re-read such objects (and dry-run again while they keep moving).
    for ((obj, id), dry_run) in objects.iter().zip(&ids).zip(dry_runs.iter_mut()) {
        for _ in 0..RESYNC_ATTEMPTS {
            let Some(DryRun::Applied(desired)) = dry_run else {
                break;
            };
            if diff::normalize::same_version(live.get(id), desired) {
                break;
            }
            match cluster.get(id).await? {
                Some(fresh) if apply::foreign_owner(&fresh, release, namespace).is_none() => {
                    live.insert(id.clone(), fresh)
                }
                _ => live.remove(id),
            };
            if !diff::normalize::same_version(live.get(id), desired) {
                *dry_run = Some(apply::dry_run_apply(cluster, obj).await?);
            }
        }
    }
    let mut changes = Vec::new();
    for ((obj, id), result) in objects.iter().zip(&ids).zip(dry_runs) {
        match result {
            Some(DryRun::Immutable(message, fields)) => {
                changes.push(diff::replacement(id, message, fields))
            }
            Some(DryRun::Applied(desired)) => {
                if let Some(c) = diff::compare(id, live.get(id), &desired, compare) {
                    changes.push(c);
                }
            }
            // Nothing to dry-run: the namespace does not exist (everything is a create) ...
            None if !ns_exists => {
                if let Some(c) = diff::compare(id, None, &obj.body, compare) {
                    changes.push(c);
                }
            }
            // ... or the object is unchanged.
            None => {}
        }
    }
    let new_ids: std::collections::HashSet<&ObjectRef> = ids.iter().collect();
    let mut gone: Vec<ObjectRef> = previous_ids
        .iter()
        .filter(|r| !new_ids.contains(r))
        .cloned()
        .collect();
    manifest::sort_for_delete(&mut gone);
    for r in gone {
        if let Some(l) = live.get(&r) {
            changes.push(diff::deletion(&r, l, apply::is_kept(l), compare));
        }
    }
    Ok(Plan::new(release, namespace, changes))
}
