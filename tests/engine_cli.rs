//! The offline commands (`template`, `lint`, `show`, `completion`) driven through the built
//! binary against the small charts in `tests/fixtures/`: acceptance items 1–8 of the rendering
//! engine, plus the flags and guarantees around them (exit codes, nothing on stdout on error,
//! locations in messages, secrets kept out of error output).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

/// The binary, run from the package root with a clean environment and no colour.
fn bscope() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BSCOPE_CHART")
        .env_remove("BSCOPE_NAMESPACE")
        .env("NO_COLOR", "1");
    cmd
}

/// `tests/fixtures/<name>`, relative to the package root (where [`bscope`] runs).
fn fixture(name: &str) -> String {
    format!("tests/fixtures/{name}")
}

/// A values file under `tests/fixtures/values/`.
fn values_file(name: &str) -> String {
    format!("tests/fixtures/values/{name}")
}

/// Run `args`, expect success and return stdout.
fn ok(args: &[&str]) -> String {
    let out = bscope().args(args).output().expect("run bscope-chart");
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Run `args`, expect exit code 1 with nothing on stdout, and return stderr.
fn fails(args: &[&str]) -> String {
    let out = bscope().args(args).output().expect("run bscope-chart");
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should exit 1; stderr:\n{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed to stdout on error:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes without a terminal: {stderr:?}"
    );
    stderr
}

/// The documents of a `template` output.
fn documents(manifest: &str) -> Vec<Value> {
    bscope_chart::values::yaml::manifests_from_str(manifest, "stdout")
        .expect("template output is YAML")
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// The object of `kind` named `name` in a `template` output.
fn object(manifest: &str, kind: &str, name: &str) -> Value {
    documents(manifest)
        .into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in:\n{manifest}"))
}

/// The merged values as the `dump` fixture's templates saw them.
fn merged_values(args: &[&str]) -> Value {
    let mut full = vec!["template", "--chart", "tests/fixtures/dump"];
    full.extend_from_slice(args);
    let out = ok(&full);
    let data = object(&out, "ConfigMap", "values");
    let text = data["data"]["values.json"]
        .as_str()
        .expect("values.json is a string");
    serde_json::from_str(text).expect("values.json is JSON")
}

// ---- acceptance 1: layering ----------------------------------------------------------------

#[test]
fn acceptance_1_layering_merges_maps_replaces_lists_and_null_deletes() {
    let x = values_file("layer-x.yaml");
    let y = values_file("layer-y.yaml");
    let merged = merged_values(&["-f", &x, "-f", &y, "--set", "a.d=5"]);
    assert_eq!(merged, json!({"a": {"c": [3], "d": 5}}));
}

#[test]
fn flag_types_apply_in_fixed_order_whatever_the_command_line_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("k.txt");
    std::fs::write(&file, "from-file").expect("write");
    let set_file = format!("k={}", file.display());
    // Lowest first: -f < --set-json < --set < --set-string < --set-file.
    let merged = merged_values(&[
        "--set-file",
        &set_file,
        "--set-string",
        "k=string,s=string",
        "--set",
        "k=1,s=1,t=1",
        "--set-json",
        r#"k=[1],s=[1],t=[1],j={"x":1}"#,
        "-f",
        &values_file("layer-x.yaml"),
    ]);
    assert_eq!(
        merged,
        json!({"a": {"b": 1, "c": [3]}, "k": "from-file", "s": "string", "t": 1, "j": {"x": 1}})
    );
}

#[test]
fn values_file_from_stdin() {
    let out = bscope()
        .args(["template", "--chart", &fixture("dump"), "-f", "-"])
        .write_stdin("a: {c: [7]}\n")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let cm = object(&text, "ConfigMap", "values");
    assert_eq!(
        cm["data"]["values.json"],
        json!({"a": {"b": 1, "c": [7]}}).to_string()
    );
}

// ---- acceptance 2: --set grammar -----------------------------------------------------------

#[test]
fn acceptance_2_set_types_only_booleans_null_and_integers() {
    let merged = merged_values(&[
        "--set",
        "v=1.10",
        "--set",
        "n=12345678901234567",
        "--set",
        "s=007",
        "--set-string",
        "b=true",
        "--set",
        r"a\.b=1",
        "--set",
        "l={x,y}",
    ]);
    assert_eq!(merged["v"], json!("1.10"));
    assert_eq!(merged["n"], json!(12345678901234567_u64));
    assert_eq!(merged["s"], json!("007"));
    assert_eq!(merged["b"], json!("true"));
    assert_eq!(merged["a.b"], json!(1));
    assert_eq!(merged["l"], json!(["x", "y"]));
    // The chart's own `a` map is untouched by the escaped key.
    assert_eq!(merged["a"], json!({"b": 1, "c": [1, 2]}));
}

#[test]
fn acceptance_2_set_without_equals_is_an_error_naming_the_flag() {
    let err = fails(&["template", "--chart", &fixture("dump"), "--set", "bad"]);
    assert!(err.contains("--set bad"), "{err}");
    assert!(err.contains("KEY=VALUE"), "{err}");
}

#[test]
fn big_integers_stay_exact_in_rendered_output() {
    let merged = merged_values(&["--set", "big=123456789012345678901234567890,m=1000000"]);
    assert_eq!(merged["big"], json!("123456789012345678901234567890"));
    assert_eq!(merged["m"], json!(1000000));
}

// ---- acceptance 3: YAML 1.2 values, YAML 1.1-safe output -------------------------------------

#[test]
fn acceptance_3_on_stays_a_string_and_toyaml_quotes_it() {
    let norway = values_file("norway.yaml");
    let out = ok(&["template", "--chart", &fixture("dump"), "-f", &norway]);
    let merged: Value = serde_json::from_str(
        object(&out, "ConfigMap", "values")["data"]["values.json"]
            .as_str()
            .expect("string"),
    )
    .expect("json");
    assert_eq!(
        merged["conf"],
        json!({"enabled": "on", "mode": "0644", "answer": "no"})
    );
    let config = object(&out, "ConfigMap", "toyaml")["data"]["config.yaml"]
        .as_str()
        .expect("config.yaml is a string")
        .to_string();
    assert!(config.contains("enabled: \"on\"\n"), "{config}");
    assert!(config.contains("mode: \"0644\"\n"), "{config}");
    assert!(config.contains("answer: \"no\"\n"), "{config}");
}

// ---- acceptance 4: undefined values --------------------------------------------------------

#[test]
fn acceptance_4_typo_fails_naming_template_line_column_and_attribute() {
    let err = fails(&["template", "--chart", &fixture("typo")]);
    assert!(
        err.contains("templates/prometheus.yaml.j2:7:17"),
        "no template:line:col in:\n{err}"
    );
    assert!(err.contains("`retension`"), "{err}");
    assert!(
        err.contains("7 |   retention: {{ values.prometheus.retension }}"),
        "no snippet in:\n{err}"
    );
    assert!(!err.contains("<no value>"), "{err}");
}

// ---- acceptance 5: schema and duplicate keys -------------------------------------------------

#[test]
fn acceptance_5_unknown_key_names_the_key_path_and_the_file() {
    let file = values_file("unknown-key.yaml");
    let err = fails(&["template", "--chart", &fixture("typo"), "-f", &file]);
    assert!(
        err.contains(&format!(
            "unknown key `prometheus.retension` (set in {file})"
        )),
        "{err}"
    );
    assert!(err.contains("did you mean `prometheus.retention`"), "{err}");
}

#[test]
fn acceptance_5_unknown_key_from_a_flag_names_the_flag() {
    let err = fails(&[
        "template",
        "--chart",
        &fixture("typo"),
        "--set",
        "prometheus.retension=1d",
    ]);
    assert!(
        err.contains("unknown key `prometheus.retension` (set in --set prometheus.retension=…)"),
        "{err}"
    );
}

#[test]
fn acceptance_5_duplicate_key_names_file_and_line() {
    let file = values_file("duplicate-key.yaml");
    let err = fails(&["template", "--chart", &fixture("typo"), "-f", &file]);
    assert!(err.contains(&format!("{file}:3:3")), "{err}");
    assert!(err.contains("duplicate"), "{err}");
    assert!(err.contains("retention"), "{err}");
}

// ---- acceptance 6: splitting documents -----------------------------------------------------

#[test]
fn acceptance_6_block_scalar_separator_and_comment_only_template() {
    let out = ok(&["template", "--chart", &fixture("docs")]);
    let docs = documents(&out);
    let ids: Vec<String> = docs
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["kind"].as_str().unwrap_or("?"),
                d["metadata"]["name"]
            )
        })
        .collect();
    // config.yaml.j2 renders two objects; comments.yaml.j2 renders none.
    assert_eq!(
        ids,
        ["ConfigMap/\"multi-doc-config\"", "Service/\"web\""],
        "{out}"
    );
    let cm = object(&out, "ConfigMap", "multi-doc-config");
    assert_eq!(cm["data"]["streams.yaml"], "first: 1\n---\nsecond: 2\n");
    assert!(!out.contains("comments.yaml.j2"), "{out}");
}

