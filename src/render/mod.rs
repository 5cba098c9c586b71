//! Rendering: chart + values → validated, ordered Kubernetes objects and NOTES.
//!
//! The pipeline is: compile every template → render each `templates/*.yaml.j2` with the context
//! (`values`, `release`, `chart`, `capabilities`) → split the output into YAML documents →
//! check identity, add ownership metadata, validate against the API types → sort into install
//! order. Problems are collected across all templates rather than stopping at the first, so
//! `lint` can report everything in one run.

pub mod functions;
pub mod split;
pub mod toyaml;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use minijinja::value::{Serde, Value, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use serde_json::Map;

use crate::chart::Chart;
use crate::error::{Error, Location, Problem, Result};
use crate::manifest::{
    self, INSTANCE_LABEL, MANAGED_BY, MANAGED_BY_LABEL, Object, RELEASE_ANNOTATION, validate,
};

/// Template that renders the post-install notes.
pub const NOTES_TEMPLATE: &str = "NOTES.txt.j2";

/// The `release` object templates see.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseInfo {
    /// Release name.
    pub name: String,
    /// Release namespace.
    pub namespace: String,
    /// Revision being rendered (1 on install).
    pub revision: u32,
    /// True on install.
    pub is_install: bool,
    /// True on upgrade and rollback.
    pub is_upgrade: bool,
}

impl ReleaseInfo {
    /// A first install of `name` in `namespace`.
    pub fn install(name: &str, namespace: &str) -> Self {
        ReleaseInfo {
            name: name.into(),
            namespace: namespace.into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        }
    }
}

/// The `capabilities` object templates see.
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// `v1.36.0` offline; the server's version when connected.
    pub kube_version: String,
    /// `group/version` strings the server serves (offline: the built-in ones).
    pub api_versions: Vec<String>,
}

impl Default for Capabilities {
    fn default() -> Self {
        let api_versions = [
            "v1",
            "apps/v1",
            "batch/v1",
            "rbac.authorization.k8s.io/v1",
            "networking.k8s.io/v1",
            "policy/v1",
            "autoscaling/v2",
            "storage.k8s.io/v1",
            "coordination.k8s.io/v1",
            "scheduling.k8s.io/v1",
            "apiextensions.k8s.io/v1",
        ];
        Capabilities {
            kube_version: "v1.36.0".into(),
            api_versions: api_versions.map(String::from).to_vec(),
        }
    }
}

/// Reads live objects for the `lookup` template function.
pub trait Lookup: Send + Sync {
    /// The object, `None` if it does not exist.
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> std::result::Result<Option<serde_json::Value>, String>;
}

/// Everything a render needs.
pub struct RenderRequest<'a> {
    /// The chart.
    pub chart: &'a Chart,
    /// Fully merged values.
    pub values: &'a Map<String, serde_json::Value>,
    /// Release facts.
    pub release: &'a ReleaseInfo,
    /// Cluster facts.
    pub capabilities: &'a Capabilities,
    /// Live-object reader; `None` offline (then `lookup` returns `{}`).
    pub lookup: Option<Arc<dyn Lookup>>,
}

/// The result of a render.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Objects in install order.
    pub objects: Vec<Object>,
    /// Rendered `NOTES.txt.j2`, if the chart has one.
    pub notes: Option<String>,
}

impl Rendered {
    /// The objects as one YAML stream, each preceded by `# Source:`; deterministic.
    pub fn manifest(&self) -> String {
        let mut out = String::new();
        for obj in &self.objects {
            out.push_str("---\n# Source: ");
            out.push_str(&obj.source);
            out.push('\n');
            out.push_str(&toyaml::to_yaml(&obj.body));
            out.push('\n');
        }
        out
    }
}

#[derive(Serialize)]
struct ChartInfo<'a> {
    name: &'a str,
    version: &'a str,
    app_version: &'a str,
}

