//! Arguments shared by several commands.

use std::path::PathBuf;

use clap::Args;

use crate::ops::{DEFAULT_NAMESPACE, RenderOptions};
use crate::values::ValueOptions;

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Chart directory or packaged .tgz (default: the chart built into this binary).
    #[arg(long, global = true, value_name = "DIR|FILE.tgz", env = "BSCOPE_CHART")]
    pub chart: Option<PathBuf>,
    /// Release namespace.
    #[arg(short = 'n', long, global = true, default_value = DEFAULT_NAMESPACE, env = "BSCOPE_NAMESPACE")]
    pub namespace: String,
    /// Path of the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: its current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub kube_context: Option<String>,
}

impl GlobalArgs {
    /// Cluster access options.
    pub fn connect(&self) -> crate::cluster::ConnectOptions {
        crate::cluster::ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.kube_context.clone(),
        }
    }
}

/// The values flags (`-f`, `--set`…), in Helm's precedence order.
#[derive(Debug, Clone, Default, Args)]
pub struct ValuesArgs {
    /// Values file (YAML 1.2); repeatable, later files win. `-` reads stdin.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Set a value: KEY=VALUE[,KEY=VALUE]; only true/false/null and integers are typed.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Set a string value: KEY=VALUE (never typed).
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set a value from a file's contents: KEY=PATH.
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a JSON value: KEY=JSON, or a whole JSON object.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
}

impl ValuesArgs {
    /// As library options.
    pub fn to_options(&self) -> ValueOptions {
        ValueOptions {
            files: self.files.clone(),
            set_json: self.set_json.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_file: self.set_file.clone(),
        }
    }
}

/// Build the render options of a command.
pub fn render_options(global: &GlobalArgs, release: &str, values: &ValuesArgs) -> RenderOptions {
    RenderOptions {
        chart: global.chart.clone(),
        release: release.to_string(),
        namespace: global.namespace.clone(),
        values: values.to_options(),
    }
}
