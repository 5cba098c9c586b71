//! `bscope-chart completion`.

use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// bash, zsh or fish (also elvish, powershell).
    shell: Shell,
}

pub fn run(a: CompletionArgs, cmd: &mut clap::Command) -> crate::Result<ExitCode> {
    // Generated into memory first: clap_complete panics when its writer fails, and a closed
    // pipe is not worth a panic.
    let mut script = Vec::new();
    clap_complete::generate(a.shell, cmd, "bscope-chart", &mut script);
    super::write_stdout(&script)?;
    Ok(ExitCode::SUCCESS)
}