/// Render and validate a chart.
pub fn render(req: &RenderRequest<'_>) -> Result<Rendered> {
    let (texts, notes, mut problems) = run_templates(req)?;
    let mut objects = Vec::new();
    for (name, text) in &texts {
        match split::documents(text, &format!("templates/{name}")) {
            Ok(docs) => objects.extend(docs),
            Err(e) => problems.extend(e.into_problems()),
        }
    }
    finish_objects(&mut objects, req, &mut problems);
    if problems.is_empty() {
        Ok(Rendered { objects, notes })
    } else {
        Err(Error::Problems(problems))
    }
}

/// [`render`] while `check` (the values' schema check) runs on a second thread. A failed
/// check wins over the render's result, so the outcome is the same as checking first and then
/// rendering; only the wall-clock time is shorter (the two take about as long each).
pub fn render_checking(
    req: &RenderRequest<'_>,
    check: impl FnOnce() -> Result<()> + Send,
) -> Result<Rendered> {
    let (checked, rendered) = std::thread::scope(|s| {
        let checker = s.spawn(check);
        let rendered = render(req);
        (checker.join(), rendered)
    });
    match checked {
        Ok(Ok(())) => rendered,
        Ok(Err(e)) => Err(e),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The raw text each manifest template renders to (template name, text), before it is split
/// and validated: for looking at what a template really produced, and for benchmarks.
pub fn render_texts(req: &RenderRequest<'_>) -> Result<Vec<(String, String)>> {
    let (texts, _, problems) = run_templates(req)?;
    if problems.is_empty() {
        Ok(texts)
    } else {
        Err(Error::Problems(problems))
    }
}

/// Rendered manifest texts, the NOTES text, and the template problems found on the way.
type TemplateRun = (Vec<(String, String)>, Option<String>, Vec<Problem>);

fn run_templates(req: &RenderRequest<'_>) -> Result<TemplateRun> {
    let sources = template_sources(req.chart)?;
    let mut problems = Vec::new();
    let env = environment(req, &sources, &mut problems);
    let ctx = context(req);

    let mut texts = Vec::new();
    let mut notes = None;
    for (name, source) in &sources {
        let is_manifest = name.ends_with(".yaml.j2") && !name.starts_with('_');
        if !is_manifest && name != NOTES_TEMPLATE {
            continue;
        }
        let Ok(tmpl) = env.get_template(name) else {
            continue;
        }; // syntax error already reported
        match tmpl.render(ctx.clone()) {
            Ok(text) if name == NOTES_TEMPLATE => notes = Some(text),
            Ok(text) => texts.push((name.clone(), text)),
            Err(err) => problems.push(template_problem(&err, name, source, &sources)),
        }
    }
    Ok((texts, notes, problems))
}

fn template_sources(chart: &Chart) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, source) in chart.templates()? {
        let name = path.trim_start_matches("templates/").to_string();
        let ok = name.ends_with(".yaml.j2")
            || (name.starts_with('_') && name.ends_with(".j2"))
            || name == NOTES_TEMPLATE;
        if !ok {
            problems.push(
                Problem::new(format!("{}: unexpected file in templates/", path))
                    .help("templates are *.yaml.j2 (manifests), _*.j2 (macros) or NOTES.txt.j2; put data in files/"),
            );
        }
        out.insert(name, source);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Problems(problems))
    }
}

