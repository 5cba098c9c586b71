//! `install`: the first revision of a release.

use super::deploy::{self, DeploySettings, Outcome};
use super::{RenderOptions, compute_values};
use crate::chart::Chart;
use crate::cluster::store::Store;
use crate::cluster::{Cluster, ConnectOptions};
use crate::error::{Error, Result};
use crate::release::{ReleaseRecord, Status, history};
use crate::render::ReleaseInfo;

/// Options of `install`.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Chart, release, namespace, values.
    pub render: RenderOptions,
    /// Cluster access.
    pub connect: ConnectOptions,
    /// Wait/atomic/adopt/history.
    pub settings: DeploySettings,
    /// Create the namespace if missing.
    pub create_namespace: bool,
    /// Render and validate server-side without changing anything.
    pub dry_run: bool,
    /// Description recorded instead of "Install complete".
    pub description: Option<String>,
}

/// What an install (or an upgrade) did.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The record as stored (or as it would be, on dry-run).
    pub record: ReleaseRecord,
    /// Per-object outcome (empty on dry-run).
    pub outcome: Outcome,
    /// True for `--dry-run`.
    pub dry_run: bool,
    /// API requests made.
    pub requests: usize,
}

/// Install a release.
pub async fn install(opts: &InstallOptions) -> Result<Deployed> {
    let cluster = Cluster::connect(&opts.connect).await?;
    let (name, ns) = (&opts.render.release, &opts.render.namespace);
    check_release_name(name)?;
    // Everything that can refuse comes before the first write.
    let chart = Chart::load_or_embedded(opts.render.chart.as_deref())?;
    let values = compute_values(&chart, &opts.render.values.layers()?)?;
    deploy::prepare_namespace(&cluster, ns, opts.create_namespace, opts.dry_run).await?;
    let result = deploy::with_lock(
        &cluster,
        ns,
        name,
        opts.dry_run,
        install_locked(&cluster, opts, chart, values),
    )
    .await;
    let (record, outcome) = result?;
    Ok(Deployed {
        record,
        outcome,
        dry_run: opts.dry_run,
        requests: cluster.requests(),
    })
}

/// Install with the lock held (shared with `upgrade --install`).
pub(crate) async fn install_locked(
    cluster: &Cluster,
    opts: &InstallOptions,
    chart: Chart,
    values: crate::values::ComputedValues,
) -> Result<(ReleaseRecord, Outcome)> {
    let (name, ns) = (&opts.render.release, &opts.render.namespace);
    let store = Store::new(cluster, ns);
    let mut records = store.history(name).await?;
    deploy::recover_interrupted(cluster, &mut records).await?;
    if let Some(latest) = history::latest(&records)
        && latest.status != Status::Uninstalled
        && latest.status != Status::Failed
    {
        return Err(Error::Cluster(format!(
            "release {name} already exists in {ns} (revision {} {})\n  = help: use `bscope-chart upgrade {name}`, or uninstall it first",
            latest.revision, latest.status
        )));
    }
    let release = ReleaseInfo {
        revision: history::next_revision(&records),
        ..ReleaseInfo::install(name, ns)
    };
    let rev = deploy::render_new(cluster, chart, values, &release)?;
    let description = opts
        .description
        .clone()
        .unwrap_or_else(|| "Install complete".into());
    let record = deploy::new_record(
        &rev,
        &release,
        Status::PendingInstall,
        None,
        "Initial install underway",
    );
    let previous = history::latest(&records).filter(|r| r.status == Status::Failed);
    let prev_ids = previous.map(|p| p.inventory.clone()).unwrap_or_default();
    let live = deploy::preflight(
        cluster,
        name,
        ns,
        &rev.rendered.objects,
        &prev_ids,
        opts.settings.adopt,
    )
    .await?;
    if opts.dry_run {
        deploy::dry_run(cluster, &rev.rendered.objects).await?;
        return Ok((record, Outcome::default()));
    }
    deploy::deploy(
        cluster,
        &records,
        record,
        &rev.rendered.objects,
        previous,
        &live,
        &opts.settings,
        &description,
    )
    .await
}

/// Release names follow Helm's rule (DNS-1123 label, ≤ 53 characters).
pub fn check_release_name(name: &str) -> Result<()> {
    if crate::chart::metadata::is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "invalid release name {name:?}: use lower-case letters, digits and '-', start with a letter, at most 53 characters"
        )))
    }
}
