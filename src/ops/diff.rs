//! `diff`: what an upgrade or a rollback would change, or how two stored revisions differ.

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
    let prev_ids = previous.map(|p| p.inventory).unwrap_or_default();
    let plan = plan(
        &cluster,
        name,
        ns,
        &rev.rendered.objects,
        &prev_ids,
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
    let current = history::latest(&records)
        .map(|r| r.inventory.clone())
        .unwrap_or_default();
    let objects = record_objects(&target)?;
    let plan = plan(&cluster, release, namespace, &objects, &current, compare).await?;
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
    Ok(Plan::new(release, namespace, changes))
}

/// Compare rendered `objects` with the cluster: one label-selected list per kind, one
/// server-side dry-run per object (concurrent), plus deletions from `previous`.
pub async fn plan(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    objects: &[Object],
    previous: &[ObjectRef],
    compare: CompareOptions,
) -> Result<Plan> {
    let ids: Vec<ObjectRef> = objects.iter().map(Object::id).collect();
    let live = apply::read_owned(cluster, release, namespace, ids.iter().chain(previous)).await?;
    let ns_exists = !live.is_empty() || cluster.require_namespace(namespace).await.is_ok();
    let dry_runs: Vec<Result<Option<DryRun>>> = futures::stream::iter(objects.iter())
        .map(|o| async move {
            if ns_exists {
                apply::dry_run_apply(cluster, o).await.map(Some)
            } else {
                Ok(None)
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut changes = Vec::new();
    for ((obj, id), result) in objects.iter().zip(&ids).zip(dry_runs) {
        match result? {
            Some(DryRun::Immutable(message, fields)) => {
                changes.push(diff::replacement(id, message, fields))
            }
            Some(DryRun::Applied(desired)) => {
                if let Some(c) = diff::compare(id, live.get(id), &desired, compare) {
                    changes.push(c);
                }
            }
            None => {
                if let Some(c) = diff::compare(id, None, &obj.body, compare) {
                    changes.push(c);
                }
            }
        }
    }
    let new_ids: std::collections::HashSet<&ObjectRef> = ids.iter().collect();
    let mut gone: Vec<ObjectRef> = previous
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
