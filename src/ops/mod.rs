//! One function per command, composing the library's pieces. No flag parsing, no printing.

pub mod deploy;
pub mod diff;
pub mod history;
pub mod install;
pub mod lint;
pub mod package;
pub mod rollback;
pub mod show;
pub mod template;
pub mod uninstall;
pub mod upgrade;
pub mod verify;

use std::path::PathBuf;

use crate::chart::Chart;
use crate::error::Result;
use crate::render::{self, Capabilities, ReleaseInfo, RenderRequest, Rendered};
use crate::values::{self, ComputedValues, Layer, ValueOptions};

/// Default release name.
pub const DEFAULT_RELEASE: &str = "observability";
/// Default namespace.
pub const DEFAULT_NAMESPACE: &str = "battlescope";

/// What every rendering command needs to know.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// `--chart`, or `None` for the embedded chart.
    pub chart: Option<PathBuf>,
    /// Release name.
    pub release: String,
    /// Release namespace.
    pub namespace: String,
    /// Values flags.
    pub values: ValueOptions,
}

/// Load the chart, compute values and render, offline. The values' schema check runs beside
/// the render ([`render::render_checking`]), and the schema is compiled (the expensive part of
/// the check) from the moment the chart is loaded, while the values files are still being
/// read: the same result as checking first and rendering after, in less wall-clock time.
pub fn render_offline(opts: &RenderOptions) -> Result<(Chart, ComputedValues, Rendered)> {
    let chart = Chart::load_or_embedded(opts.chart.as_deref())?;
    let schema_json = chart.schema_json()?;
    let (values, rendered) = std::thread::scope(|s| {
        let schema = s.spawn(|| values::compile_schema(schema_json, &chart.origin));
        let layers = opts.values.layers()?;
        let unchecked = values::merge(chart.values_yaml()?, &chart.origin, &layers)?;
        let release = ReleaseInfo::install(&opts.release, &opts.namespace);
        let rendered = render::render_checking(
            &RenderRequest {
                chart: &chart,
                values: &unchecked.values.merged,
                release: &release,
                capabilities: &Capabilities::default(),
                lookup: None,
            },
            || match schema.join() {
                Ok(Ok(Some(schema))) => unchecked.check_with(&schema, &layers),
                Ok(Ok(None)) => Ok(()),
                Ok(Err(e)) => Err(e),
                Err(panic) => std::panic::resume_unwind(panic),
            },
        )?;
        Ok::<_, crate::error::Error>((unchecked.values, rendered))
    })?;
    Ok((chart, values, rendered))
}

/// Merge and validate values for `chart`.
pub fn compute_values(chart: &Chart, layers: &[Layer]) -> Result<ComputedValues> {
    values::compute(
        chart.values_yaml()?,
        chart.schema_json()?,
        &chart.origin,
        layers,
    )
}
