//! `lint`: every offline check, reporting all problems at once.

use super::{RenderOptions, compute_values};
use crate::chart::Chart;
use crate::error::Problem;
use crate::render::{self, Capabilities, ReleaseInfo, RenderRequest};
use crate::values::Layer;

/// Result of a lint run.
#[derive(Debug)]
pub struct LintReport {
    /// Chart id (`name-version`), when the chart loaded.
    pub chart: Option<String>,
    /// Number of objects rendered, when rendering succeeded.
    pub objects: Option<usize>,
    /// Everything found.
    pub problems: Vec<Problem>,
}

/// Check the chart, the values and the rendered objects.
pub fn lint(opts: &RenderOptions) -> LintReport {
    let mut problems = Vec::new();
    let chart = match Chart::load_or_embedded(opts.chart.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            return LintReport {
                chart: None,
                objects: None,
                problems: e.into_problems(),
            };
        }
    };
    let layers: Vec<Layer> = opts.values.layers().unwrap_or_else(|e| {
        problems.extend(e.into_problems());
        Vec::new()
    });
    // A schema violation should not hide template problems: on failure, render with the
    // unvalidated merge so both kinds are reported.
    let merged = match compute_values(&chart, &layers) {
        Ok(v) => Some(v.merged),
        Err(e) => {
            problems.extend(e.into_problems());
            unvalidated_merge(&chart, &layers)
        }
    };
    let mut objects = None;
    if let Some(values) = merged {
        let release = ReleaseInfo::install(&opts.release, &opts.namespace);
        match render::render(&RenderRequest {
            chart: &chart,
            values: &values,
            release: &release,
            capabilities: &Capabilities::default(),
            lookup: None,
        }) {
            Ok(r) => objects = Some(r.objects.len()),
            Err(e) => problems.extend(e.into_problems()),
        }
    }
    LintReport {
        chart: Some(chart.id()),
        objects,
        problems,
    }
}

fn unvalidated_merge(
    chart: &Chart,
    layers: &[Layer],
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let text = chart.values_yaml().ok()?;
    let defaults = crate::values::parse_values(text, "values.yaml").ok()?;
    Some(crate::values::coalesce(
        &defaults,
        &crate::values::merge_user(layers),
    ))
}

impl LintReport {
    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}
