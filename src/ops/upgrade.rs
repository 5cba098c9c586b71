//! `upgrade`: a new revision from the chart and values.

use super::deploy::{self, DeploySettings, Outcome};
use super::install::{Deployed, InstallOptions, check_release_name, install_locked};
use super::{RenderOptions, compute_values};
use crate::chart::Chart;
use crate::cluster::store::Store;
use crate::cluster::{Cluster, ConnectOptions};
use crate::error::{Error, Result};
use crate::release::{ReleaseRecord, Status, history};
use crate::render::ReleaseInfo;
use crate::values::{self, ComputedValues, Layer, Source};

/// How the previous revision's values are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReuseValues {
    /// Helm's default: reuse the previous user values only when no values flag is given.
    #[default]
    Auto,
    /// `--reuse-values`: previous computed values as the base, new values on top.
    Reuse,
    /// `--reset-then-reuse-values`: chart defaults, previous user values, new values on top.
    ResetThenReuse,
}

/// Options of `upgrade`.
#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    /// Chart, release, namespace, values.
    pub render: RenderOptions,
    /// Cluster access.
    pub connect: ConnectOptions,
    /// Wait/atomic/adopt/history.
    pub settings: DeploySettings,
    /// `--install`: install when the release does not exist.
    pub install: bool,
    /// Create the namespace (with `--install`).
    pub create_namespace: bool,
    /// Render and validate server-side without changing anything.
    pub dry_run: bool,
    /// Values reuse mode.
    pub reuse: ReuseValues,
    /// Description recorded instead of "Upgrade complete".
    pub description: Option<String>,
}

/// Compute values for an upgrade from the previous record and the new flags.
pub fn upgrade_values(
    chart: &Chart,
    previous: &ReleaseRecord,
    layers: Vec<Layer>,
    reuse: ReuseValues,
) -> Result<ComputedValues> {
    let prev_user = Layer {
        source: Source::PreviousRelease(previous.revision),
        values: previous.user_values.clone(),
    };
    match reuse {
        ReuseValues::Auto if layers.is_empty() => compute_values(chart, &[prev_user]),
        ReuseValues::Auto => compute_values(chart, &layers),
        ReuseValues::ResetThenReuse => {
            let mut all = vec![prev_user];
            all.extend(layers);
            compute_values(chart, &all)
        }
        ReuseValues::Reuse => {
            // The previous computed values stand in for the chart defaults.
            let base =
                crate::render::toyaml::to_yaml(&serde_json::Value::Object(previous.values.clone()));
            let mut all = vec![prev_user];
            all.extend(layers);
            values::compute(&base, chart.schema_json()?, &chart.origin, &all)
        }
    }
}

/// Upgrade a release (or install it with `--install`).
pub async fn upgrade(opts: &UpgradeOptions) -> Result<Deployed> {
    let cluster = Cluster::connect(&opts.connect).await?;
    let (name, ns) = (&opts.render.release, &opts.render.namespace);
    check_release_name(name)?;
    let chart = Chart::load_or_embedded(opts.render.chart.as_deref())?;
    let layers = opts.render.values.layers()?;
    deploy::prepare_namespace(
        &cluster,
        ns,
        opts.install && opts.create_namespace,
        opts.dry_run,
    )
    .await?;
    let result = deploy::with_lock(
        &cluster,
        ns,
        name,
        opts.dry_run,
        upgrade_locked(&cluster, opts, chart, layers),
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

async fn upgrade_locked(
    cluster: &Cluster,
    opts: &UpgradeOptions,
    chart: Chart,
    layers: Vec<Layer>,
) -> Result<(ReleaseRecord, Outcome)> {
    let (name, ns) = (&opts.render.release, &opts.render.namespace);
    let store = Store::new(cluster, ns);
    let mut records = store.history(name).await?;
    deploy::recover_interrupted(cluster, &mut records).await?;
    let previous = match history::current(&records) {
        Some(p) if p.status != Status::Uninstalled => p.clone(),
        _ if opts.install => {
            let values = compute_values(&chart, &layers)?;
            let install = InstallOptions {
                render: opts.render.clone(),
                connect: opts.connect.clone(),
                settings: opts.settings.clone(),
                create_namespace: opts.create_namespace,
                dry_run: opts.dry_run,
                description: opts.description.clone(),
            };
            return install_locked(cluster, &install, chart, values).await;
        }
        _ => {
            return Err(Error::Cluster(format!(
                "release {name} not found in namespace {ns}\n  = help: install it first, or pass --install"
            )));
        }
    };
    let values = upgrade_values(&chart, &previous, layers, opts.reuse)?;
    let release = ReleaseInfo {
        name: name.clone(),
        namespace: ns.clone(),
        revision: history::next_revision(&records),
        is_install: false,
        is_upgrade: true,
    };
    let rev = deploy::render_new(cluster, chart, values, &release)?;
    let record = deploy::new_record(
        &rev,
        &release,
        Status::PendingUpgrade,
        Some(previous.first_deployed),
        "Preparing upgrade",
    );
    let live = deploy::preflight(
        cluster,
        name,
        ns,
        &rev.rendered.objects,
        &previous.inventory,
        opts.settings.adopt,
    )
    .await?;
    if opts.dry_run {
        deploy::dry_run(cluster, &rev.rendered.objects).await?;
        return Ok((record, Outcome::default()));
    }
    let description = opts
        .description
        .clone()
        .unwrap_or_else(|| "Upgrade complete".into());
    deploy::deploy(
        cluster,
        &records,
        record,
        &rev.rendered.objects,
        Some(&previous),
        &live,
        &opts.settings,
        &description,
    )
    .await
}
