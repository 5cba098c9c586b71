//! Rendering: chart + values → validated, ordered Kubernetes objects and NOTES.
//!
//! The pipeline is: compile every template → render each `templates/*.yaml.j2` with the context
//! (`values`, `release`, `chart`, `capabilities`) → split the output into YAML documents →
//! check identity, add ownership metadata, validate against the API types → sort into install
//! order. Problems are collected across all templates rather than stopping at the first, so
//! `lint` can report everything in one run.

pub mod functions;
pub mod parallel;
pub mod split;
pub mod toyaml;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use minijinja::value::{Serde, Value, ValueKind};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use serde_json::Map;

use crate::chart::{Chart, ChartFiles};
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
            toyaml::push_yaml(&mut out, &obj.body);
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
    let sources = template_sources(req.chart)?;
    let env = environment(req);
    let ctx = context(req);

    let templates: Vec<(&String, &str)> = sources
        .iter()
        .map(|(name, source)| (name, *source))
        .filter(|(name, _)| is_manifest_template(name) || *name == NOTES_TEMPLATE)
        .collect();
    // Longest templates first: the queue hands jobs out in order, so the big ones start early
    // and the small ones fill the gaps at the end.
    let mut longest_first: Vec<usize> = (0..templates.len()).collect();
    longest_first.sort_by_key(|&i| std::cmp::Reverse(templates[i].1.len()));
    // `lookup` blocks on the caller's async runtime: keep it on the calling thread.
    let workers = if req.lookup.is_some() {
        1
    } else {
        parallel::workers(templates.len())
    };
    // Each template (render, split, validate) is a job of its own; problems are reported in
    // template order, as a sequential render would, so the output does not depend on threads.
    let outcomes = parallel::map(templates.len(), workers, |job| {
        let (name, source) = templates[longest_first[job]];
        render_template(req, &env, &ctx, name, source, &sources)
    });
    let mut by_template: Vec<_> = longest_first.into_iter().zip(outcomes).collect();
    by_template.sort_unstable_by_key(|(i, _)| *i);

    // The jobs compiled what they used. Every template must compile, though, even a macro
    // file that nothing imports: syntax errors are reported here, once each, in name order.
    let mut problems: Vec<Problem> = sources
        .iter()
        .filter_map(|(name, source)| {
            let err = env.get_template(name).err()?;
            Some(template_problem(&err, name, source, &sources))
        })
        .collect();
    let mut objects = Vec::new();
    let mut notes = None;
    for (_, outcome) in by_template {
        objects.extend(outcome.objects);
        notes = notes.or(outcome.notes);
        problems.extend(outcome.problems);
    }
    problems.extend(duplicates(&objects));
    manifest::sort_for_install(&mut objects);
    if problems.is_empty() {
        Ok(Rendered { objects, notes })
    } else {
        Err(Error::Problems(problems))
    }
}

/// [`render`] while `check` (the values' schema check) runs on a thread of its own, started
/// before the templates are compiled so that it overlaps all of the render. A failed check
/// wins over the render's result, so the outcome is the same as checking first and then
/// rendering; only the wall-clock time is shorter.
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

/// What one template job produced.
#[derive(Default)]
struct TemplateOutcome {
    /// Its objects, identity-checked, owned by the release and validated.
    objects: Vec<Object>,
    /// Rendered NOTES text, for the NOTES template.
    notes: Option<String>,
    problems: Vec<Problem>,
}

/// A `templates/*.yaml.j2` file that renders objects (not a `_*.j2` macro file, not NOTES).
fn is_manifest_template(name: &str) -> bool {
    name.ends_with(".yaml.j2") && !name.starts_with('_')
}

/// Render one template and turn its output into release objects.
fn render_template(
    req: &RenderRequest<'_>,
    env: &Environment<'_>,
    ctx: &Value,
    name: &str,
    source: &str,
    sources: &Sources<'_>,
) -> TemplateOutcome {
    let mut out = TemplateOutcome::default();
    let Ok(tmpl) = env.get_template(name) else {
        return out; // a syntax error, reported with the others after the render
    };
    match tmpl.render(ctx.clone()) {
        Ok(text) if name == NOTES_TEMPLATE => out.notes = Some(text),
        Ok(text) => match split::documents(&text, &format!("templates/{name}")) {
            Ok(docs) => {
                for mut obj in docs {
                    // Without a kind and name an object cannot be owned, validated or
                    // compared: it is left out. Otherwise it stays, so that duplicates are
                    // found even among objects with other problems.
                    let broken = validate::identity(&obj);
                    if broken.is_empty() {
                        out.problems.extend(own_and_validate(&mut obj, req.release));
                        out.objects.push(obj);
                    } else {
                        out.problems.extend(broken);
                    }
                }
            }
            Err(e) => out.problems.extend(e.into_problems()),
        },
        // A syntax error in an imported or included template is reported once, with the
        // other syntax errors, not again for each template that uses it.
        Err(err) if innermost(&err).kind() == ErrorKind::SyntaxError => {}
        Err(err) => out
            .problems
            .push(template_problem(&err, name, source, sources)),
    }
    out
}

