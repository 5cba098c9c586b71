//! `diff` against the local control plane (issue 6, acceptance 1–8).
//!
//! Every test installs the chart (`values/minikube.yaml`, see `common::TestRelease`) into a
//! namespace of its own and runs `bscope-chart diff` the way a user does, reading its text and
//! JSON output. Without a reachable cluster every test fails (never skips).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine as _;
use common::{Run, TestRelease, bscope_command, kubeconfig, kubectl, repo, run};
use serde_json::{Value, json};

/// A release installed with the test values, without waiting for readiness.
fn installed(test: &str) -> TestRelease {
    let rel = TestRelease::new(test);
    rel.deploy("install", &[], &["--create-namespace", "--no-wait"])
        .ok();
    rel
}

/// `diff RELEASE <test values> --set SETS... FLAGS...` with the release's chart copy.
fn diff(rel: &TestRelease, sets: &[&str], flags: &[&str]) -> Run {
    let mut args = vec!["diff".to_string(), rel.name.clone()];
    args.extend(TestRelease::values_args(sets));
    args.extend(flags.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    rel.bscope(&refs)
}

/// The same as [`diff`], with another chart directory.
fn diff_with_chart(rel: &TestRelease, chart: &Path, sets: &[&str], flags: &[&str]) -> Run {
    let mut cmd = bscope_command();
    cmd.arg("--kubeconfig")
        .arg(kubeconfig())
        .arg("--chart")
        .arg(chart)
        .args(["-n", rel.namespace(), "diff", &rel.name])
        .args(TestRelease::values_args(sets))
        .args(flags);
    run(cmd)
}

/// `diff -o json` (exit 0: no --detailed-exitcode), parsed.
#[track_caller]
fn plan(rel: &TestRelease, sets: &[&str]) -> Value {
    diff(rel, sets, &["-o", "json"]).ok().json()
}

/// Assert the exit code, showing the output on failure.
#[track_caller]
fn expect_code(r: &Run, code: i32) {
    assert_eq!(
        r.code, code,
        "`{}`: exit {} (expected {code})\n--- stderr\n{}\n--- stdout\n{}",
        r.what, r.code, r.stderr, r.stdout
    );
}

/// `(action, kind, name)` of every change of a JSON plan, in plan order.
fn actions(plan: &Value) -> Vec<(String, String, String)> {
    plan["changes"]
        .as_array()
        .expect("changes is an array")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().expect("action").to_string(),
                c["kind"].as_str().expect("kind").to_string(),
                c["name"].as_str().expect("name").to_string(),
            )
        })
        .collect()
}

fn set_of(v: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    v.iter()
        .map(|(a, k, n)| (a.to_string(), k.to_string(), n.to_string()))
        .collect()
}

/// The change of `kind`/`name` in a JSON plan.
#[track_caller]
fn change<'a>(plan: &'a Value, kind: &str, name: &str) -> &'a Value {
    plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["kind"] == kind && c["name"] == name)
        .unwrap_or_else(|| panic!("no change for {kind} {name} in {plan:#}"))
}

/// Lines of a unified diff that add or remove something (headers excluded).
fn changed_lines(diff: &str) -> Vec<&str> {
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect()
}

/// A copy of the repository's chart (cluster-scoped names suffixed as the release's own copy)
/// with `edit` applied to one template.
fn edited_chart(rel: &TestRelease, dir: &Path, template: &str, edit: impl Fn(&str) -> String) {
    common::copy_chart(&repo().join("chart"), dir, &rel.ns.id);
    let path = dir.join("templates").join(template);
    let text = std::fs::read_to_string(&path).expect("read template");
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit of {template} changed nothing");
    std::fs::write(&path, edited).expect("write template");
}

/// Insert `line` as the first line of `spec:` of the `kind` object named `name`.
fn add_to_spec(text: &str, kind: &str, name: &str, line: &str) -> String {
    let at = text
        .find(&format!("kind: {kind}\nmetadata:\n  name: {name}\n"))
        .unwrap_or_else(|| panic!("no {kind} {name}"));
    let spec = at + text[at..].find("\nspec:\n").expect("spec") + "\nspec:\n".len();
    format!("{}{line}\n{}", &text[..spec], &text[spec..])
}

