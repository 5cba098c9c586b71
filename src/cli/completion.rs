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
    clap_complete::generate(a.shell, cmd, "bscope-chart", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
