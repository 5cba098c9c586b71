//! The pipeline shared by install, upgrade and rollback: check ownership, record a pending
//! revision, apply what changed, prune what left, wait, and settle the history.
//!
//! Order matters for safety: everything that can refuse (rendering, validation, ownership,
//! record size) happens before the first write, so a refused operation changes nothing.

use std::collections::HashMap;
use std::time::Duration;

use crate::cluster::apply::{self, Live};
use crate::cluster::store::{self, Store};
use crate::cluster::{Cluster, wait};
use crate::error::{Error, Result};
use crate::manifest::{self, Object, ObjectRef};
use crate::release::{ReleaseRecord, Status, history};

/// How a revision is deployed.
#[derive(Debug, Clone)]
pub struct DeploySettings {
    /// Wait for readiness.
    pub wait: bool,
    /// Wait budget.
    pub timeout: Duration,
    /// On failure, return to the last deployed revision.
    pub atomic: bool,
    /// Take over existing objects that bscope-chart does not manage.
    pub adopt: bool,
    /// Keep at most this many revisions (0 = unlimited).
    pub history_max: usize,
}

/// What happened to each object.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Objects sent to the server.
    pub applied: Vec<ObjectRef>,
    /// Objects already as desired (not sent).
    pub unchanged: Vec<ObjectRef>,
    /// Objects deleted because they left the chart.
    pub pruned: Vec<ObjectRef>,
    /// Objects that left the chart but were kept (`bscope.io/resource-policy: keep`).
    pub kept: Vec<ObjectRef>,
}

/// Run `work` holding the release lock (none for a dry run, which writes nothing), and release
/// the lock whatever the outcome. `work` is a future, so nothing in it runs before the lock is
/// taken.
pub async fn with_lock<T>(
    cluster: &Cluster,
    namespace: &str,
    release: &str,
    dry_run: bool,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let held = if dry_run {
        None
    } else {
        Some(crate::cluster::lock::acquire(cluster, namespace, release).await?)
    };
    let result = work.await;
    if let Some(l) = held {
        l.release().await?;
    }
    result
}

/// `--create-namespace` creates it (not on a dry run); otherwise it must exist.
pub async fn prepare_namespace(
    cluster: &Cluster,
    namespace: &str,
    create: bool,
    dry_run: bool,
) -> Result<()> {
    if create && !dry_run {
        cluster.ensure_namespace(namespace).await
    } else {
        cluster.require_namespace(namespace).await
    }
}

/// Objects of a stored record.
pub fn record_objects(record: &ReleaseRecord) -> Result<Vec<Object>> {
    let mut objects = crate::render::split::documents(
        &record.manifest,
        &format!("revision {}", record.revision),
    )?;
    manifest::sort_for_install(&mut objects);
    Ok(objects)
}

/// Refuse objects that exist but belong to someone else, before anything is written. Returns
/// the live state of the release's objects (one list per kind, plus a GET per new object).
pub async fn preflight(
    cluster: &Cluster,
    release: &str,
    namespace: &str,
    objects: &[Object],
    previous: &[ObjectRef],
    adopt: bool,
) -> Result<Live> {
    let ids: Vec<ObjectRef> = objects.iter().map(Object::id).collect();
    let mut live =
        apply::read_owned(cluster, release, namespace, ids.iter().chain(previous)).await?;
    let missing: Vec<&ObjectRef> = ids.iter().filter(|id| !live.contains_key(*id)).collect();
    let found = futures::future::join_all(missing.iter().map(|id| cluster.get(id))).await;
    let mut refused = Vec::new();
    for (id, got) in missing.into_iter().zip(found) {
        if let Some(obj) = got? {
            match apply::foreign_owner(&obj, release, namespace) {
                Some(why) if !adopt => refused.push(format!("  {id}: {why}")),
                _ => {
                    live.insert(id.clone(), obj);
                }
            }
        }
    }
    if !refused.is_empty() {
        return Err(Error::Cluster(format!(
            "release {release}: {} object(s) already exist and are not owned by this release; nothing was changed:\n{}\n  = help: delete or rename them, or pass --adopt to take them over",
            refused.len(),
            refused.join("\n")
        )));
    }
    Ok(live)
}

