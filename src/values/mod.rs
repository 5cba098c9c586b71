//! Values: the layered configuration a chart is rendered with.
//!
//! Order, lowest first: the chart's `values.yaml`, each `-f` file in command-line order,
//! `--set-json`, `--set`, `--set-string`, `--set-file`. The order is fixed by flag type, as in
//! Helm. Every layer remembers where it came from so that a schema error can name the file or
//! flag responsible for the offending key.

pub mod fastyaml;
pub mod merge;
pub mod schema;
pub mod set;
pub mod yaml;

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::error::{Error, Location, Problem, Result};
pub use set::SetKind;

/// The values flags of a command, as given.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// `-f/--values` files, in order.
    pub files: Vec<PathBuf>,
    /// `--set-json` arguments.
    pub set_json: Vec<String>,
    /// `--set` arguments.
    pub set: Vec<String>,
    /// `--set-string` arguments.
    pub set_string: Vec<String>,
    /// `--set-file` arguments.
    pub set_file: Vec<String>,
}

impl ValueOptions {
    /// True when no values flag was given at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
            && self.set_json.is_empty()
            && self.set.is_empty()
            && self.set_string.is_empty()
            && self.set_file.is_empty()
    }

    /// Read and parse every user layer, in precedence order (lowest first).
    pub fn layers(&self) -> Result<Vec<Layer>> {
        let mut layers = Vec::new();
        let mut problems = Vec::new();
        for file in &self.files {
            match read_values_file(file) {
                Ok(values) => layers.push(Layer {
                    source: Source::File(file.display().to_string()),
                    values,
                }),
                Err(e) => problems.extend(e.into_problems()),
            }
        }
        for (kind, args) in [
            (SetKind::Json, &self.set_json),
            (SetKind::Typed, &self.set),
            (SetKind::String, &self.set_string),
            (SetKind::File, &self.set_file),
        ] {
            if args.is_empty() {
                continue;
            }
            let mut values = Map::new();
            for arg in args {
                if let Err(e) = set::apply(arg, kind, &mut values, &read_set_file) {
                    problems.push(
                        Problem::new(e)
                            .help("use KEY=VALUE; escape literal dots and commas with '\\'"),
                    );
                }
            }
            layers.push(Layer {
                source: Source::Flag(kind, args.clone()),
                values,
            });
        }
        if problems.is_empty() {
            Ok(layers)
        } else {
            Err(Error::Problems(problems))
        }
    }
}

fn read_set_file(path: &str) -> std::result::Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn read_values_file(path: &std::path::Path) -> Result<Map<String, Value>> {
    let name = path.display().to_string();
    let text = if name == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| Error::io("read", "<stdin>", e))?
    } else {
        std::fs::read_to_string(path).map_err(|e| Error::io("read values file", path, e))?
    };
    parse_values(&text, &name)
}

/// Parse values YAML text; an empty document is an empty map, a non-map is an error.
pub fn parse_values(text: &str, file: &str) -> Result<Map<String, Value>> {
    match yaml::values_from_str(text, file)? {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(Error::problem(
            Problem::new(format!(
                "{file}: values must be a map of keys, found {}",
                kind_name(&other)
            ))
            .at(Location {
                file: file.to_string(),
                line: 1,
                column: 1,
            }),
        )),
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Where a layer of values came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The chart's own `values.yaml`.
    ChartDefaults,
    /// A `-f` file.
    File(String),
    /// All arguments of one flag type, in order.
    Flag(SetKind, Vec<String>),
    /// Values stored in a previous release (`--reuse-values`).
    PreviousRelease(u32),
}

/// One layer of values.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Where it came from.
    pub source: Source,
    /// The values it sets (nulls kept: they delete keys of lower layers).
    pub values: Map<String, Value>,
}

impl Layer {
    /// Name the file or flag argument that set the value at `path` (segments of map keys and
    /// list indexes), if this layer sets it. A flag argument is shown without its value.
    pub fn describe_origin(&self, path: &[String]) -> Option<String> {
        match &self.source {
            Source::ChartDefaults => {
                contains(&self.values, path).then(|| "the chart's values.yaml".to_string())
            }
            Source::File(f) => contains(&self.values, path).then(|| f.clone()),
            Source::PreviousRelease(r) => {
                contains(&self.values, path).then(|| format!("values reused from revision {r}"))
            }
            Source::Flag(kind, args) => args.iter().rev().find_map(|arg| {
                let mut m = Map::new();
                set::apply(arg, *kind, &mut m, &|_| Ok(String::new())).ok()?;
                contains(&m, path).then(|| format!("{} {}", kind.flag(), set::without_value(arg)))
            }),
        }
    }
}