// ----------------------------------------------------------------------------------------------
// 1. No noise right after install.

#[test]
fn no_changes_right_after_install_and_once_the_workloads_run() {
    let rel = installed("diff-no-changes");
    let r = diff(&rel, &[], &["--detailed-exitcode"]);
    expect_code(&r, 0);
    assert_eq!(r.stdout.trim(), "No changes", "{}", r.stdout);

    let p = plan(&rel, &[]);
    assert_eq!(p["changes"], json!([]), "{p:#}");
    assert_eq!(
        p["summary"],
        json!({"create": 0, "update": 0, "delete": 0, "replace": 0, "keep": 0})
    );

    // Other spellings of the same quantities change the manifest, so the objects go through
    // the server-side dry-run, which stores the same values: still nothing to change.
    let spellings = [
        "prometheus.resources.requests.cpu=0.1",
        "prometheus.resources.limits.cpu=1",
        "prometheus.resources.limits.memory=1024Mi",
        "loki.resources.requests.memory=0.25Gi",
    ];
    let r = diff(&rel, &spellings, &["--detailed-exitcode"]);
    expect_code(&r, 0);
    assert_eq!(r.stdout.trim(), "No changes", "{}", r.stdout);
    // (The manifests do differ: otherwise the check above would prove nothing.)
    let template = |sets: &[&str]| {
        let mut args = vec!["template".to_string(), rel.name.clone()];
        args.extend(TestRelease::values_args(sets));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        rel.bscope(&refs).ok().stdout
    };
    assert_ne!(template(&[]), template(&spellings));

    // Controllers then write their own fields (Deployment revision annotations, bound claims,
    // status): still nothing to change.
    rel.ns
        .kubectl(&[
            "wait",
            "--for=condition=Available",
            "deployment",
            "--all",
            "--timeout=90s",
        ])
        .ok();
    let r = diff(&rel, &[], &["--detailed-exitcode"]);
    expect_code(&r, 0);
    assert_eq!(r.stdout.trim(), "No changes", "{}", r.stdout);
}

// ----------------------------------------------------------------------------------------------
// 2. A values change shows exactly the changed line of the one object it changes.

