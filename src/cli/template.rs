//! `bscope-chart template`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::args::{GlobalArgs, ValuesArgs, render_options};
use crate::error::Error;
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
        None => write_stdout(rendered.manifest().as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Write data to stdout. A closed pipe (`bscope-chart template | head`) is not an error: the
/// reader has all it wanted, and an "error: Broken pipe" after its output would only confuse.
pub(super) fn write_stdout(bytes: &[u8]) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("write", "<stdout>", e))
        }
        _ => Ok(()),
    }
}
