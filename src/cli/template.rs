//! `bscope-chart template`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::args::{GlobalArgs, ValuesArgs, render_options};
use crate::ops::{self, DEFAULT_RELEASE};

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    #[command(flatten)]
    values: ValuesArgs,
    /// Write one file per template into DIR instead of printing.
    #[arg(long, value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Only print the objects of one template (templates/NAME.yaml.j2) or one object (Kind/name).
    #[arg(long, value_name = "NAME")]
    show_only: Option<String>,
}

pub fn run(global: &GlobalArgs, a: TemplateArgs) -> crate::Result<ExitCode> {
    let opts = render_options(global, &a.release, &a.values);
    let rendered = ops::template::template(&opts, a.show_only.as_deref())?;
    match &a.output_dir {
        Some(dir) => {
            for path in ops::template::write_output_dir(&rendered, dir)? {
                eprintln!("wrote {}", path.display());
            }
        }
        None => super::write_stdout(rendered.manifest())?,
    }
    Ok(ExitCode::SUCCESS)
}
