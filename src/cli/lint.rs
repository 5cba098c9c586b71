//! `bscope-chart lint`.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Args;

use super::args::{GlobalArgs, ValuesArgs, render_options};
use crate::ops::{self, DEFAULT_RELEASE};

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    values: ValuesArgs,
}

pub fn run(global: &GlobalArgs, a: LintArgs) -> crate::Result<ExitCode> {
    let report = ops::lint::lint(&render_options(global, DEFAULT_RELEASE, &a.values));
    let mut err = anstream::stderr();
    let chart = report.chart.as_deref().unwrap_or("chart");
    if report.is_clean() {
        let _ = writeln!(
            err,
            "lint: {chart}: OK ({} objects)",
            report.objects.unwrap_or(0)
        );
        return Ok(ExitCode::SUCCESS);
    }
    for p in &report.problems {
        let _ = writeln!(err, "{}\n", super::style_error(&p.to_string()));
    }
    let _ = writeln!(err, "lint: {chart}: {} problem(s)", report.problems.len());
    Ok(ExitCode::from(1))
}
