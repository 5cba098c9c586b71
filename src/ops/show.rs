//! `show values|chart|schema`: print the chart's own files.

use std::path::Path;

use crate::chart::Chart;
use crate::error::{Error, Result};

/// Which file `show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowWhat {
    /// `values.yaml`.
    Values,
    /// `Chart.yaml`.
    Chart,
    /// `values.schema.json`.
    Schema,
}

/// The text of the requested file.
pub fn show(chart: Option<&Path>, what: ShowWhat) -> Result<String> {
    let chart = Chart::load_or_embedded(chart)?;
    let file = match what {
        ShowWhat::Values => "values.yaml",
        ShowWhat::Chart => "Chart.yaml",
        ShowWhat::Schema => "values.schema.json",
    };
    chart
        .text(file)?
        .map(str::to_owned)
        .ok_or_else(|| Error::msg(format!("{}: the chart has no {file}", chart.origin)))
}
