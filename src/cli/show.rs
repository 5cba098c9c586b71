//! `bscope-chart show`.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::args::GlobalArgs;
use crate::ops::show::{ShowWhat, show};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum What {
    /// The chart's default values.yaml.
    Values,
    /// Chart.yaml.
    Chart,
    /// values.schema.json.
    Schema,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// What to print.
    what: What,
}

pub fn run(global: &GlobalArgs, a: ShowArgs) -> crate::Result<ExitCode> {
    let what = match a.what {
        What::Values => ShowWhat::Values,
        What::Chart => ShowWhat::Chart,
        What::Schema => ShowWhat::Schema,
    };
    let text = show(global.chart.as_deref(), what)?;
    super::write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}