fn environment<'s>(
    req: &RenderRequest<'_>,
    sources: &'s BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_debug(true); // keeps spans for file:line:col; we never print its variable dump
    env.set_recursion_limit(200);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_formatter(|out, state, value| match value.kind() {
        ValueKind::Bool => out
            .write_str(if value.is_true() { "true" } else { "false" })
            .map_err(Into::into),
        ValueKind::None => out.write_str("null").map_err(Into::into),
        ValueKind::Seq | ValueKind::Map => match functions::to_json_value(value) {
            Ok(json) => out.write_str(&json.to_string()).map_err(Into::into),
            Err(_) => minijinja::escape_formatter(out, state, value),
        },
        _ => minijinja::escape_formatter(out, state, value),
    });
    functions::register(
        &mut env,
        // Only `files/` is reachable from templates (`file()`, `files()`): no need to copy
        // the templates and the rest along with it.
        Arc::new(
            req.chart
                .files
                .range::<str, _>((
                    std::ops::Bound::Included("files/"),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(k, _)| k.starts_with("files/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        req.lookup.clone(),
    );
    for (name, source) in sources {
        if let Err(err) = env.add_template(name, source) {
            problems.push(template_problem(&err, name, source, sources));
        }
    }
    env
}

fn context(req: &RenderRequest<'_>) -> Value {
    let meta = &req.chart.metadata;
    minijinja::context! {
        values => Value::from(Serde(req.values)),
        release => Value::from(Serde(req.release)),
        chart => Value::from(Serde(ChartInfo {
            name: &meta.name,
            version: &meta.version,
            app_version: meta.app_version.as_deref().unwrap_or(""),
        })),
        capabilities => Value::from(Serde(req.capabilities)),
    }
}

/// Turn a minijinja error into a problem pointing at the template, line and column. The
/// message is built from the error kind and the failing expression's text only: minijinja's own
/// debug display lists variable values, which may be secrets.
fn template_problem(
    mut err: &minijinja::Error,
    rendering: &str,
    rendering_source: &str,
    sources: &BTreeMap<String, String>,
) -> Problem {
    // `{% include %}` wraps the included template's error; report the inner one, which knows
    // the line.
    while err.kind() == ErrorKind::BadInclude {
        match std::error::Error::source(err).and_then(|s| s.downcast_ref::<minijinja::Error>()) {
            Some(inner) => err = inner,
            None => break,
        }
    }
    let name = err.name().unwrap_or(rendering).to_string();
    let source = sources.get(&name).map_or(rendering_source, String::as_str);
    let (line, column, width, expr) = match err.range() {
        Some(r)
            if r.end <= source.len()
                && source.is_char_boundary(r.start)
                && source.is_char_boundary(r.end) =>
        {
            let before = &source[..r.start];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let expr = &source[r.clone()];
            (
                line,
                column,
                expr.chars().count().max(1),
                Some(expr.to_string()),
            )
        }
        _ => (err.line().unwrap_or(1), 1, 1, None),
    };
    let detail = err.detail().map(str::to_string);
    let message = match (err.kind(), &expr) {
        (ErrorKind::UndefinedError, Some(expr)) if is_identifier(expr) => {
            format!("undefined variable `{expr}`")
        }
        (ErrorKind::UndefinedError, Some(expr)) => {
            let attr = expr
                .rsplit(['.', '['])
                .next()
                .unwrap_or(expr)
                .trim_end_matches(']');
            format!("undefined value `{expr}` (no attribute `{attr}`)")
        }
        (ErrorKind::UndefinedError, None) => "undefined value".to_string(),
        (ErrorKind::SyntaxError, _) => format!(
            "syntax error: {}",
            detail.as_deref().unwrap_or("invalid template")
        ),
        // Messages from our functions and from `fail`/`required` are the chart author's words.
        (ErrorKind::InvalidOperation, _) if functions::is_chart_message(err) => {
            detail.clone().unwrap_or_default()
        }
        // minijinja's arithmetic errors print the operands ("unable to calculate 1234 ** 9"),
        // which may be secret values: name the expression instead.
        (ErrorKind::InvalidOperation, Some(expr))
            if detail
                .as_deref()
                .is_some_and(|d| d.starts_with("unable to calculate")) =>
        {
            format!("cannot calculate `{expr}` (overflow or division by zero)")
        }
        (kind, Some(expr)) => match &detail {
            Some(d) => format!("{kind} in `{expr}`: {d}"),
            None => format!("{kind} in `{expr}`"),
        },
        (kind, None) => match &detail {
            Some(d) => format!("{kind}: {d}"),
            None => kind.to_string(),
        },
    };
    let mut message = format!("templates/{name}: {message}");
    if name != rendering {
        message.push_str(&format!(" (while rendering templates/{rendering})"));
    }
    let help = match err.kind() {
        ErrorKind::UndefinedError => {
            "check the spelling against `bscope-chart show values`; for optional values use `| default(...)`"
        }
        ErrorKind::SyntaxError => "see the Jinja syntax at https://docs.rs/minijinja",
        _ => "fix the template or the values it uses",
    };
    Problem::new(message)
        .at_source(
            Location {
                file: format!("templates/{name}"),
                line,
                column,
            },
            source,
            width,
        )
        .help(help)
}

/// A bare variable name (`replicas`), as opposed to an attribute or item access.
fn is_identifier(expr: &str) -> bool {
    let mut chars = expr.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Identity checks, ownership metadata, API validation, duplicates and ordering.
fn finish_objects(objects: &mut Vec<Object>, req: &RenderRequest<'_>, problems: &mut Vec<Problem>) {
    let release = req.release;
    let mut well_formed = Vec::with_capacity(objects.len());
    for obj in objects.drain(..) {
        let p = validate::identity(&obj);
        if p.is_empty() {
            well_formed.push(obj);
        } else {
            problems.extend(p);
        }
    }
    let mut seen = BTreeSet::new();
    for obj in &mut well_formed {
        let namespaced = validate::kind_info(obj.api_version(), obj.kind()).map(|k| k.namespaced);
        match (namespaced, obj.namespace()) {
            (Some(false), Some(ns)) => problems.push(Problem::new(format!(
                "{}: {} {} is cluster-scoped but sets metadata.namespace {ns:?}",
                obj.source,
                obj.kind(),
                obj.name()
            ))),
            (Some(true) | None, None) => {
                obj.metadata_mut()
                    .insert("namespace".into(), release.namespace.clone().into());
            }
            _ => {}
        }
        obj.set_meta_entry("labels", MANAGED_BY_LABEL, MANAGED_BY);
        obj.set_meta_entry("labels", INSTANCE_LABEL, &release.name);
        obj.set_meta_entry(
            "annotations",
            RELEASE_ANNOTATION,
            &format!("{}/{}", release.namespace, release.name),
        );
        problems.extend(validate::schema(obj));
        let id = obj.id();
        if !seen.insert(id.clone()) {
            problems.push(
                Problem::new(format!("{}: {id} is defined twice", obj.source))
                    .help("every object of a release needs a unique kind, namespace and name"),
            );
        }
    }
    manifest::sort_for_install(&mut well_formed);
    *objects = well_formed;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Render a one-template chart with `values`, returning the error text.
    fn render_err(template: &str, values: serde_json::Value) -> String {
        let mut files = crate::chart::ChartFiles::new();
        files.insert(
            "Chart.yaml".into(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        );
        files.insert("templates/t.yaml.j2".into(), template.as_bytes().to_vec());
        let chart = Chart::from_files(files, "t".into()).unwrap();
        let values = values.as_object().cloned().unwrap_or_default();
        let release = ReleaseInfo::install("r", "ns");
        let req = RenderRequest {
            chart: &chart,
            values: &values,
            release: &release,
            capabilities: &Capabilities::default(),
            lookup: None,
        };
        match render(&req) {
            Ok(r) => panic!("expected an error, rendered {}", r.manifest()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn chart_files_are_reachable_from_templates() {
        let mut files = crate::chart::ChartFiles::new();
        files.insert(
            "Chart.yaml".into(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        );
        files.insert("files/a.txt".into(), b"alpha".to_vec());
        files.insert("files/d/b.txt".into(), b"beta".to_vec());
        files.insert("values.yaml".into(), b"x: 1\n".to_vec());
        files.insert(
            "templates/t.yaml.j2".into(),
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: {{ file('a.txt') }}\n  list: {{ files() | join(',') }}\n  d: {{ files('d/') | join(',') }}\n".to_vec(),
        );
        let chart = Chart::from_files(files, "t".into()).unwrap();
        let values = Map::new();
        let release = ReleaseInfo::install("r", "ns");
        let r = render(&RenderRequest {
            chart: &chart,
            values: &values,
            release: &release,
            capabilities: &Capabilities::default(),
            lookup: None,
        })
        .unwrap();
        assert_eq!(
            r.objects[0].body["data"],
            json!({"a": "alpha", "list": "a.txt,d/b.txt", "d": "d/b.txt"})
        );
    }

    #[test]
    fn bare_undefined_name_is_a_variable_not_an_attribute() {
        let e = render_err("x: {{ replicas }}\n", json!({}));
        assert!(e.contains("undefined variable `replicas`"), "{e}");
        assert!(e.contains("templates/t.yaml.j2:1:7"), "{e}");
    }

    #[test]
    fn syntax_errors_point_at_the_template_line() {
        let e = render_err("a: 1\nb: {{ values.x }\n", json!({"x": 1}));
        assert!(e.contains("syntax error"), "{e}");
        assert!(e.contains("templates/t.yaml.j2:2:"), "{e}");
    }

    #[test]
    fn unknown_filters_are_named() {
        let e = render_err("a: {{ values.x | toYaml }}\n", json!({"x": 1}));
        assert!(e.contains("toYaml"), "{e}");
        assert!(e.contains("templates/t.yaml.j2:1:"), "{e}");
    }

    #[test]
    fn required_names_the_missing_value_in_the_authors_words() {
        let e = render_err(
            "a: {{ values.missing | required(\"set values.missing\") }}\n",
            json!({}),
        );
        assert!(e.contains("set values.missing"), "{e}");
        let e = render_err("a: {{ fail(\"unsupported mode\") }}\n", json!({}));
        assert!(e.contains("templates/t.yaml.j2: unsupported mode"), "{e}");
    }

    #[test]
    fn booleans_and_none_render_as_yaml() {
        let mut files = crate::chart::ChartFiles::new();
        files.insert(
            "Chart.yaml".into(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        );
        files.insert(
            "templates/t.yaml.j2".into(),
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  t: \"{{ values.t }}\"\n  f: \"{{ values.f }}\"\n  n: \"{{ values.n }}\"\n  d: \"{{ values.missing | default('fallback') }}\"\n  l: '{{ values.l }}'\n".to_vec(),
        );
        let chart = Chart::from_files(files, "t".into()).unwrap();
        let values = json!({"t": true, "f": false, "n": null, "l": [1, "a"]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let release = ReleaseInfo::install("r", "ns");
        let r = render(&RenderRequest {
            chart: &chart,
            values: &values,
            release: &release,
            capabilities: &Capabilities::default(),
            lookup: None,
        })
        .unwrap();
        assert_eq!(
            r.objects[0].body["data"],
            json!({"t": "true", "f": "false", "n": "null", "d": "fallback", "l": "[1,\"a\"]"})
        );
    }

    #[test]
    fn minijinja_operand_values_are_not_printed() {
        let e = render_err("x: {{ values.pin ** 100 }}\n", json!({"pin": 987654}));
        assert!(!e.contains("987654"), "{e}");
        assert!(e.contains("`values.pin ** 100`"), "{e}");
    }

    #[test]
    fn author_messages_are_printed_verbatim() {
        let e = render_err(
            "x: {{ values.a | required(\"set a.b\") }}\n",
            json!({"a": null}),
        );
        assert!(e.contains("templates/t.yaml.j2: set a.b\n"), "{e}");
    }

    #[test]
    fn other_runtime_errors_name_the_expression() {
        let e = render_err("x: {{ values.s | int }}\n", json!({"s": "abc"}));
        assert!(e.contains("invalid operation in `int`"), "{e}");
    }

    #[test]
    fn errors_in_included_templates_point_inside_them() {
        let mut files = crate::chart::ChartFiles::new();
        files.insert(
            "Chart.yaml".into(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        );
        files.insert(
            "templates/t.yaml.j2".into(),
            b"{% include '_part.j2' %}\n".to_vec(),
        );
        files.insert(
            "templates/_part.j2".into(),
            b"a: 1\nb: {{ nope }}\n".to_vec(),
        );
        let chart = Chart::from_files(files, "t".into()).unwrap();
        let values = Map::new();
        let release = ReleaseInfo::install("r", "ns");
        let e = render(&RenderRequest {
            chart: &chart,
            values: &values,
            release: &release,
            capabilities: &Capabilities::default(),
            lookup: None,
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("templates/_part.j2:2:7"), "{e}");
        assert!(e.contains("while rendering templates/t.yaml.j2"), "{e}");
    }
}