/// Deploy `record` (already filled in, status pending-*) with `objects`. `previous` is the
/// record it replaces (for unchanged detection and pruning). On failure the record is marked
/// failed; with `atomic`, the last deployed revision is restored as a new revision.
#[allow(clippy::too_many_arguments)]
pub async fn deploy(
    cluster: &Cluster,
    history_records: &[ReleaseRecord],
    mut record: ReleaseRecord,
    objects: &[Object],
    previous: Option<&ReleaseRecord>,
    live: &Live,
    settings: &DeploySettings,
    success_description: &str,
) -> Result<(ReleaseRecord, Outcome)> {
    let store = Store::new(cluster, &record.namespace);
    store::check_size(&record)?;
    for rev in history::to_prune(history_records, settings.history_max) {
        store.delete(&record.name, rev).await?;
    }
    store.create(&record).await?;

    match apply_and_wait(cluster, &record, objects, previous, live, settings).await {
        Ok(outcome) => {
            for old in history_records
                .iter()
                .filter(|r| r.status == Status::Deployed)
            {
                let mut old = old.clone();
                old.status = Status::Superseded;
                store.update(&old).await?;
            }
            record.status = Status::Deployed;
            record.description = success_description.to_string();
            record.last_deployed = jiff::Timestamp::now();
            store.update(&record).await?;
            Ok((record, outcome))
        }
        Err(err) => {
            record.status = Status::Failed;
            record.description = format!("{} failed: {}", verb(&record), first_line(&err));
            record.last_deployed = jiff::Timestamp::now();
            store.update(&record).await?;
            let target = history::last_deployed(history_records).cloned();
            match (settings.atomic, target) {
                (true, Some(target)) => {
                    eprintln!(
                        "{}: {}; rolling back to revision {} (--atomic)",
                        record.name,
                        first_line(&err),
                        target.revision
                    );
                    let history_now = store.history(&record.name).await?;
                    let rollback_settings = DeploySettings {
                        atomic: false,
                        ..settings.clone()
                    };
                    let objects = record_objects(&target)?;
                    let prev_ids = record.inventory.clone();
                    let live = preflight(
                        cluster,
                        &record.name,
                        &record.namespace,
                        &objects,
                        &prev_ids,
                        true,
                    )
                    .await?;
                    let rb = ReleaseRecord {
                        revision: history::next_revision(&history_now),
                        status: Status::PendingRollback,
                        description: format!("Rollback to {}", target.revision),
                        last_deployed: jiff::Timestamp::now(),
                        ..target.clone()
                    };
                    let desc = format!(
                        "Rollback to {} (after failed revision {})",
                        target.revision, record.revision
                    );
                    Box::pin(deploy(
                        cluster,
                        &history_now,
                        rb,
                        &objects,
                        Some(&record),
                        &live,
                        &rollback_settings,
                        &desc,
                    ))
                    .await
                    .map_err(|e| {
                        Error::Cluster(format!(
                            "{}\n  and the automatic rollback to revision {} failed too: {}",
                            message(&err),
                            target.revision,
                            first_line(&e)
                        ))
                    })?;
                    Err(Error::Cluster(format!(
                        "{}\n  release {} was rolled back to revision {} (--atomic); revision {} is recorded as failed",
                        message(&err),
                        record.name,
                        target.revision,
                        record.revision
                    )))
                }
                _ => Err(err),
            }
        }
    }
}

fn verb(record: &ReleaseRecord) -> &'static str {
    match record.status {
        Status::PendingInstall => "Install",
        Status::PendingRollback => "Rollback",
        _ => "Upgrade",
    }
}

/// First line of an error, without the `error: ` prefix (for record descriptions).
pub fn first_line(e: &Error) -> String {
    message(e).lines().next().unwrap_or("").to_string()
}

/// An error's text without its leading `error: `, to wrap it in another error (whose display
/// adds the prefix once).
fn message(e: &Error) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_string()
}

