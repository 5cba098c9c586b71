//! `bscope-chart rollback`.

use std::process::ExitCode;

use clap::Args;

use super::args::GlobalArgs;
use super::deploy_args::{DeployArgs, block_on, report};
use crate::ops::DEFAULT_RELEASE;
use crate::ops::rollback::{RollbackOptions, rollback};

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    /// Revision to return to (default: the one before the current).
    revision: Option<u32>,
    #[command(flatten)]
    deploy: DeployArgs,
    /// Validate on the server without changing anything.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(global: &GlobalArgs, a: RollbackArgs) -> crate::Result<ExitCode> {
    let opts = RollbackOptions {
        release: a.release,
        namespace: global.namespace.clone(),
        revision: a.revision,
        connect: global.connect(),
        settings: a.deploy.settings(),
        dry_run: a.dry_run,
    };
    let done = block_on(rollback(&opts))??;
    report(&done, "rollback")?;
    Ok(ExitCode::SUCCESS)
}