#[test]
fn acceptance_6_document_without_kind_fails_naming_the_template() {
    let err = fails(&[
        "template",
        "--chart",
        &fixture("docs"),
        "--set",
        "broken=true",
    ]);
    assert!(err.contains("templates/kindless.yaml.j2"), "{err}");
    assert!(err.contains("no `kind`"), "{err}");
}

#[test]
fn crlf_templates_render() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path();
    std::fs::create_dir(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\r\nname: crlf\r\nversion: 0.1.0\r\n",
    )
    .expect("write");
    std::fs::write(
        chart.join("templates/cm.yaml.j2"),
        "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\ndata:\r\n  x: |\r\n    one\r\n    two\r\n---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: b\r\n",
    )
    .expect("write");
    let out = ok(&["template", "--chart", &chart.display().to_string()]);
    assert_eq!(documents(&out).len(), 2, "{out}");
    assert_eq!(object(&out, "ConfigMap", "a")["data"]["x"], "one\ntwo\n");
    assert!(!out.contains('\r'));
}

// ---- acceptance 7: lint reports everything --------------------------------------------------

#[test]
fn acceptance_7_lint_reports_all_three_problems() {
    let file = values_file("unknown-key.yaml");
    let err = fails(&["lint", "--chart", &fixture("lint3"), "-f", &file]);
    assert!(
        err.contains(&format!(
            "unknown key `prometheus.retension` (set in {file})"
        )),
        "values problem missing:\n{err}"
    );
    assert!(
        err.contains("templates/server.yaml.j2:7:17") && err.contains("`replicas`"),
        "template problem missing:\n{err}"
    );
    assert!(
        err.contains("templates/agent.yaml.j2") && err.contains("no `kind`"),
        "manifest problem missing:\n{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[test]
fn lint_of_a_clean_chart_succeeds_quietly_on_stdout() {
    let out = bscope()
        .args(["lint", "--chart", &fixture("docs")])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("docs-0.1.0: OK (2 objects)"), "{err}");
}

#[test]
fn lint_reports_object_schema_violations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path();
    std::fs::create_dir(chart.join("templates")).expect("mkdir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
    )
    .expect("write");
    std::fs::write(
        chart.join("templates/svc.yaml.j2"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    - port: \"eighty\"\n      protcol: TCP\n",
    )
    .expect("write");
    let err = fails(&["lint", "--chart", &chart.display().to_string()]);
    assert!(err.contains("spec.ports"), "{err}");
    assert!(
        err.contains("unknown field `spec.ports[0].protcol`"),
        "{err}"
    );
}

// ---- acceptance 8: determinism -------------------------------------------------------------

#[test]
fn acceptance_8_two_runs_are_byte_identical() {
    for args in [
        vec!["template", "--chart", "tests/fixtures/docs"],
        vec![
            "template",
            "--chart",
            "tests/fixtures/dump",
            "-f",
            "tests/fixtures/values/norway.yaml",
            "--set",
            "z=1,y=2,x.b=3,x.a=4",
        ],
    ] {
        let first = ok(&args);
        let second = ok(&args);
        assert!(!first.is_empty());
        assert_eq!(first, second, "{args:?} is not deterministic");
    }
}

// ---- template flags ------------------------------------------------------------------------

#[test]
fn show_only_selects_a_template_or_an_object() {
    let by_template = ok(&[
        "template",
        "--chart",
        &fixture("dump"),
        "--set",
        "conf.x=1",
        "--show-only",
        "templates/toyaml.yaml.j2",
    ]);
    let kinds: Vec<_> = documents(&by_template)
        .iter()
        .map(|d| d["metadata"]["name"].clone())
        .collect();
    assert_eq!(kinds, [json!("toyaml")]);

    let by_object = ok(&[
        "template",
        "--chart",
        &fixture("docs"),
        "--show-only",
        "Service/web",
    ]);
    assert_eq!(documents(&by_object).len(), 1);
    assert_eq!(documents(&by_object)[0]["kind"], "Service");

    let err = fails(&[
        "template",
        "--chart",
        &fixture("docs"),
        "--show-only",
        "templates/nope.yaml.j2",
    ]);
    assert!(err.contains("--show-only templates/nope.yaml.j2"), "{err}");
}

#[test]
fn output_dir_writes_one_file_per_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("out");
    let out = bscope()
        .args(["template", "--chart", &fixture("docs"), "--output-dir"])
        .arg(&out_dir)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "manifests went to stdout too");
    let mut files = Vec::new();
    collect_files(&out_dir, &out_dir, &mut files);
    assert_eq!(files, ["templates/config.yaml"]);
    let text = std::fs::read_to_string(out_dir.join("templates/config.yaml")).expect("read");
    assert_eq!(documents(&text).len(), 2);
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("under root");
            out.push(rel.display().to_string());
        }
    }
}

