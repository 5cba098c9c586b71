//! The command line: parse → call an `ops` function → print. Nothing else lives here.

mod args;
mod completion;
mod deploy_args;
mod diff;
mod history;
mod install;
mod lint;
mod package;
mod rollback;
mod show;
mod template;
mod uninstall;
mod upgrade;
mod verify;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

pub use args::{GlobalArgs, ValuesArgs};

/// bscope-chart renders, diffs, installs and packages the BattleScope observability chart.
#[derive(Debug, Parser)]
#[command(
    name = "bscope-chart",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render the chart locally and print the manifests.
    Template(template::TemplateArgs),
    /// Run every offline check and report all problems.
    Lint(lint::LintArgs),
    /// Print the chart's values.yaml, Chart.yaml or values.schema.json.
    Show(show::ShowArgs),
    /// Install the chart as a new release.
    Install(install::InstallArgs),
    /// Upgrade a release to a new revision.
    Upgrade(upgrade::UpgradeArgs),
    /// Show what an upgrade (or rollback) would change on the cluster.
    Diff(diff::DiffArgs),
    /// Return a release to a stored revision (recorded as a new revision).
    Rollback(rollback::RollbackArgs),
    /// Delete a release's objects (PVCs are kept) and its history.
    Uninstall(uninstall::UninstallArgs),
    /// Show a release's revisions.
    History(history::HistoryArgs),
    /// Show a release's current state.
    Status(history::StatusArgs),
    /// List releases.
    List(history::ListArgs),
    /// Print a revision's values, manifest or notes.
    Get(history::GetArgs),
    /// Print a shell completion script.
    Completion(completion::CompletionArgs),
    /// Write the chart as a reproducible NAME-VERSION.tgz plus its .sha256.
    Package(package::PackageArgs),
    /// Check a packaged chart's sha256 and structure.
    Verify(verify::VerifyArgs),
}

/// Parse the process arguments, run, and return the exit code (0 ok, 1 error).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        // A closed pipe (`bscope-chart template | head`) is the reader's choice, not an error.
        Err(crate::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut err = anstream::stderr();
            let _ = writeln!(err, "{}", style_error(&e.to_string()));
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> crate::Result<ExitCode> {
    match cli.command {
        Command::Template(a) => template::run(&cli.global, a),
        Command::Lint(a) => lint::run(&cli.global, a),
        Command::Show(a) => show::run(&cli.global, a),
        Command::Install(a) => install::run(&cli.global, a),
        Command::Upgrade(a) => upgrade::run(&cli.global, a),
        Command::Diff(a) => diff::run(&cli.global, a),
        Command::Rollback(a) => rollback::run(&cli.global, a),
        Command::Uninstall(a) => uninstall::run(&cli.global, a),
        Command::History(a) => history::run_history(&cli.global, a),
        Command::Status(a) => history::run_status(&cli.global, a),
        Command::List(a) => history::run_list(&cli.global, a),
        Command::Get(a) => history::run_get(&cli.global, a),
        Command::Completion(a) => completion::run(a, &mut Cli::command()),
        Command::Package(a) => package::run(&cli.global, a),
        Command::Verify(a) => verify::run(a),
    }
}

/// Write text to stdout and flush it; errors become [`crate::Error::Io`]. A closed pipe
/// (`bscope-chart template | head`) is one of them, and [`main`] treats it as success.
pub(crate) fn write_stdout(text: impl AsRef<[u8]>) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_ref())
        .and_then(|()| out.flush())
        .map_err(|e| crate::Error::io("write", "<stdout>", e))
}

/// Colour `error:` and `help:` prefixes (anstream strips them off a non-terminal / NO_COLOR).
pub(crate) fn style_error(text: &str) -> String {
    let red = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Red.into()));
    let cyan = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Cyan.into()));
    text.lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("error:") {
                format!("{red}error:{red:#}{rest}")
            } else if let Some(rest) = l.strip_prefix("  = help:") {
                format!("  = {cyan}help:{cyan:#}{rest}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
