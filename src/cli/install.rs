//! `bscope-chart install`.

use std::process::ExitCode;

use clap::Args;

use super::args::{GlobalArgs, ValuesArgs, render_options};
use super::deploy_args::{DeployArgs, block_on, report};
use crate::ops::DEFAULT_RELEASE;
use crate::ops::install::{InstallOptions, install};

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    #[command(flatten)]
    values: ValuesArgs,
    #[command(flatten)]
    deploy: DeployArgs,
    /// Create the namespace if it does not exist (it is not part of the release).
    #[arg(long)]
    create_namespace: bool,
    /// Render and validate on the server without changing anything; print the manifest.
    #[arg(long)]
    dry_run: bool,
    /// Description recorded in the history.
    #[arg(long)]
    description: Option<String>,
}

pub fn run(global: &GlobalArgs, a: InstallArgs) -> crate::Result<ExitCode> {
    let opts = InstallOptions {
        render: render_options(global, &a.release, &a.values),
        connect: global.connect(),
        settings: a.deploy.settings(),
        create_namespace: a.create_namespace,
        dry_run: a.dry_run,
        description: a.description,
    };
    let done = block_on(install(&opts))??;
    report(&done, "install")?;
    Ok(ExitCode::SUCCESS)
}