async fn apply_and_wait(
    cluster: &Cluster,
    record: &ReleaseRecord,
    objects: &[Object],
    previous: Option<&ReleaseRecord>,
    live: &Live,
    settings: &DeploySettings,
) -> Result<Outcome> {
    let prev_objects: HashMap<ObjectRef, serde_json::Value> = match previous {
        Some(p) => record_objects(p)?
            .into_iter()
            .map(|o| (o.id(), o.body))
            .collect(),
        None => HashMap::new(),
    };
    let mut outcome = Outcome::default();
    for obj in objects {
        let id = obj.id();
        if apply::unchanged(&obj.body, prev_objects.get(&id), live.get(&id)) {
            outcome.unchanged.push(id);
        } else {
            apply::apply(cluster, obj, false).await?;
            outcome.applied.push(id);
        }
    }
    if let Some(prev) = previous {
        let new_ids: std::collections::HashSet<ObjectRef> =
            objects.iter().map(Object::id).collect();
        let mut gone: Vec<ObjectRef> = prev
            .inventory
            .iter()
            .filter(|r| !new_ids.contains(r))
            .cloned()
            .collect();
        manifest::sort_for_delete(&mut gone);
        for r in gone {
            match live.get(&r) {
                Some(l) if apply::is_kept(l) => outcome.kept.push(r),
                Some(_) => {
                    apply::delete(cluster, &r).await?;
                    outcome.pruned.push(r);
                }
                None => {} // already gone, or no longer ours
            }
        }
    }
    if settings.wait {
        let ids: Vec<ObjectRef> = objects.iter().map(Object::id).collect();
        wait::wait_ready(cluster, &record.namespace, &ids, settings.timeout).await?;
    }
    Ok(outcome)
}

/// After taking the lock: a pending latest record can only be left over from a crashed
/// operation (its holder no longer holds the lock). Mark it failed and carry on.
pub async fn recover_interrupted(
    cluster: &Cluster,
    history_records: &mut [ReleaseRecord],
) -> Result<()> {
    let Some(latest) = history_records.iter_mut().max_by_key(|r| r.revision) else {
        return Ok(());
    };
    if latest.status.is_pending() {
        eprintln!(
            "{}: revision {} was left {} by an interrupted operation; marking it failed",
            latest.name, latest.revision, latest.status
        );
        latest.status = Status::Failed;
        latest.description =
            "interrupted: the operation stopped before finishing (lock expired)".into();
        Store::new(cluster, &latest.namespace)
            .update(latest)
            .await?;
    }
    Ok(())
}

/// Everything an install or upgrade renders for a new revision.
pub struct NewRevision {
    /// The chart.
    pub chart: crate::chart::Chart,
    /// Values.
    pub values: crate::values::ComputedValues,
    /// Render result.
    pub rendered: crate::render::Rendered,
}

/// Render a new revision against the live cluster (`lookup` reads live objects).
pub fn render_new(
    cluster: &Cluster,
    chart: crate::chart::Chart,
    values: crate::values::ComputedValues,
    release: &crate::render::ReleaseInfo,
) -> Result<NewRevision> {
    let lookup = std::sync::Arc::new(crate::cluster::lookup::LiveLookup::new(
        cluster.clone(),
        tokio::runtime::Handle::current(),
    ));
    let rendered = crate::render::render(&crate::render::RenderRequest {
        chart: &chart,
        values: &values.merged,
        release,
        capabilities: &crate::render::Capabilities::default(),
        lookup: Some(lookup),
    })?;
    Ok(NewRevision {
        chart,
        values,
        rendered,
    })
}

/// A pending record for a new revision.
pub fn new_record(
    rev: &NewRevision,
    release: &crate::render::ReleaseInfo,
    status: Status,
    first_deployed: Option<jiff::Timestamp>,
    description: &str,
) -> ReleaseRecord {
    let now = jiff::Timestamp::now();
    let meta = &rev.chart.metadata;
    ReleaseRecord {
        format: crate::release::FORMAT_VERSION,
        name: release.name.clone(),
        namespace: release.namespace.clone(),
        revision: release.revision,
        status,
        first_deployed: first_deployed.unwrap_or(now),
        last_deployed: now,
        description: description.to_string(),
        chart: crate::release::ChartRef {
            name: meta.name.clone(),
            version: meta.version.clone(),
            app_version: meta.app_version.clone().unwrap_or_default(),
            digest: crate::package::digest(&rev.chart),
        },
        user_values: rev.values.user.clone(),
        values: rev.values.merged.clone(),
        manifest: rev.rendered.manifest(),
        notes: rev.rendered.notes.clone(),
        inventory: rev.rendered.objects.iter().map(Object::id).collect(),
    }
}

/// Server-side dry-run of every object (the server validates and defaults, nothing persists).
pub async fn dry_run(cluster: &Cluster, objects: &[Object]) -> Result<()> {
    let results =
        futures::future::join_all(objects.iter().map(|o| apply::apply(cluster, o, true))).await;
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err())
        .map(|e| message(&e))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Cluster(errors.join("\nerror: ")))
    }
}