#[test]
fn release_name_and_namespace_reach_metadata() {
    let out = ok(&["template", "mon", "-n", "obs", "--chart", &fixture("docs")]);
    let svc = object(&out, "Service", "web");
    assert_eq!(svc["metadata"]["namespace"], "obs");
    assert_eq!(
        svc["metadata"]["labels"]["app.kubernetes.io/instance"],
        "mon"
    );
    assert_eq!(
        svc["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "bscope-chart"
    );
    assert_eq!(
        svc["metadata"]["annotations"]["bscope.io/release"],
        "obs/mon"
    );
}

// ---- templates ---------------------------------------------------------------------------

#[test]
fn raw_blocks_reach_the_output_literally() {
    let out = ok(&["template", "--chart", &fixture("docs")]);
    let rules = object(&out, "ConfigMap", "multi-doc-config")["data"]["rules.yaml"]
        .as_str()
        .expect("string")
        .to_string();
    assert_eq!(
        rules,
        "summary: \"{{ $labels.instance }} is down\"\ndescription: '{{ $value | humanizePercentage }}'\n"
    );
}

#[test]
fn secrets_never_appear_in_template_errors() {
    const SECRET: &str = "hunter2-s3cr3t";
    let encoded = "aHVudGVyMi1zM2NyM3Q="; // base64 of SECRET: must not leak either
    for mode in [
        "undefined",
        "arithmetic",
        "negate",
        "int",
        "index",
        "yaml",
        "schema",
        "type",
        "repeat",
        "required",
    ] {
        let err = fails(&[
            "template",
            "--chart",
            &fixture("secret"),
            "--set-string",
            &format!("password={SECRET}"),
            "--set",
            &format!("mode={mode}"),
        ]);
        assert!(
            !err.contains(SECRET) && !err.contains(encoded) && !err.contains("hunter2"),
            "mode {mode} printed the secret:\n{err}"
        );
        assert!(
            err.contains("templates/secret.yaml.j2"),
            "mode {mode}:\n{err}"
        );
    }
    // And it renders when nothing is wrong.
    let out = ok(&[
        "template",
        "--chart",
        &fixture("secret"),
        "--set-string",
        &format!("password={SECRET}"),
    ]);
    assert_eq!(
        object(&out, "Secret", "credentials")["data"]["password"],
        encoded
    );
}

// ---- show, completion, usage ----------------------------------------------------------------

#[test]
fn show_prints_the_chart_files_verbatim() {
    for (what, file) in [
        ("values", "values.yaml"),
        ("chart", "Chart.yaml"),
        ("schema", "values.schema.json"),
    ] {
        let out = ok(&["show", what, "--chart", &fixture("typo")]);
        let expected =
            std::fs::read_to_string(Path::new(&fixture("typo")).join(file)).expect("read");
        assert_eq!(out, expected, "show {what}");
    }
}

#[test]
fn show_of_a_missing_file_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: bare\nversion: 0.1.0\n",
    )
    .expect("write");
    let err = fails(&[
        "show",
        "schema",
        "--chart",
        &dir.path().display().to_string(),
    ]);
    assert!(err.contains("values.schema.json"), "{err}");
}

#[test]
fn completion_scripts_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef bscope-chart"),
        ("fish", "complete -c bscope-chart"),
    ] {
        let out = ok(&["completion", shell]);
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("template"), "{shell} completes no subcommands");
    }
    let err = fails(&["completion", "tcsh"]);
    assert!(err.contains("tcsh"), "{err}");
}

#[test]
fn usage_errors_exit_1() {
    let err = fails(&["template", "--no-such-flag"]);
    assert!(err.contains("--no-such-flag"), "{err}");
    fails(&["frobnicate"]);
}

#[test]
fn missing_chart_directory_is_named() {
    let err = fails(&["template", "--chart", "tests/fixtures/does-not-exist"]);
    assert!(err.contains("tests/fixtures/does-not-exist"), "{err}");
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    // More output than a pipe buffers, and a reader that has gone away: `template | head`.
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.txt");
    std::fs::write(&big, "x".repeat(1 << 20)).expect("write");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["template", "--chart", "tests/fixtures/dump", "--set-file"])
        .arg(format!("big={}", big.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("Broken pipe") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
