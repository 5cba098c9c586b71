//! `bscope-chart diff`.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::args::{GlobalArgs, ValuesArgs, render_options};
use super::deploy_args::block_on;
use crate::diff::{CompareOptions, output};
use crate::error::Error;
use crate::ops::DEFAULT_RELEASE;
use crate::ops::diff as ops;
use crate::ops::upgrade::ReuseValues;

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
enum Format {
    /// Unified diffs per object and a plan line (coloured on a terminal).
    #[default]
    Diff,
    /// One line per changed object.
    Summary,
    /// The plan as JSON (stable; see the README).
    Json,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DiffArgs {
    #[command(subcommand)]
    sub: Option<DiffSub>,
    #[command(flatten)]
    upgrade: UpgradeDiff,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct Common {
    /// Exit 2 when there are changes, 0 when none, 1 on error.
    #[arg(long, global = true)]
    detailed_exitcode: bool,
    /// Lines of context around changes.
    #[arg(long, global = true, default_value_t = 3)]
    context: usize,
    /// Print Secret values (masked by default).
    #[arg(long, global = true)]
    show_secrets: bool,
    /// Output format.
    #[arg(short = 'o', long, global = true, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Args)]
struct UpgradeDiff {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    #[command(flatten)]
    values: ValuesArgs,
    /// Reuse the previous revision's values (as `upgrade --reuse-values`).
    #[arg(long)]
    reuse_values: bool,
    /// As `upgrade --reset-then-reuse-values`.
    #[arg(long)]
    reset_then_reuse_values: bool,
}

#[derive(Debug, Subcommand)]
enum DiffSub {
    /// What `upgrade` would change (the default).
    Upgrade(UpgradeDiff),
    /// What `rollback RELEASE [REVISION]` would change.
    Rollback {
        /// Release name.
        release: String,
        /// Target revision (default: the one before the current).
        revision: Option<u32>,
    },
    /// How two stored revisions differ (B defaults to the latest); reads records only.
    Revision {
        /// Release name.
        release: String,
        /// Older revision.
        a: u32,
        /// Newer revision.
        b: Option<u32>,
    },
}

fn reuse(u: &UpgradeDiff) -> ReuseValues {
    match (u.reuse_values, u.reset_then_reuse_values) {
        (true, _) => ReuseValues::Reuse,
        (_, true) => ReuseValues::ResetThenReuse,
        _ => ReuseValues::Auto,
    }
}

pub fn run(global: &GlobalArgs, a: DiffArgs) -> crate::Result<ExitCode> {
    let compare = CompareOptions {
        context: a.common.context,
        show_secrets: a.common.show_secrets,
    };
    let connect = global.connect();
    let ns = &global.namespace;
    let result = match &a.sub {
        None => block_on(ops::diff_upgrade(
            &render_options(global, &a.upgrade.release, &a.upgrade.values),
            reuse(&a.upgrade),
            &connect,
            compare,
        ))?,
        Some(DiffSub::Upgrade(u)) => block_on(ops::diff_upgrade(
            &render_options(global, &u.release, &u.values),
            reuse(u),
            &connect,
            compare,
        ))?,
        Some(DiffSub::Rollback { release, revision }) => block_on(ops::diff_rollback(
            release, ns, *revision, &connect, compare,
        ))?,
        Some(DiffSub::Revision { release, a: ra, b }) => {
            block_on(ops::diff_revision(release, ns, *ra, *b, &connect, compare))?
        }
    }?;
    let plan = &result.plan;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let text = match a.common.output {
        Format::Diff => output::render_diff(plan, color),
        Format::Summary => output::render_summary(plan),
        Format::Json => output::render_json(plan),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("write", "<stdout>", e))?;
    Ok(if a.common.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