#[test]
fn prometheus_retention_changes_only_its_argument_line() {
    let rel = installed("diff-retention");
    let set = ["prometheus.retention=30d"];
    let r = diff(&rel, &set, &["--detailed-exitcode"]);
    expect_code(&r, 2);
    let changed = changed_lines(&r.stdout);
    assert_eq!(changed.len(), 2, "{}", r.stdout);
    assert!(
        changed[0].starts_with('-') && changed[0].ends_with("\"--storage.tsdb.retention.time=3d\""),
        "{}",
        r.stdout
    );
    assert!(
        changed[1].starts_with('+')
            && changed[1].ends_with("\"--storage.tsdb.retention.time=30d\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l == format!("update   Deployment {}/prometheus", rel.namespace())),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.lines().last(),
        Some("Plan: 0 to create, 1 to update, 0 to delete, 0 to replace")
    );

    let p = plan(&rel, &set);
    assert_eq!(
        actions(&p),
        vec![("update".into(), "Deployment".into(), "prometheus".into())]
    );
    let c = change(&p, "Deployment", "prometheus");
    assert_eq!(c["api_version"], "apps/v1");
    assert_eq!(c["namespace"], rel.namespace());
    let fields = c["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 1, "{c:#}");
    assert!(
        fields[0]
            .as_str()
            .unwrap()
            .starts_with("spec.template.spec.containers.[prometheus].args."),
        "{c:#}"
    );
    assert!(
        c.get("drift").is_none(),
        "a values change is not drift: {c:#}"
    );
}

// ----------------------------------------------------------------------------------------------
// 3. Secrets: the key is named, no value is shown, in clear or base64.

#[test]
fn grafana_password_change_names_the_key_and_shows_no_password() {
    let rel = installed("diff-secret");
    let minikube = std::fs::read_to_string(repo().join("values/minikube.yaml")).unwrap();
    let old = "battlescope-dev";
    assert!(
        minikube.contains(&format!("password: {old}")),
        "values/minikube.yaml changed its Grafana password; update this test"
    );
    let new = format!("Sw0rdfish-{}", rel.ns.id);
    let set = format!("grafana.admin.password={new}");
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let b64_unpadded = |s: &str| base64::engine::general_purpose::STANDARD_NO_PAD.encode(s);
    let secrets = [
        old.to_string(),
        new.clone(),
        b64(old),
        b64(&new),
        b64_unpadded(old),
        b64_unpadded(&new),
    ];
    let leaks = |r: &Run| -> Vec<String> {
        secrets
            .iter()
            .filter(|s| r.stdout.contains(s.as_str()) || r.stderr.contains(s.as_str()))
            .cloned()
            .collect()
    };

    let text = diff(&rel, &[&set], &["--detailed-exitcode"]);
    expect_code(&text, 2);
    let line = format!(
        "update   Secret {}/grafana-secret (secret keys changed: admin-password)",
        rel.namespace()
    );
    assert!(text.stdout.lines().any(|l| l == line), "{}", text.stdout);
    for flags in [
        &["--detailed-exitcode"][..],
        &["-o", "summary"],
        &["-o", "json"],
    ] {
        let r = diff(&rel, &[&set], flags);
        assert!(r.code == 0 || r.code == 2, "{flags:?}: {}", r.stderr);
        assert_eq!(
            leaks(&r),
            Vec::<String>::new(),
            "{flags:?} leaks:\n{}",
            r.stdout
        );
    }

    let p = plan(&rel, &[&set]);
    let c = change(&p, "Secret", "grafana-secret");
    assert_eq!(c["action"], "update");
    assert_eq!(c["secret_keys"], json!(["admin-password"]));
    assert!(
        c["diff"].as_str().unwrap().contains("admin-password"),
        "{c:#}"
    );

    // The check above can fail: with --show-secrets the new value is there.
    let shown = diff(&rel, &[&set], &["--show-secrets"]).ok();
    assert!(
        shown.stdout.contains(&b64(&new)),
        "--show-secrets hides the value:\n{}",
        shown.stdout
    );
}

// ----------------------------------------------------------------------------------------------
// 4. Drift: an edit by another field manager is reverted, and the diff says by whom.

#[test]
fn a_manual_edit_is_shown_as_reverted_naming_its_field_manager() {
    let rel = installed("diff-drift");
    let cm = rel.ns.get_json(&["configmap", "prometheus-config"]);
    let original = cm["data"]["prometheus.yml"]
        .as_str()
        .expect("prometheus.yml");
    assert!(original.contains("  scrape_interval: 15s\n"), "{original}");
    let edited = original.replacen("  scrape_interval: 15s\n", "  scrape_interval: 99s\n", 1);
    let patch = json!({"data": {"prometheus.yml": edited}}).to_string();
    rel.ns
        .kubectl(&[
            "patch",
            "configmap",
            "prometheus-config",
            "--field-manager=kubectl-edit",
            "--type=merge",
            "-p",
            &patch,
        ])
        .ok();

    let r = diff(&rel, &[], &["--detailed-exitcode"]);
    expect_code(&r, 2);
    let line = format!(
        "update   ConfigMap {}/prometheus-config (reverts manual change by kubectl-edit: data.prometheus.yml)",
        rel.namespace()
    );
    assert!(r.stdout.lines().any(|l| l == line), "{}", r.stdout);
    let changed = changed_lines(&r.stdout);
    assert_eq!(
        changed,
        vec!["-      scrape_interval: 99s", "+      scrape_interval: 15s"],
        "{}",
        r.stdout
    );

    // With a values change too: the values change is not attributed to anyone.
    let p = plan(&rel, &["prometheus.retention=30d"]);
    assert_eq!(
        set_of_actions(&p),
        set_of(&[
            ("update", "ConfigMap", "prometheus-config"),
            ("update", "Deployment", "prometheus"),
        ])
    );
    let c = change(&p, "ConfigMap", "prometheus-config");
    assert_eq!(
        c["drift"],
        json!([{"manager": "kubectl-edit", "fields": ["data.prometheus.yml"]}])
    );
    assert!(
        change(&p, "Deployment", "prometheus")
            .get("drift")
            .is_none()
    );
}

fn set_of_actions(plan: &Value) -> BTreeSet<(String, String, String)> {
    actions(plan).into_iter().collect()
}

// ----------------------------------------------------------------------------------------------
// 5. Disabling a component: its objects are deletes, its volume is kept.

#[test]
fn disabling_jaeger_deletes_its_objects_and_keeps_its_volume() {
    let rel = installed("diff-jaeger-off");
    let off = ["jaeger.enabled=false"];
    let p = plan(&rel, &off);
    let of = |action: &str| -> BTreeSet<(String, String)> {
        actions(&p)
            .into_iter()
            .filter(|(a, _, _)| a == action)
            .map(|(_, k, n)| (k, n))
            .collect()
    };
    let pairs = |v: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        v.iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect()
    };
    assert_eq!(
        of("delete"),
        pairs(&[
            ("Deployment", "jaeger"),
            ("Service", "jaeger-query"),
            ("Service", "jaeger-collector"),
            ("Service", "jaeger-agent"),
        ]),
        "{p:#}"
    );
    assert_eq!(
        of("keep"),
        pairs(&[("PersistentVolumeClaim", "jaeger-pvc")])
    );
    assert!(of("create").is_empty() && of("replace").is_empty(), "{p:#}");
    // What refers to Jaeger is updated, nothing else.
    for (_, name) in of("update") {
        assert!(
            [
                "grafana-datasources",
                "grafana",
                "prometheus-config",
                "prometheus-rules",
                "prometheus"
            ]
            .contains(&name.as_str()),
            "unexpected update of {name}"
        );
    }
    assert_eq!(p["summary"]["delete"], 4);
    assert_eq!(p["summary"]["keep"], 1);

    let r = diff(&rel, &off, &["--detailed-exitcode"]);
    expect_code(&r, 2);
    let ns = rel.namespace();
    for line in [
        format!("delete   Deployment {ns}/jaeger"),
        format!("delete   Service {ns}/jaeger-collector"),
        format!(
            "keep     PersistentVolumeClaim {ns}/jaeger-pvc (bscope.io/resource-policy: keep; left in place)"
        ),
    ] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "no {line:?} in\n{}",
            r.stdout
        );
    }
    let last = r.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Plan: 0 to create, ")
            && last.ends_with(" 4 to delete, 0 to replace, 1 kept"),
        "{last}"
    );
}

