//! `bscope-chart uninstall`.

use std::process::ExitCode;

use clap::Args;

use super::args::GlobalArgs;
use super::deploy_args::block_on;
use crate::ops::DEFAULT_RELEASE;
use crate::ops::uninstall::{UninstallOptions, uninstall};

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    /// Keep the release history (records marked uninstalled).
    #[arg(long)]
    keep_history: bool,
    /// Accepted for Helm compatibility; deletion is never waited for.
    #[arg(long)]
    no_wait: bool,
}

pub fn run(global: &GlobalArgs, a: UninstallArgs) -> crate::Result<ExitCode> {
    let opts = UninstallOptions {
        release: a.release.clone(),
        namespace: global.namespace.clone(),
        connect: global.connect(),
        keep_history: a.keep_history,
    };
    let done = block_on(uninstall(&opts))??;
    eprintln!(
        "uninstall {}: {} object(s) deleted",
        a.release,
        done.deleted.len()
    );
    if !done.kept.is_empty() {
        eprintln!(
            "kept (bscope.io/resource-policy: keep; delete them yourself if you want the data gone): {}",
            crate::cluster::apply::summarize(&done.kept)
        );
    }
    if a.keep_history {
        eprintln!(
            "history kept: `bscope-chart history {}` still shows it",
            a.release
        );
    }
    Ok(ExitCode::SUCCESS)
}
