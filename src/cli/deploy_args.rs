//! Flags and helpers shared by the commands that change a cluster.

use std::time::Duration;

use clap::Args;

use crate::error::{Error, Result};
use crate::ops::deploy::{DeploySettings, Outcome};
use crate::ops::install::Deployed;

/// `--no-wait`, `--timeout`, `--atomic`, `--adopt`, `--history-max`.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Do not wait for workloads to become ready.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for readiness (e.g. 90s, 5m, 1h).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// On failure, roll back to the last deployed revision.
    #[arg(long)]
    pub atomic: bool,
    /// Take over existing objects that bscope-chart does not manage.
    #[arg(long)]
    pub adopt: bool,
    /// Keep at most this many revisions (0 = unlimited).
    #[arg(long, default_value_t = 10)]
    pub history_max: usize,
}

impl DeployArgs {
    /// As library settings.
    pub fn settings(&self) -> DeploySettings {
        DeploySettings {
            wait: !self.no_wait,
            timeout: self.timeout,
            atomic: self.atomic,
            adopt: self.adopt,
            history_max: self.history_max,
        }
    }
}

/// Parse `90s`, `5m`, `1h`, `1h30m` or plain seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid duration {s:?} (use e.g. 90s, 5m, 1h)"))?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("invalid duration {s:?} (use e.g. 90s, 5m, 1h)")),
        };
    }
    if !num.is_empty() {
        return Err(format!("invalid duration {s:?}: missing unit"));
    }
    Ok(Duration::from_secs(total))
}

/// Run an async operation on a small multi-threaded runtime (the `lookup` template function
/// blocks inside it, which needs more than one thread).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::msg(format!("cannot start the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// Print what a deploy did (stderr) and its NOTES (stdout).
pub fn report(d: &Deployed, verb: &str) -> Result<()> {
    let r = &d.record;
    if d.dry_run {
        eprintln!(
            "{verb} {} (dry run): revision {} would deploy {} object(s); the server accepted them all",
            r.name,
            r.revision,
            r.inventory.len()
        );
        return super::write_stdout(&r.manifest);
    }
    let Outcome {
        applied,
        unchanged,
        pruned,
        kept,
    } = &d.outcome;
    eprintln!(
        "{verb} {}: revision {} {} in namespace {} ({} applied, {} unchanged, {} pruned{})",
        r.name,
        r.revision,
        r.status,
        r.namespace,
        applied.len(),
        unchanged.len(),
        pruned.len(),
        if kept.is_empty() {
            String::new()
        } else {
            format!(", {} kept", kept.len())
        }
    );
    if let Some(notes) = &r.notes
        && !notes.trim().is_empty()
    {
        super::write_stdout(format!("{}\n", notes.trim_end()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("5m3").is_err());
    }
}