// ----------------------------------------------------------------------------------------------
// 6. Immutable fields: a replace naming the field.

#[test]
fn an_immutable_field_change_is_a_replace_naming_the_field() {
    let rel = installed("diff-replace");
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    edited_chart(&rel, &chart, "jaeger.yaml.j2", |t| {
        // A fixed clusterIP on a Service that already has one, and a wider Deployment selector
        // (the pod template carries the label, so the object is valid).
        let t = add_to_spec(t, "Service", "jaeger-collector", "  clusterIP: 10.0.0.123");
        let selector = "  selector:\n    matchLabels:\n      app: jaeger\n";
        assert_eq!(t.matches(selector).count(), 1);
        t.replacen(
            selector,
            &format!("{selector}      component: tracing\n"),
            1,
        )
    });

    let r = diff_with_chart(&rel, &chart, &[], &["--detailed-exitcode"]);
    expect_code(&r, 2);
    let ns = rel.namespace();
    let service = r
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("replace  Service {ns}/jaeger-collector ")))
        .unwrap_or_else(|| panic!("no replace of the Service:\n{}", r.stdout));
    assert!(
        service.contains("(immutable: ") && service.contains("clusterIP"),
        "{service}"
    );
    let deployment = format!("replace  Deployment {ns}/jaeger (immutable: spec.selector)");
    assert!(r.stdout.lines().any(|l| l == deployment), "{}", r.stdout);
    assert_eq!(
        r.stdout.lines().last(),
        Some("Plan: 0 to create, 0 to update, 0 to delete, 2 to replace")
    );

    let p = diff_with_chart(&rel, &chart, &[], &["-o", "json"])
        .ok()
        .json();
    assert_eq!(
        set_of_actions(&p),
        set_of(&[
            ("replace", "Service", "jaeger-collector"),
            ("replace", "Deployment", "jaeger"),
        ])
    );
    let svc = change(&p, "Service", "jaeger-collector");
    assert!(
        svc["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("clusterIP")),
        "{svc:#}"
    );
    assert!(
        svc["reason"].as_str().unwrap().contains("10.0.0.123"),
        "{svc:#}"
    );
    assert_eq!(
        change(&p, "Deployment", "jaeger")["fields"],
        json!(["spec.selector"])
    );
}

