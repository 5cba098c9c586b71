//! `bscope-chart upgrade`.

use std::process::ExitCode;

use clap::Args;

use super::args::{GlobalArgs, ValuesArgs, render_options};
use super::deploy_args::{DeployArgs, block_on, report};
use crate::ops::DEFAULT_RELEASE;
use crate::ops::upgrade::{ReuseValues, UpgradeOptions, upgrade};

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    #[command(flatten)]
    values: ValuesArgs,
    #[command(flatten)]
    deploy: DeployArgs,
    /// Install the release if it does not exist.
    #[arg(short = 'i', long)]
    install: bool,
    /// With --install: create the namespace if it does not exist.
    #[arg(long)]
    create_namespace: bool,
    /// Render and validate on the server without changing anything; print the manifest.
    #[arg(long)]
    dry_run: bool,
    /// Reuse the previous revision's values (its computed values as the base).
    #[arg(long, conflicts_with = "reset_then_reuse_values")]
    reuse_values: bool,
    /// Start from the chart's defaults, then the previous user values, then the new ones.
    #[arg(long)]
    reset_then_reuse_values: bool,
    /// Description recorded in the history.
    #[arg(long)]
    description: Option<String>,
}

pub fn run(global: &GlobalArgs, a: UpgradeArgs) -> crate::Result<ExitCode> {
    let reuse = match (a.reuse_values, a.reset_then_reuse_values) {
        (true, _) => ReuseValues::Reuse,
        (_, true) => ReuseValues::ResetThenReuse,
        _ => ReuseValues::Auto,
    };
    let opts = UpgradeOptions {
        render: render_options(global, &a.release, &a.values),
        connect: global.connect(),
        settings: a.deploy.settings(),
        install: a.install,
        create_namespace: a.create_namespace,
        dry_run: a.dry_run,
        reuse,
        description: a.description,
    };
    let done = block_on(upgrade(&opts))??;
    report(&done, "upgrade")?;
    Ok(ExitCode::SUCCESS)
}