/// A template's name: its path under `templates/`.
fn template_name(path: &str) -> &str {
    path.strip_prefix("templates/").unwrap_or(path)
}

/// Template name (path under `templates/`) → source text, borrowed from the chart.
type Sources<'a> = BTreeMap<String, &'a str>;

fn template_sources(chart: &Chart) -> Result<Sources<'_>> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (path, source) in chart.templates()? {
        let name = template_name(path).to_string();
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

/// The template environment. Templates are compiled when first used, by the job that needs
/// them (minijinja compiles outside its lock), so compiling is spread over the render's
/// threads instead of preceding them; [`render`] compiles whatever was not used afterwards.
/// The loader shares the chart's template bytes (checked to be UTF-8 by [`template_sources`]).
fn environment(req: &RenderRequest<'_>) -> Environment<'static> {
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
                .files_under("files/")
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
        req.lookup.clone(),
    );
    let templates: ChartFiles = req
        .chart
        .files_under("templates/")
        .map(|(path, bytes)| (template_name(path).to_string(), bytes.clone()))
        .collect();
    env.set_loader(move |name| {
        Ok(templates
            .get(name)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::to_owned))
    });
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
    err: &minijinja::Error,
    rendering: &str,
    rendering_source: &str,
    sources: &Sources<'_>,
) -> Problem {
    let err = innermost(err);
    let name = err.name().unwrap_or(rendering).to_string();
    let source = sources.get(&name).copied().unwrap_or(rendering_source);
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

/// The error to report: `{% include %}` wraps the included template's error, and the inner
/// one knows the line.
fn innermost(mut err: &minijinja::Error) -> &minijinja::Error {
    while err.kind() == ErrorKind::BadInclude {
        match std::error::Error::source(err).and_then(|s| s.downcast_ref::<minijinja::Error>()) {
            Some(inner) => err = inner,
            None => break,
        }
    }
    err
}

/// A bare variable name (`replicas`), as opposed to an attribute or item access.
fn is_identifier(expr: &str) -> bool {
    let mut chars = expr.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Give a well-formed object the release's namespace (if namespaced and unset), labels and
/// annotation, and validate it against its API type. Returns its problems.
fn own_and_validate(obj: &mut Object, release: &ReleaseInfo) -> Vec<Problem> {
    let mut problems = Vec::new();
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
    problems
}

/// Objects defined more than once (same kind, namespace and name).
fn duplicates(objects: &[Object]) -> Vec<Problem> {
    let mut seen = BTreeSet::new();
    objects
        .iter()
        .filter(|obj| !seen.insert(obj.id()))
        .map(|obj| {
            Problem::new(format!("{}: {} is defined twice", obj.source, obj.id()))
                .help("every object of a release needs a unique kind, namespace and name")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    /// Render a one-template chart with `values`, returning the error text.
    fn render_err(template: &str, values: serde_json::Value) -> String {
        let mut files = crate::chart::ChartFiles::new();
        files.insert(
            "Chart.yaml".into(),
            Bytes::from_static(b"apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        );
        files.insert("templates/t.yaml.j2".into(), template.to_owned().into());
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
            Bytes::from_static(b"apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        );
        files.insert("files/a.txt".into(), Bytes::from_static(b"alpha"));
        files.insert("files/d/b.txt".into(), Bytes::from_static(b"beta"));
        files.insert("values.yaml".into(), Bytes::from_static(b"x: 1\n"));
        files.insert(
            "templates/t.yaml.j2".into(),
            Bytes::from_static(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: {{ file('a.txt') }}\n  list: {{ files() | join(',') }}\n  d: {{ files('d/') | join(',') }}\n"),
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
            Bytes::from_static(b"apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        );
        files.insert(
            "templates/t.yaml.j2".into(),
            Bytes::from_static(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  t: \"{{ values.t }}\"\n  f: \"{{ values.f }}\"\n  n: \"{{ values.n }}\"\n  d: \"{{ values.missing | default('fallback') }}\"\n  l: '{{ values.l }}'\n"),
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
            Bytes::from_static(b"apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        );
        files.insert(
            "templates/t.yaml.j2".into(),
            Bytes::from_static(b"{% include '_part.j2' %}\n"),
        );
        files.insert(
            "templates/_part.j2".into(),
            Bytes::from_static(b"a: 1\nb: {{ nope }}\n"),
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

    /// A chart of `n` templates of different lengths, each making one ConfigMap; template
    /// `broken` (if any) fails with an undefined name.
    fn many_templates(n: usize, broken: &[usize]) -> Chart {
        let mut files = crate::chart::ChartFiles::new();
        files.insert(
            "Chart.yaml".into(),
            Bytes::from_static(b"apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        );
        for i in 0..n {
            let padding = "# padding\n".repeat((i * 7) % 5);
            let value = if broken.contains(&i) {
                "{{ missing }}"
            } else {
                "ok"
            };
            files.insert(
                format!("templates/t{i:02}.yaml.j2"),
                format!(
                    "{padding}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i:02}\ndata:\n  v: {value}\n"
                )
                .into(),
            );
        }
        Chart::from_files(files, "t".into()).unwrap()
    }

    fn request<'a>(
        chart: &'a Chart,
        values: &'a Map<String, serde_json::Value>,
        release: &'a ReleaseInfo,
        capabilities: &'a Capabilities,
    ) -> RenderRequest<'a> {
        RenderRequest {
            chart,
            values,
            release,
            capabilities,
            lookup: None,
        }
    }

    #[test]
    fn problems_come_in_template_order_whatever_the_threads() {
        let chart = many_templates(12, &[9, 2, 5]);
        let (values, release, caps) = (
            Map::new(),
            ReleaseInfo::install("r", "ns"),
            Capabilities::default(),
        );
        let e = render(&request(&chart, &values, &release, &caps))
            .unwrap_err()
            .to_string();
        let at = |name: &str| {
            e.find(name)
                .unwrap_or_else(|| panic!("{name} missing from {e}"))
        };
        assert!(
            at("templates/t02.yaml.j2") < at("templates/t05.yaml.j2"),
            "{e}"
        );
        assert!(
            at("templates/t05.yaml.j2") < at("templates/t09.yaml.j2"),
            "{e}"
        );
    }

    #[test]
    fn a_failed_values_check_wins_over_the_render() {
        let chart = many_templates(6, &[]);
        let (values, release, caps) = (
            Map::new(),
            ReleaseInfo::install("r", "ns"),
            Capabilities::default(),
        );
        let req = request(&chart, &values, &release, &caps);
        let ok = render_checking(&req, || Ok(())).unwrap();
        assert_eq!(ok.manifest(), render(&req).unwrap().manifest());
        let e = render_checking(&req, || Err(Error::msg("values: bad"))).unwrap_err();
        assert_eq!(e.to_string(), "error: values: bad");
        // Also when the render fails too: the values are the cause to fix first.
        let broken = many_templates(6, &[3]);
        let req = request(&broken, &values, &release, &caps);
        let e = render_checking(&req, || Err(Error::msg("values: bad"))).unwrap_err();
        assert_eq!(e.to_string(), "error: values: bad");
    }

    #[test]
    fn each_syntax_error_is_reported_once_even_in_unused_or_shared_macro_files() {
        let mut chart = many_templates(4, &[]);
        let mut add = |name: &str, text: &str| {
            chart
                .files
                .insert(format!("templates/{name}"), text.to_owned().into())
        };
        // Imported by two templates, and broken.
        add(
            "_shared.j2",
            "{% macro m() %}\n{{ oops( }}\n{% endmacro %}\n",
        );
        add(
            "u1.yaml.j2",
            "{% import '_shared.j2' as s %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u1\n",
        );
        add(
            "u2.yaml.j2",
            "{% import '_shared.j2' as s %}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u2\n",
        );
        // Imported by nothing, and broken: templates are compiled lazily, this one too.
        add("_unused.j2", "{% if %}\n");
        let (values, release, caps) = (
            Map::new(),
            ReleaseInfo::install("r", "ns"),
            Capabilities::default(),
        );
        let e = render(&request(&chart, &values, &release, &caps))
            .unwrap_err()
            .to_string();
        assert_eq!(e.matches("syntax error").count(), 2, "{e}");
        assert_eq!(e.matches("templates/_shared.j2:2:").count(), 1, "{e}");
        assert_eq!(e.matches("templates/_unused.j2:1:").count(), 1, "{e}");
        assert!(!e.contains("templates/u1.yaml.j2"), "{e}");
        let (shared, unused) = (e.find("_shared.j2:2"), e.find("_unused.j2:1"));
        assert!(shared < unused, "name order: {e}");
    }
}
