//! `bscope-chart verify`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::error::Error;
use crate::ops;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The packaged chart.
    #[arg(value_name = "FILE.tgz")]
    file: PathBuf,
    /// Expected sha256 (hex) instead of the one in FILE.tgz.sha256.
    #[arg(long, value_name = "HEX")]
    sha256: Option<String>,
}

pub fn run(a: VerifyArgs) -> crate::Result<ExitCode> {
    let v = ops::verify::verify(&a.file, a.sha256.as_deref())?;
    writeln!(
        std::io::stdout().lock(),
        "{}: OK ({}, sha256 {})",
        a.file.display(),
        v.chart_id,
        v.sha256
    )
    .map_err(|e| Error::io("write", "<stdout>", e))?;
    Ok(ExitCode::SUCCESS)
}