fn contains(map: &Map<String, Value>, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    let mut cur = match map.get(first) {
        Some(v) => v,
        None => return false,
    };
    for seg in rest {
        cur = match cur {
            Value::Object(m) => match m.get(seg) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    true
}

/// The user-supplied layers merged into one map, nulls kept (what a release stores as its
/// user values).
pub fn merge_user(layers: &[Layer]) -> Map<String, Value> {
    let mut out = Map::new();
    for layer in layers {
        merge::merge_into(&mut out, layer.values.clone(), false);
    }
    out
}

/// Chart defaults with the user's values laid over them (nulls delete).
pub fn coalesce(defaults: &Map<String, Value>, user: &Map<String, Value>) -> Map<String, Value> {
    let mut out = defaults.clone();
    merge::merge_into(&mut out, user.clone(), true);
    out
}

/// Values ready for rendering.
#[derive(Debug, Clone)]
pub struct ComputedValues {
    /// What the user supplied (all user layers merged, nulls kept): stored in release records.
    pub user: Map<String, Value>,
    /// Chart defaults with the user values laid over them: what templates see.
    pub merged: Map<String, Value>,
}

/// Merge the chart's defaults with `layers` and validate the result against the chart's schema.
/// `defaults_yaml`/`schema_json` are the chart's `values.yaml` and `values.schema.json` texts.
pub fn compute(
    defaults_yaml: &str,
    schema_json: Option<&str>,
    chart_origin: &str,
    layers: &[Layer],
) -> Result<ComputedValues> {
    let unchecked = merge(defaults_yaml, chart_origin, layers)?;
    unchecked.check(schema_json, chart_origin, layers)?;
    Ok(unchecked.values)
}

/// Compile a chart's `values.schema.json` text (none: `None`, nothing to check).
pub fn compile_schema(
    schema_json: Option<&str>,
    chart_origin: &str,
) -> Result<Option<schema::Schema>> {
    schema_json
        .map(|text| schema::Schema::compile(text, &schema_file(chart_origin)))
        .transpose()
}

fn schema_file(chart_origin: &str) -> String {
    format!("{chart_origin}/values.schema.json")
}

/// Merged values that have not been checked against the schema yet.
///
/// [`compute`] in two steps, so that the schema check (compiling a JSON Schema is the most
/// expensive part of computing values) can run on another thread while the templates render
/// with these values; the render is thrown away if the check fails.
#[derive(Debug, Clone)]
pub struct Unchecked {
    /// The chart's parsed defaults (kept to name the origin of a bad key).
    pub defaults: Map<String, Value>,
    /// The merged values, as [`compute`] would return them.
    pub values: ComputedValues,
}

/// Parse the chart's defaults and lay `layers` over them, without the schema check.
pub fn merge(defaults_yaml: &str, chart_origin: &str, layers: &[Layer]) -> Result<Unchecked> {
    let defaults = parse_values(defaults_yaml, &format!("{chart_origin}/values.yaml"))?;
    let user = merge_user(layers);
    let merged = coalesce(&defaults, &user);
    Ok(Unchecked {
        defaults,
        values: ComputedValues { user, merged },
    })
}

impl Unchecked {
    /// Validate against the chart's schema (none: nothing to check). Errors name each bad key
    /// and the layer that set it.
    pub fn check(
        &self,
        schema_json: Option<&str>,
        chart_origin: &str,
        layers: &[Layer],
    ) -> Result<()> {
        match compile_schema(schema_json, chart_origin)? {
            Some(schema) => self.check_with(&schema, layers),
            None => Ok(()),
        }
    }

    /// [`Unchecked::check`] with the schema already compiled ([`compile_schema`]), so that
    /// compiling, the expensive part, can start before the values are known.
    pub fn check_with(&self, schema: &schema::Schema, layers: &[Layer]) -> Result<()> {
        let mut all = Vec::with_capacity(layers.len() + 1);
        all.push(Layer {
            source: Source::ChartDefaults,
            values: self.defaults.clone(),
        });
        all.extend_from_slice(layers);
        schema.validate(&self.values.merged, &all)
    }
}
