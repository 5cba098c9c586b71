//! Issue 8: the seed's Makefile verbs on top of bscope-chart, and the instrumentation example,
//! on the local cluster. One sequential test: the verbs share one release, and it is the only
//! test that installs with the fixed minikube NodePorts (30500–30502), which exist once per
//! cluster.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use common::{Run, TestRelease, bscope_bin, eventually, kubeconfig, repo, run};
use serde_json::Value;

/// `make TARGET` for the test's release, namespace, chart copy and cluster.
fn make(rel: &TestRelease, target: &str, extra: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new("make");
    cmd.current_dir(repo())
        .arg("--no-print-directory")
        .arg(target)
        .arg(format!("RELEASE={}", rel.name))
        .arg(format!("NAMESPACE={}", rel.namespace()))
        .arg(format!("BSCOPE={}", bscope_bin().display()))
        .env("KUBECONFIG", kubeconfig())
        .env("BSCOPE_CHART", &rel.chart)
        .env("NO_COLOR", "1")
        // Do not inherit the outer `make test`'s jobserver and level.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL");
    for (k, v) in extra {
        cmd.arg(format!("{k}={v}"));
    }
    run(cmd)
}

#[test]
fn operator_verbs_and_instrumented_service() {
    let rel = TestRelease::new("operator");

    // 1. deploy, then status: deployed, every component listed and Running.
    make(&rel, "observability-deploy", &[]).ok();
    let status = make(&rel, "observability-status", &[]).ok();
    assert!(
        status.stdout.contains("STATUS: deployed"),
        "{}",
        status.stdout
    );
    for c in [
        "prometheus",
        "grafana",
        "loki",
        "promtail",
        "jaeger",
        "alertmanager",
    ] {
        let section = status
            .stdout
            .split(&format!("=== {c} ==="))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for {c}:\n{}", status.stdout));
        let first_pod = section.lines().nth(2).unwrap_or_default();
        assert!(
            first_pod.contains("1/1") && first_pod.contains("Running"),
            "{c} not ready: {section}"
        );
    }

    // 2. diff right after deploy: exit 0 and "No changes"; with a changed value: exit 2.
    let same = make(&rel, "observability-diff", &[]).ok();
    assert!(same.stdout.contains("No changes"), "{}", same.stdout);
    let changed = make(
        &rel,
        "observability-diff",
        &[("FLAGS", "--set prometheus.retention=9d")],
    );
    assert_eq!(changed.code, 2, "{}\n{}", changed.stdout, changed.stderr);
    assert!(
        changed.stdout.contains("retention.time=9d"),
        "{}",
        changed.stdout
    );
    assert!(
        changed.stdout.contains("Plan: 0 to create, 1 to update"),
        "{}",
        changed.stdout
    );

    // 4. grafana-open prints the NodePort URL of the minikube values.
    let open = make(&rel, "grafana-open", &[]).ok();
    let url = open.stdout.trim();
    assert!(
        url.starts_with("http://") && url.ends_with(":30501"),
        "{url}"
    );

    // 5. The instrumentation example is discovered by the kubernetes-pods job.
    instrumented_service_is_scraped(&rel);

    // 3. rollback returns to the previous revision; destroy removes the release, keeps PVCs.
    make(
        &rel,
        "observability-deploy",
        &[("FLAGS", "--set prometheus.retention=9d")],
    )
    .ok();
    make(&rel, "observability-rollback", &[]).ok();
    let history = rel.history();
    let last = history.last().expect("history");
    assert_eq!(last["revision"], 3);
    assert_eq!(last["status"], "deployed");
    assert_eq!(last["description"], "Rollback to 1");
    let args = rel.ns.get_json(&["deployment", "prometheus"]);
    assert!(
        args.to_string().contains("retention.time=3d"),
        "rollback did not restore the args"
    );

    let destroyed = make(&rel, "observability-destroy", &[]).ok();
    assert!(
        destroyed
            .stdout
            .contains("PersistentVolumeClaims were kept"),
        "{}",
        destroyed.stdout
    );
    rel.bscope(&["history", &rel.name]).fails();
    let pvcs = rel.ns.get_json(&["pvc"]);
    let names: Vec<&str> = pvcs["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["metadata"]["name"].as_str())
        .collect();
    for pvc in [
        "prometheus-pvc",
        "grafana-pvc",
        "loki-pvc",
        "jaeger-pvc",
        "alertmanager-pvc",
    ] {
        assert!(names.contains(&pvc), "{pvc} was not kept: {names:?}");
    }
    assert!(
        !rel.ns.exists("deployment", "prometheus"),
        "objects must be gone after destroy"
    );
}

/// Apply examples/battle-service.yaml next to the stack, then run the `kubernetes-pods` job's
/// relabel rules (from the live prometheus-config) over the running pod's discovery labels.
fn instrumented_service_is_scraped(rel: &TestRelease) {
    let example = repo().join("examples/battle-service.yaml");
    rel.ns
        .kubectl(&["apply", "-f", &example.display().to_string()])
        .ok();
    let pod = eventually(
        "battle-service pod Running",
        Duration::from_secs(60),
        || {
            let pods = rel.ns.get_json(&["pods", "-l", "app=battle-service"]);
            pods["items"]
                .as_array()?
                .iter()
                .find(|p| p["status"]["phase"] == "Running" && p["status"]["podIP"].is_string())
                .cloned()
        },
    );

    let cm = rel.ns.get_json(&["configmap", "prometheus-config"]);
    let config: Value = serde_saphyr::from_str(
        cm["data"]["prometheus.yml"]
            .as_str()
            .expect("prometheus.yml"),
    )
    .expect("yaml");
    let job = config["scrape_configs"]
        .as_array()
        .and_then(|jobs| jobs.iter().find(|j| j["job_name"] == "kubernetes-pods"))
        .expect("kubernetes-pods job");
    let watched = &job["kubernetes_sd_configs"][0]["namespaces"]["names"];
    assert!(
        watched
            .as_array()
            .is_some_and(|n| n.iter().any(|x| x == rel.namespace())),
        "the job must watch the release namespace: {watched}"
    );

    let ip = pod["status"]["podIP"].as_str().expect("podIP");
    let mut labels = BTreeMap::new();
    labels.insert("__address__".to_string(), format!("{ip}:3000"));
    labels.insert("__metrics_path__".to_string(), "/metrics".to_string());
    labels.insert(
        "__meta_kubernetes_namespace".to_string(),
        rel.namespace().to_string(),
    );
    labels.insert(
        "__meta_kubernetes_pod_name".to_string(),
        pod["metadata"]["name"].as_str().unwrap_or("").to_string(),
    );
    for (k, v) in pod["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        labels.insert(
            format!("__meta_kubernetes_pod_annotation_{}", sanitize(k)),
            v.as_str().unwrap_or("").into(),
        );
    }
    for (k, v) in pod["metadata"]["labels"].as_object().into_iter().flatten() {
        labels.insert(
            format!("__meta_kubernetes_pod_label_{}", sanitize(k)),
            v.as_str().unwrap_or("").into(),
        );
    }
    let target = relabel(
        labels,
        job["relabel_configs"].as_array().expect("relabel_configs"),
    )
    .expect("the example pod must be kept by the kubernetes-pods relabel rules");
    assert_eq!(target["__address__"], format!("{ip}:3000"));
    assert_eq!(target["__metrics_path__"], "/metrics");
    assert_eq!(
        target.get("app").map(String::as_str),
        Some("battle-service")
    );
}

