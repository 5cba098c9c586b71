//! `bscope-chart package`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::args::GlobalArgs;
use crate::error::Error;
use crate::ops;

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Directory to write NAME-VERSION.tgz and NAME-VERSION.tgz.sha256 into (created if missing).
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "OUT_DIR",
        default_value = "."
    )]
    out_dir: PathBuf,
}

pub fn run(global: &GlobalArgs, a: PackageArgs) -> crate::Result<ExitCode> {
    let mtime = crate::package::source_date_epoch()?;
    let done = ops::package::package(global.chart.as_deref(), &a.out_dir, mtime)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}\n{}",
        done.archive.display(),
        done.checksum_file.display()
    )
    .map_err(|e| Error::io("write", "<stdout>", e))?;
    Ok(ExitCode::SUCCESS)
}
