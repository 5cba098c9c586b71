//! `bscope-chart history`, `status`, `list` and `get`: read-only views of release records.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::args::GlobalArgs;
use super::deploy_args::block_on;
use crate::error::Error;
use crate::ops::DEFAULT_RELEASE;
use crate::ops::history as ops;
use crate::release::ReleaseRecord;

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
enum Format {
    #[default]
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    /// Show this revision instead of the latest.
    #[arg(long)]
    revision: Option<u32>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// List releases in every namespace.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(subcommand)]
    what: GetWhat,
}

#[derive(Debug, Subcommand)]
enum GetWhat {
    /// The values of a revision (user-supplied; --all for the computed values).
    Values(GetOne),
    /// The rendered manifest of a revision.
    Manifest(GetOne),
    /// The NOTES of a revision.
    Notes(GetOne),
}

#[derive(Debug, Args)]
struct GetOne {
    /// Release name.
    #[arg(default_value = DEFAULT_RELEASE)]
    release: String,
    /// Revision (default: latest).
    #[arg(long)]
    revision: Option<u32>,
    /// Values: print the computed values (chart defaults included), not just the user's.
    #[arg(long)]
    all: bool,
}

/// The `history -o json` row: stable field names (documented in the README).
fn row(r: &ReleaseRecord) -> serde_json::Value {
    json!({
        "revision": r.revision,
        "status": r.status.as_str(),
        "chart": format!("{}-{}", r.chart.name, r.chart.version),
        "app_version": r.chart.app_version,
        "updated": r.last_deployed.to_string(),
        "description": r.description,
        "digest": format!("sha256:{}", r.chart.digest),
    })
}

fn print(text: &str) -> crate::Result<ExitCode> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Error::io("write", "<stdout>", e))?;
    Ok(ExitCode::SUCCESS)
}

fn structured(v: &serde_json::Value, f: Format) -> String {
    match f {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default()),
        _ => format!("{}\n", crate::render::toyaml::to_yaml(v)),
    }
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ");
        s.truncate(s.trim_end().len());
        s + "\n"
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        out.push_str(&line(r.clone()));
    }
    out
}

pub fn run_history(global: &GlobalArgs, a: HistoryArgs) -> crate::Result<ExitCode> {
    let records = block_on(ops::history(
        &global.connect(),
        &a.release,
        &global.namespace,
    ))??;
    match a.output {
        Format::Table => {
            let rows: Vec<Vec<String>> = records
                .iter()
                .map(|r| {
                    vec![
                        r.revision.to_string(),
                        r.last_deployed.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                        r.status.to_string(),
                        format!("{}-{}", r.chart.name, r.chart.version),
                        r.chart.app_version.clone(),
                        r.chart.digest.chars().take(12).collect(),
                        r.description.clone(),
                    ]
                })
                .collect();
            print(&table(
                &[
                    "REVISION",
                    "UPDATED",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                    "DIGEST",
                    "DESCRIPTION",
                ],
                &rows,
            ))
        }
        f => print(&structured(
            &serde_json::Value::Array(records.iter().map(row).collect()),
            f,
        )),
    }
}

pub fn run_status(global: &GlobalArgs, a: StatusArgs) -> crate::Result<ExitCode> {
    let r = block_on(ops::revision(
        &global.connect(),
        &a.release,
        &global.namespace,
        a.revision,
    ))??;
    match a.output {
        Format::Table => {
            let mut out = format!(
                "NAME: {}\nNAMESPACE: {}\nREVISION: {}\nSTATUS: {}\nLAST DEPLOYED: {}\nCHART: {}-{} (app {})\nDIGEST: sha256:{}\nDESCRIPTION: {}\nOBJECTS: {}\n",
                r.name,
                r.namespace,
                r.revision,
                r.status,
                r.last_deployed,
                r.chart.name,
                r.chart.version,
                r.chart.app_version,
                r.chart.digest,
                r.description,
                r.inventory.len()
            );
            if let Some(n) = r.notes.as_deref().filter(|n| !n.trim().is_empty()) {
                out.push_str(&format!("NOTES:\n{}\n", n.trim_end()));
            }
            print(&out)
        }
        f => {
            let mut v = row(&r);
            v["name"] = json!(r.name);
            v["namespace"] = json!(r.namespace);
            v["first_deployed"] = json!(r.first_deployed.to_string());
            v["objects"] = serde_json::to_value(&r.inventory).unwrap_or_default();
            v["notes"] = json!(r.notes);
            print(&structured(&v, f))
        }
    }
}

pub fn run_list(global: &GlobalArgs, a: ListArgs) -> crate::Result<ExitCode> {
    let ns = (!a.all_namespaces).then_some(global.namespace.as_str());
    let records = block_on(ops::list(&global.connect(), ns))??;
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.namespace.clone(),
                r.revision.to_string(),
                r.last_deployed.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                r.status.to_string(),
                format!("{}-{}", r.chart.name, r.chart.version),
                r.chart.app_version.clone(),
            ]
        })
        .collect();
    print(&table(
        &[
            "NAME",
            "NAMESPACE",
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
        ],
        &rows,
    ))
}

pub fn run_get(global: &GlobalArgs, a: GetArgs) -> crate::Result<ExitCode> {
    let (one, what) = match &a.what {
        GetWhat::Values(o) => (o, "values"),
        GetWhat::Manifest(o) => (o, "manifest"),
        GetWhat::Notes(o) => (o, "notes"),
    };
    let r = block_on(ops::revision(
        &global.connect(),
        &one.release,
        &global.namespace,
        one.revision,
    ))??;
    match what {
        "values" => {
            let v = if one.all { &r.values } else { &r.user_values };
            print(&format!(
                "{}\n",
                crate::render::toyaml::to_yaml(&serde_json::Value::Object(v.clone()))
            ))
        }
        "manifest" => print(&r.manifest),
        _ => print(&format!("{}\n", r.notes.unwrap_or_default().trim_end())),
    }
}