/// Prometheus' label-name sanitizing of discovered annotations and labels.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A small implementation of Prometheus relabeling (keep, drop, replace, labelmap), enough
/// for the rules this chart ships. Returns `None` when the target is dropped.
fn relabel(
    mut labels: BTreeMap<String, String>,
    rules: &[Value],
) -> Option<BTreeMap<String, String>> {
    for rule in rules {
        let action = rule["action"].as_str().unwrap_or("replace");
        let re = regex::Regex::new(&format!(
            "^(?:{})$",
            rule["regex"]
                .as_str()
                .map_or("(.*)".to_string(), str::to_string)
        ))
        .expect("valid regex");
        let sep = rule["separator"].as_str().unwrap_or(";");
        let source: Vec<String> = rule["source_labels"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                labels
                    .get(l.as_str().unwrap_or(""))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let value = source.join(sep);
        match action {
            "keep" if !re.is_match(&value) => return None,
            "drop" if re.is_match(&value) => return None,
            "replace" => {
                if let Some(caps) = re.captures(&value) {
                    let mut out = String::new();
                    let replacement = rule["replacement"]
                        .as_str()
                        .unwrap_or("$1")
                        .replace("$1", "${1}")
                        .replace("$2", "${2}");
                    caps.expand(&replacement, &mut out);
                    if let Some(t) = rule["target_label"].as_str() {
                        labels.insert(t.to_string(), out);
                    }
                }
            }
            "labelmap" => {
                let mapped: Vec<(String, String)> = labels
                    .iter()
                    .filter_map(|(k, v)| {
                        let caps = re.captures(k)?;
                        Some((caps.get(1)?.as_str().to_string(), v.clone()))
                    })
                    .collect();
                labels.extend(mapped);
            }
            _ => {}
        }
    }
    Some(labels)
}