// ----------------------------------------------------------------------------------------------
// 7. diff revision / diff rollback.

/// Kinds the chart renders (plural resource names for kubectl).
const NAMESPACED: &str = "deployments.apps,daemonsets.apps,services,configmaps,secrets,\
persistentvolumeclaims,serviceaccounts,ingresses.networking.k8s.io";
const CLUSTER_SCOPED: &str =
    "clusterroles.rbac.authorization.k8s.io,clusterrolebindings.rbac.authorization.k8s.io";

/// The release's live objects by `(kind, name)`: what bscope-chart manages of them, without
/// what controllers write (status, their annotations, a claim's bound volume).
fn live_objects(rel: &TestRelease) -> BTreeMap<(String, String), Value> {
    let selector = format!("app.kubernetes.io/instance={}", rel.name);
    let mut items = rel.ns.get_json(&[NAMESPACED, "-l", &selector])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cluster = kubectl(&["get", CLUSTER_SCOPED, "-l", &selector, "-o", "json"])
        .ok()
        .json();
    items.extend(cluster["items"].as_array().cloned().unwrap_or_default());
    items
        .into_iter()
        .map(|mut o| {
            let key = (
                o["kind"].as_str().unwrap().to_string(),
                o["metadata"]["name"].as_str().unwrap().to_string(),
            );
            let meta = &o["metadata"];
            let annotations: serde_json::Map<String, Value> = meta["annotations"]
                .as_object()
                .map(|a| {
                    a.iter()
                        .filter(|(k, _)| !k.contains("kubernetes.io/"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let meta = json!({"labels": meta["labels"], "annotations": annotations});
            let obj = o.as_object_mut().unwrap();
            obj.remove("status");
            obj.insert("metadata".into(), meta);
            if key.0 == "PersistentVolumeClaim"
                && let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut)
            {
                spec.remove("volumeName");
            }
            (key, o)
        })
        .collect()
}

/// resourceVersions of the release records and of the namespace's Leases (the lock).
fn record_versions(rel: &TestRelease) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = rel
        .record_secrets()
        .iter()
        .map(|s| {
            (
                format!("secret/{}", s["metadata"]["name"].as_str().unwrap()),
                s["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    for l in rel.ns.get_json(&["leases.coordination.k8s.io"])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        out.insert(
            format!("lease/{}", l["metadata"]["name"].as_str().unwrap()),
            l["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    out
}

/// resourceVersions of the release's objects that no controller writes to.
fn object_versions(rel: &TestRelease) -> BTreeMap<String, String> {
    let selector = format!("app.kubernetes.io/instance={}", rel.name);
    rel.ns.get_json(&[
        "services,configmaps,secrets,serviceaccounts",
        "-l",
        &selector,
    ])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| {
            (
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                ),
                o["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

/// The objects of a stored manifest by `(kind, name)`.
fn manifest(rel: &TestRelease, revision: u32) -> BTreeMap<(String, String), Value> {
    let rev = revision.to_string();
    let text = rel
        .bscope(&["get", "manifest", &rel.name, "--revision", &rev])
        .ok()
        .stdout;
    serde_saphyr::from_multiple::<Value>(&text)
        .expect("the stored manifest is YAML")
        .into_iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            (
                (
                    d["kind"].as_str().unwrap().to_string(),
                    d["metadata"]["name"].as_str().unwrap().to_string(),
                ),
                d,
            )
        })
        .collect()
}

#[test]
fn diff_revision_and_diff_rollback_match_the_manifests_and_the_rollback() {
    let rel = TestRelease::new("diff-revisions");
    // Waiting installs and upgrades: the objects are settled before they are compared.
    rel.install(&[]);
    rel.upgrade(&[
        "prometheus.retention=30d",
        "jaeger.enabled=false",
        "grafana.datasources.loki.maxLines=500",
    ]);
    let records_before = record_versions(&rel);
    let versions_before = object_versions(&rel);
    let live_before = live_objects(&rel);
    assert_eq!(
        records_before
            .keys()
            .filter(|k| k.starts_with("secret/"))
            .count(),
        2
    );

    // diff revision 1 2: exactly the difference of the stored manifests.
    let r = rel
        .bscope(&["diff", "revision", &rel.name, "1", "2", "-o", "json"])
        .ok();
    let p = r.json();
    let (m1, m2) = (manifest(&rel, 1), manifest(&rel, 2));
    let mut expected = BTreeSet::new();
    for (key, body) in &m2 {
        match m1.get(key) {
            None => expected.insert(("create".to_string(), key.0.clone(), key.1.clone())),
            Some(old) if old != body => {
                expected.insert(("update".to_string(), key.0.clone(), key.1.clone()))
            }
            Some(_) => false,
        };
    }
    for (key, body) in &m1 {
        if !m2.contains_key(key) {
            let kept = body["metadata"]["annotations"]["bscope.io/resource-policy"] == "keep";
            let action = if kept { "keep" } else { "delete" };
            expected.insert((action.to_string(), key.0.clone(), key.1.clone()));
        }
    }
    assert_eq!(set_of_actions(&p), expected, "{p:#}");
    assert!(expected.contains(&("update".into(), "Deployment".into(), "prometheus".into())));
    assert!(expected.contains(&("delete".into(), "Deployment".into(), "jaeger".into())));
    let prometheus = change(&p, "Deployment", "prometheus")["diff"]
        .as_str()
        .unwrap();
    assert_eq!(
        changed_lines(prometheus)
            .iter()
            .filter(|l| l.contains("retention.time"))
            .count(),
        2,
        "{prometheus}"
    );
    // B defaults to the latest revision; the text output says the same.
    let latest = rel
        .bscope(&["diff", "revision", &rel.name, "1", "-o", "json"])
        .ok();
    assert_eq!(latest.json(), p);
    let text = rel.bscope(&["diff", "revision", &rel.name, "1", "2"]).ok();
    assert!(
        text.stdout
            .contains("+        - \"--storage.tsdb.retention.time=30d\""),
        "{}",
        text.stdout
    );

    // diff rollback 1: what `rollback 1` will change.
    let rb = rel
        .bscope(&["diff", "rollback", &rel.name, "1", "-o", "json"])
        .ok()
        .json();

    // Neither diff wrote anything.
    assert_eq!(
        record_versions(&rel),
        records_before,
        "diff wrote release records"
    );
    assert_eq!(object_versions(&rel), versions_before, "diff wrote objects");
    assert_eq!(live_objects(&rel), live_before, "diff changed objects");
    assert_eq!(rel.revisions().len(), 2);

    let done = rel
        .bscope(&["rollback", &rel.name, "1", "--timeout", "60s"])
        .ok();
    let live_after = live_objects(&rel);
    let mut did = BTreeSet::new();
    for (key, after) in &live_after {
        match live_before.get(key) {
            None => did.insert(("create".to_string(), key.0.clone(), key.1.clone())),
            Some(before) if before != after => {
                did.insert(("update".to_string(), key.0.clone(), key.1.clone()))
            }
            Some(_) => false,
        };
    }
    for key in live_before.keys() {
        if !live_after.contains_key(key) {
            did.insert(("delete".to_string(), key.0.clone(), key.1.clone()));
        }
    }
    let planned: BTreeSet<_> = set_of_actions(&rb)
        .into_iter()
        .filter(|(a, _, _)| a != "keep")
        .collect();
    assert_eq!(planned, did, "diff rollback said {rb:#}");
    assert!(did.contains(&("create".into(), "Deployment".into(), "jaeger".into())));
    assert!(did.contains(&("update".into(), "Deployment".into(), "prometheus".into())));
    // The rollback's own account agrees: it applied at least every create and update (it may
    // also re-apply an unchanged object) and pruned exactly the deletes.
    let s = &rb["summary"];
    let (applied, _, pruned) = report_counts(&done.stderr, &done.stdout);
    assert!(
        applied >= s["create"].as_u64().unwrap() + s["update"].as_u64().unwrap(),
        "rollback applied {applied}, the plan says {s}"
    );
    assert_eq!(pruned, s["delete"].as_u64().unwrap(), "the plan says {s}");
    assert_eq!(rel.revisions().last().map(|r| r.0), Some(3));
}

/// `(applied, unchanged, pruned)` from the `... (N applied, N unchanged, N pruned...)` line.
fn report_counts(stderr: &str, stdout: &str) -> (u64, u64, u64) {
    let text = format!("{stdout}\n{stderr}");
    let line = text
        .lines()
        .find(|l| l.contains(" applied, ") && l.contains(" pruned"))
        .unwrap_or_else(|| panic!("no outcome line in:\n{text}"));
    let number = |word: &str| -> u64 {
        let before = &line[..line
            .find(word)
            .unwrap_or_else(|| panic!("{word} in {line}"))];
        before
            .trim_end()
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count before {word:?} in {line}"))
    };
    (number(" applied"), number(" unchanged"), number(" pruned"))
}

// ----------------------------------------------------------------------------------------------
// 8. -o json lists what the text outputs list.

/// `(action, object)` of the lines of the text output that start with an action word.
fn text_entries(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let action = words.next()?;
            if !["create", "update", "delete", "replace", "keep"].contains(&action) {
                return None;
            }
            let kind = words.next()?;
            let object = words.next()?;
            Some((action.to_string(), format!("{kind} {object}")))
        })
        .collect()
}

#[test]
fn json_output_lists_the_same_objects_and_actions_as_the_text_outputs() {
    let rel = installed("diff-json");
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("chart");
    edited_chart(&rel, &chart, "loki.yaml.j2", |t| {
        add_to_spec(t, "Service", "loki", "  clusterIP: 10.0.0.124")
    });
    // One of each action: create (an Ingress), update, delete and keep (Jaeger off), replace.
    let sets = [
        "prometheus.retention=30d",
        "jaeger.enabled=false",
        "ingress.enabled=true",
        "ingress.hosts.grafana=grafana.example.test",
    ];
    let json_run = diff_with_chart(&rel, &chart, &sets, &["-o", "json"]).ok();
    let p = json_run.json();
    let from_json: Vec<(String, String)> = p["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let object = match c["namespace"].as_str() {
                Some(ns) => format!(
                    "{} {ns}/{}",
                    c["kind"].as_str().unwrap(),
                    c["name"].as_str().unwrap()
                ),
                None => format!(
                    "{} {}",
                    c["kind"].as_str().unwrap(),
                    c["name"].as_str().unwrap()
                ),
            };
            (c["action"].as_str().unwrap().to_string(), object)
        })
        .collect();
    let kinds: BTreeSet<&str> = from_json.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["create", "update", "delete", "replace", "keep"]),
        "{p:#}"
    );

    let summary = diff_with_chart(&rel, &chart, &sets, &["-o", "summary"]).ok();
    let text = diff_with_chart(&rel, &chart, &sets, &[]).ok();
    assert_eq!(
        text_entries(&summary.stdout),
        from_json,
        "{}",
        summary.stdout
    );
    assert_eq!(text_entries(&text.stdout), from_json, "{}", text.stdout);

    // The counts agree with the entries and with the plan line.
    let count = |a: &str| from_json.iter().filter(|(x, _)| x == a).count();
    let s = &p["summary"];
    for a in ["create", "update", "delete", "replace", "keep"] {
        assert_eq!(s[a].as_u64(), Some(count(a) as u64), "{a}: {p:#}");
    }
    let plan_line = format!(
        "Plan: {} to create, {} to update, {} to delete, {} to replace, {} kept",
        count("create"),
        count("update"),
        count("delete"),
        count("replace"),
        count("keep")
    );
    assert_eq!(summary.stdout.lines().last(), Some(plan_line.as_str()));
    assert_eq!(text.stdout.lines().last(), Some(plan_line.as_str()));
    assert_eq!(p["release"], rel.name.as_str());
    assert_eq!(p["namespace"], rel.namespace());
}
