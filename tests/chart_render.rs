//! The chart rendered by the built binary with `values/minikube.yaml` and
//! `values/prod.yaml`: every object of the seed is there, exposure and admin
//! API follow the values files, credentials never appear in clear, and pods
//! roll only when their own configuration changes.

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;

const VALUES_FILES: [&str; 2] = ["values/minikube.yaml", "values/prod.yaml"];

/// Every object of the seed document (plus nothing the chart adds by default),
/// as (kind, name).
const SEED_OBJECTS: [(&str, &str); 33] = [
    // Prometheus
    ("Deployment", "prometheus"),
    ("Service", "prometheus"),
    ("ConfigMap", "prometheus-config"),
    ("ConfigMap", "prometheus-rules"),
    ("ServiceAccount", "prometheus"),
    ("ClusterRole", "prometheus"),
    ("ClusterRoleBinding", "prometheus"),
    ("PersistentVolumeClaim", "prometheus-pvc"),
    // Grafana
    ("Deployment", "grafana"),
    ("Service", "grafana"),
    ("Secret", "grafana-secret"),
    ("ConfigMap", "grafana-datasources"),
    ("ConfigMap", "grafana-dashboards-config"),
    ("ConfigMap", "grafana-dashboards"),
    ("PersistentVolumeClaim", "grafana-pvc"),
    // Loki
    ("Deployment", "loki"),
    ("Service", "loki"),
    ("ConfigMap", "loki-config"),
    ("PersistentVolumeClaim", "loki-pvc"),
    // Promtail
    ("DaemonSet", "promtail"),
    ("ConfigMap", "promtail-config"),
    ("ServiceAccount", "promtail"),
    ("ClusterRole", "promtail"),
    ("ClusterRoleBinding", "promtail"),
    // Jaeger
    ("Deployment", "jaeger"),
    ("Service", "jaeger-query"),
    ("Service", "jaeger-collector"),
    ("Service", "jaeger-agent"),
    ("PersistentVolumeClaim", "jaeger-pvc"),
    // Alertmanager
    ("Deployment", "alertmanager"),
    ("Service", "alertmanager"),
    ("ConfigMap", "alertmanager-config"),
    ("PersistentVolumeClaim", "alertmanager-pvc"),
];

const CLUSTER_SCOPED: [&str; 2] = ["ClusterRole", "ClusterRoleBinding"];

fn bscope() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BSCOPE_CHART")
        .env_remove("BSCOPE_NAMESPACE")
        .env("NO_COLOR", "1");
    cmd
}

/// `template --chart chart ARGS`, which must succeed; returns stdout.
fn render(args: &[&str]) -> String {
    let out = bscope()
        .args(["template", "--chart", "chart"])
        .args(args)
        .output()
        .expect("run bscope-chart");
    assert!(
        out.status.success(),
        "template {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("manifest is UTF-8")
}

/// `template --chart chart ARGS`, which must fail with exit code 1; returns stderr.
fn render_error(args: &[&str]) -> String {
    let out = bscope()
        .args(["template", "--chart", "chart"])
        .args(args)
        .output()
        .expect("run bscope-chart");
    assert_eq!(
        out.status.code(),
        Some(1),
        "template {args:?} should fail with exit code 1; stdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn objects(manifest: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(manifest).expect("the manifest is a YAML stream")
}

fn kind_name(obj: &Value) -> (String, String) {
    (
        obj["kind"].as_str().expect("kind").to_owned(),
        obj["metadata"]["name"]
            .as_str()
            .expect("metadata.name")
            .to_owned(),
    )
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the render"))
}

fn workloads(objs: &[Value]) -> impl Iterator<Item = &Value> {
    objs.iter()
        .filter(|o| matches!(o["kind"].as_str(), Some("Deployment" | "DaemonSet")))
}

/// checksum/config of every pod template, by workload name.
fn config_checksums(objs: &[Value]) -> BTreeMap<String, String> {
    workloads(objs)
        .filter_map(|w| {
            let sum =
                w["spec"]["template"]["metadata"]["annotations"]["checksum/config"].as_str()?;
            Some((kind_name(w).1, sum.to_owned()))
        })
        .collect()
}

#[test]
fn both_values_files_render_every_seed_object_and_nothing_unexpected() {
    for file in VALUES_FILES {
        let objs = objects(&render(&["-f", file]));
        let mut rendered: Vec<(String, String)> = objs.iter().map(kind_name).collect();
        rendered.sort();
        let mut expected: Vec<(String, String)> = SEED_OBJECTS
            .iter()
            .map(|(k, n)| ((*k).to_owned(), (*n).to_owned()))
            .collect();
        expected.sort();
        assert_eq!(rendered, expected, "objects rendered with {file}");

        for obj in &objs {
            let (kind, name) = kind_name(obj);
            assert!(
                obj["apiVersion"].is_string(),
                "{kind} {name} has no apiVersion"
            );
            if CLUSTER_SCOPED.contains(&kind.as_str()) {
                assert!(
                    obj["metadata"]["namespace"].is_null(),
                    "{kind} {name} is cluster-scoped"
                );
            } else {
                assert_eq!(
                    obj["metadata"]["namespace"], "battlescope",
                    "{kind} {name} ({file}) is not in the release namespace"
                );
            }
            let labels = &obj["metadata"]["labels"];
            for key in ["app", "app.kubernetes.io/name", "app.kubernetes.io/part-of"] {
                assert!(labels[key].is_string(), "{kind} {name} lacks label {key}");
            }
        }
    }
}

#[test]
fn lint_passes_for_both_values_files() {
    for file in VALUES_FILES {
        bscope()
            .args(["lint", "--chart", "chart", "-f", file])
            .assert()
            .success();
    }
}

#[test]
fn the_chart_defaults_render_without_values_files() {
    let objs = objects(&render(&[]));
    assert!(objs.len() >= SEED_OBJECTS.len());
    let prometheus = find(&objs, "Service", "prometheus");
    assert_eq!(prometheus["spec"]["type"], "ClusterIP");
}

#[test]
fn release_namespace_reaches_every_namespaced_object_and_the_bindings() {
    let objs = objects(&render(&[
        "-f",
        "values/minikube.yaml",
        "-n",
        "observability-test",
    ]));
    for obj in &objs {
        let (kind, name) = kind_name(obj);
        if !CLUSTER_SCOPED.contains(&kind.as_str()) {
            assert_eq!(
                obj["metadata"]["namespace"], "observability-test",
                "{kind} {name}"
            );
        }
    }
    for binding in ["prometheus", "promtail"] {
        let b = find(&objs, "ClusterRoleBinding", binding);
        assert_eq!(b["subjects"][0]["namespace"], "observability-test");
    }
}

#[test]
fn every_container_has_probes_resources_and_a_security_context() {
    for file in VALUES_FILES {
        let objs = objects(&render(&["-f", file]));
        let mut containers = 0;
        for w in workloads(&objs) {
            let (kind, name) = kind_name(w);
            let pod = &w["spec"]["template"]["spec"];
            for c in pod["containers"].as_array().expect("containers") {
                containers += 1;
                let cname = c["name"].as_str().unwrap();
                for probe in ["readinessProbe", "livenessProbe"] {
                    assert!(
                        c[probe].is_object(),
                        "{kind} {name}/{cname} ({file}) lacks {probe}"
                    );
                }
                for side in ["requests", "limits"] {
                    for res in ["cpu", "memory"] {
                        assert!(
                            !c["resources"][side][res].is_null(),
                            "{kind} {name}/{cname} ({file}) lacks resources.{side}.{res}"
                        );
                    }
                }
                assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
                assert!(
                    c["image"].as_str().unwrap().contains(':'),
                    "{cname}: image without tag"
                );
            }
        }
        assert_eq!(containers, 6, "one container per component");
    }
}

#[test]
fn images_are_the_seeds_and_overridable() {
    let objs = objects(&render(&["-f", "values/prod.yaml"]));
    let image = |kind: &str, name: &str, objs: &[Value]| {
        find(objs, kind, name)["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for (kind, name, expected) in [
        ("Deployment", "prometheus", "prom/prometheus:v2.48.0"),
        ("Deployment", "grafana", "grafana/grafana:10.2.0"),
        ("Deployment", "loki", "grafana/loki:2.9.3"),
        ("DaemonSet", "promtail", "grafana/promtail:2.9.3"),
        ("Deployment", "jaeger", "jaegertracing/all-in-one:1.51"),
        ("Deployment", "alertmanager", "prom/alertmanager:v0.26.0"),
    ] {
        assert_eq!(image(kind, name, &objs), expected);
    }
    let objs = objects(&render(&[
        "-f",
        "values/prod.yaml",
        "--set",
        "loki.image.repository=registry.example.com/loki,loki.image.tag=2.9.4",
    ]));
    assert_eq!(
        image("Deployment", "loki", &objs),
        "registry.example.com/loki:2.9.4"
    );
}

#[test]
fn minikube_exposes_the_seed_node_ports_and_the_admin_api() {
    let objs = objects(&render(&["-f", "values/minikube.yaml"]));
    for (service, port) in [
        ("prometheus", 30500),
        ("grafana", 30501),
        ("jaeger-query", 30502),
    ] {
        let svc = find(&objs, "Service", service);
        assert_eq!(svc["spec"]["type"], "NodePort", "{service}");
        assert_eq!(svc["spec"]["ports"][0]["nodePort"], port, "{service}");
    }
    for service in ["loki", "alertmanager", "jaeger-collector", "jaeger-agent"] {
        let svc = find(&objs, "Service", service);
        assert_ne!(
            svc["spec"]["type"], "NodePort",
            "{service} is internal only"
        );
    }
    let args = &find(&objs, "Deployment", "prometheus")["spec"]["template"]["spec"]["containers"]
        [0]["args"];
    assert!(
        args.as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--web.enable-admin-api")
    );
    for pvc in objs.iter().filter(|o| o["kind"] == "PersistentVolumeClaim") {
        assert_eq!(pvc["spec"]["storageClassName"], "standard");
    }
}

#[test]
fn prod_has_no_node_port_and_no_admin_api() {
    let manifest = render(&["-f", "values/prod.yaml"]);
    assert!(!manifest.contains("NodePort"), "prod exposes a NodePort");
    assert!(!manifest.contains("nodePort"), "prod sets a nodePort");
    assert!(
        !manifest.contains("--web.enable-admin-api"),
        "prod enables the admin API"
    );
    let objs = objects(&manifest);
    for svc in objs.iter().filter(|o| o["kind"] == "Service") {
        let t = &svc["spec"]["type"];
        assert!(
            t.is_null() || *t == "ClusterIP",
            "{:?} is {t}",
            kind_name(svc)
        );
    }
    let args = &find(&objs, "Deployment", "prometheus")["spec"]["template"]["spec"]["containers"]
        [0]["args"];
    assert!(
        args.as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--storage.tsdb.retention.time=30d")
    );
}

#[test]
fn prod_render_holds_no_credential_in_clear() {
    let manifest = render(&["-f", "values/prod.yaml"]);
    let objs = objects(&manifest);
    assert!(!manifest.contains("stringData"), "a Secret in clear text");
    assert!(
        !manifest.contains("hooks.slack.com"),
        "a Slack webhook in the render"
    );
    for key in ["slack_api_url:", "api_url:", "service_key:", "routing_key:"] {
        assert!(
            !manifest.contains(key),
            "an inline receiver credential ({key})"
        );
    }
    let secrets: Vec<_> = objs
        .iter()
        .filter(|o| o["kind"] == "Secret")
        .map(kind_name)
        .collect();
    assert_eq!(
        secrets,
        [("Secret".to_owned(), "grafana-secret".to_owned())]
    );

    // Receiver credentials come from the existing Secret named in prod.yaml.
    let am = &find(&objs, "Deployment", "alertmanager")["spec"]["template"]["spec"];
    let volumes = am["volumes"].as_array().unwrap();
    assert!(
        volumes
            .iter()
            .any(|v| v["secret"]["secretName"] == "alertmanager-receivers")
    );

    // The Grafana password is generated (two offline renders differ), not committed.
    let password = |objs: &[Value]| {
        find(objs, "Secret", "grafana-secret")["data"]["admin-password"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let again = objects(&render(&["-f", "values/prod.yaml"]));
    assert_ne!(password(&objs), password(&again));

    // values/prod.yaml itself commits no credential.
    let prod_values: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("values/prod.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(prod_values["grafana"]["admin"]["password"], "");
    let receivers = &prod_values["alertmanager"]["receivers"];
    assert!(receivers["slack"]["webhookUrl"].is_null());
    assert!(receivers["pagerduty"]["key"].is_null());
    assert_eq!(receivers["existingSecret"], "alertmanager-receivers");
}

#[test]
fn grafana_password_comes_from_values_or_an_existing_secret() {
    let objs = objects(&render(&["-f", "values/minikube.yaml"]));
    let secret = find(&objs, "Secret", "grafana-secret");
    assert_eq!(secret["data"]["admin-password"], "YmF0dGxlc2NvcGUtZGV2"); // battlescope-dev
    assert_eq!(secret["data"]["admin-user"], "YWRtaW4="); // admin
    // A password from the values is not tied to the volume.
    assert!(secret["metadata"]["annotations"]["bscope.io/resource-policy"].is_null());

    let objs = objects(&render(&[
        "-f",
        "values/prod.yaml",
        "--set",
        "grafana.admin.existingSecret=grafana-admin",
    ]));
    assert!(
        !objs.iter().any(|o| o["kind"] == "Secret"),
        "no chart Secret with existingSecret"
    );
    let env =
        &find(&objs, "Deployment", "grafana")["spec"]["template"]["spec"]["containers"][0]["env"];
    let refs: Vec<_> = env
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["valueFrom"]["secretKeyRef"]["name"].as_str())
        .collect();
    assert_eq!(refs, ["grafana-admin", "grafana-admin"]);
}

#[test]
fn a_generated_grafana_password_is_kept_with_the_volume() {
    let objs = objects(&render(&["-f", "values/prod.yaml"]));
    let secret = find(&objs, "Secret", "grafana-secret");
    assert_eq!(
        secret["metadata"]["annotations"]["bscope.io/resource-policy"],
        "keep"
    );
}

#[test]
fn inline_receiver_credentials_go_to_a_secret_never_to_the_config_map() {
    let webhook = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";
    let objs = objects(&render(&[
        "-f",
        "values/minikube.yaml",
        "--set",
        &format!(
            "alertmanager.receivers.slack.enabled=true,alertmanager.receivers.slack.webhookUrl={webhook}"
        ),
        "--set",
        "alertmanager.receivers.pagerduty.enabled=true,alertmanager.receivers.pagerduty.key=PDKEYSECRET",
    ]));
    for obj in &objs {
        let text = serde_json::to_string(obj).unwrap();
        assert!(
            !text.contains("XXXXSECRET"),
            "webhook in clear in {:?}",
            kind_name(obj)
        );
        assert!(
            !text.contains("PDKEYSECRET"),
            "PagerDuty key in clear in {:?}",
            kind_name(obj)
        );
    }
    let secret = find(&objs, "Secret", "alertmanager-secret");
    assert!(secret["data"]["slack-webhook-url"].is_string());
    assert!(secret["data"]["pagerduty-key"].is_string());
    let config = find(&objs, "ConfigMap", "alertmanager-config")["data"]["alertmanager.yml"]
        .as_str()
        .unwrap();
    assert!(config.contains("api_url_file: '/etc/alertmanager/secrets/slack-webhook-url'"));
    assert!(config.contains("service_key_file: '/etc/alertmanager/secrets/pagerduty-key'"));
}

#[test]
fn an_enabled_receiver_without_credentials_is_an_error() {
    let stderr = render_error(&[
        "-f",
        "values/minikube.yaml",
        "--set",
        "alertmanager.receivers.slack.enabled=true",
    ]);
    assert!(
        stderr.contains("alertmanager.receivers.slack.webhookUrl"),
        "{stderr}"
    );
}

#[test]
fn a_typo_in_a_value_fails_naming_the_key() {
    let stderr = render_error(&[
        "-f",
        "values/minikube.yaml",
        "--set",
        "prometheus.retension=1d",
    ]);
    assert!(stderr.contains("prometheus.retension"), "{stderr}");
}

#[test]
fn schema_rejects_malformed_values() {
    for bad in [
        "prometheus.retention=thirty-days",
        "prometheus.service.type=External",
        "grafana.service.nodePort=80",
        "loki.resources.limits.memory=lots",
        "promtail.logFormat=json",
    ] {
        let stderr = render_error(&["-f", "values/minikube.yaml", "--set", bad]);
        let key = bad.split('=').next().unwrap();
        let leaf = key.rsplit('.').next().unwrap();
        assert!(
            stderr.contains(leaf),
            "error for {bad} does not name it: {stderr}"
        );
    }
}

#[test]
fn changing_only_loki_config_rolls_only_loki() {
    let before = config_checksums(&objects(&render(&["-f", "values/minikube.yaml"])));
    let after = config_checksums(&objects(&render(&[
        "-f",
        "values/minikube.yaml",
        "--set",
        "loki.retentionPeriod=240h",
    ])));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        ["alertmanager", "grafana", "loki", "prometheus", "promtail"]
    );
    for (workload, sum) in &before {
        if workload == "loki" {
            assert_ne!(sum, &after[workload], "loki must roll");
        } else {
            assert_eq!(sum, &after[workload], "{workload} must not roll");
        }
    }
}

#[test]
fn changing_only_alertmanager_routing_rolls_only_alertmanager() {
    let before = config_checksums(&objects(&render(&["-f", "values/prod.yaml"])));
    let after = config_checksums(&objects(&render(&[
        "-f",
        "values/prod.yaml",
        "--set",
        "alertmanager.route.repeatInterval=4h",
    ])));
    for (workload, sum) in &before {
        assert_eq!(
            sum == &after[workload],
            workload != "alertmanager",
            "{workload}"
        );
    }
}

#[test]
fn changing_an_alert_threshold_rolls_only_prometheus() {
    let before = config_checksums(&objects(&render(&["-f", "values/prod.yaml"])));
    let after = config_checksums(&objects(&render(&[
        "-f",
        "values/prod.yaml",
        "--set-json",
        "alerts.thresholds.errorRate=0.1",
    ])));
    for (workload, sum) in &before {
        assert_eq!(
            sum == &after[workload],
            workload != "prometheus",
            "{workload}"
        );
    }
}

/// The seed objects of one component (by the comment groups of SEED_OBJECTS).
fn component_objects(component: &str) -> &'static [(&'static str, &'static str)] {
    match component {
        "prometheus" => &SEED_OBJECTS[0..8],
        "grafana" => &SEED_OBJECTS[8..15],
        "loki" => &SEED_OBJECTS[15..19],
        "promtail" => &SEED_OBJECTS[19..24],
        "jaeger" => &SEED_OBJECTS[24..29],
        "alertmanager" => &SEED_OBJECTS[29..33],
        other => panic!("unknown component {other}"),
    }
}

#[test]
fn disabling_a_component_drops_its_objects_and_the_references_to_it() {
    for component in [
        "prometheus",
        "alertmanager",
        "grafana",
        "loki",
        "promtail",
        "jaeger",
    ] {
        let off = format!("{component}.enabled=false");
        let objs = objects(&render(&["-f", "values/minikube.yaml", "--set", &off]));
        let names: Vec<(String, String)> = objs.iter().map(kind_name).collect();
        let own = component_objects(component);
        for (kind, name) in SEED_OBJECTS {
            let present = names.iter().any(|(k, n)| k == kind && n == name);
            assert_eq!(
                present,
                !own.contains(&(kind, name)),
                "{off}: {kind} {name} present={present}"
            );
        }
        if component != "prometheus" {
            let config = find(&objs, "ConfigMap", "prometheus-config")["data"]["prometheus.yml"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                !config.contains(&format!("job_name: '{component}'")),
                "{off}: prometheus.yml still scrapes it"
            );
            assert_eq!(
                config.contains("alerting:"),
                component != "alertmanager",
                "{off}: alerting section"
            );
        }
        if component != "grafana" {
            let datasources =
                find(&objs, "ConfigMap", "grafana-datasources")["data"]["datasources.yaml"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            for (c, uid) in [
                ("prometheus", "uid: prometheus"),
                ("loki", "uid: loki"),
                ("jaeger", "uid: jaeger"),
            ] {
                assert_eq!(
                    datasources.contains(uid),
                    c != component,
                    "{off}: datasource {c}"
                );
            }
            assert_eq!(
                datasources.contains("datasourceUid: jaeger"),
                !matches!(component, "jaeger" | "loki"),
                "{off}: trace links"
            );
        }
    }
}

#[test]
fn every_component_disabled_renders_nothing() {
    let mut args = vec!["-f", "values/minikube.yaml"];
    let sets: Vec<String> = [
        "prometheus",
        "alertmanager",
        "grafana",
        "loki",
        "promtail",
        "jaeger",
    ]
    .iter()
    .map(|c| format!("{c}.enabled=false"))
    .collect();
    for s in &sets {
        args.extend(["--set", s.as_str()]);
    }
    assert!(objects(&render(&args)).is_empty());
}

#[test]
fn persistence_off_uses_empty_dirs_and_no_claims() {
    let objs = objects(&render(&[
        "-f",
        "values/minikube.yaml",
        "--set",
        "prometheus.persistence.enabled=false,loki.persistence.enabled=false",
    ]));
    assert!(
        !objs
            .iter()
            .any(|o| o["metadata"]["name"] == "prometheus-pvc")
    );
    assert!(!objs.iter().any(|o| o["metadata"]["name"] == "loki-pvc"));
    for name in ["prometheus", "loki"] {
        let volumes = &find(&objs, "Deployment", name)["spec"]["template"]["spec"]["volumes"];
        let storage = volumes
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "storage")
            .unwrap();
        assert!(storage["emptyDir"].is_object(), "{name}: {storage}");
    }
}

#[test]
fn claims_are_kept_on_uninstall_unless_the_values_say_otherwise() {
    let objs = objects(&render(&["-f", "values/prod.yaml"]));
    let claims: Vec<_> = objs
        .iter()
        .filter(|o| o["kind"] == "PersistentVolumeClaim")
        .collect();
    assert_eq!(claims.len(), 5);
    for pvc in claims {
        assert_eq!(
            pvc["metadata"]["annotations"]["bscope.io/resource-policy"],
            "keep"
        );
        assert!(
            pvc["spec"]["storageClassName"].is_null(),
            "prod uses the default class"
        );
    }
    let objs = objects(&render(&[
        "-f",
        "values/prod.yaml",
        "--set",
        "jaeger.persistence.keepOnUninstall=false",
    ]));
    let jaeger = find(&objs, "PersistentVolumeClaim", "jaeger-pvc");
    assert!(jaeger["metadata"]["annotations"]["bscope.io/resource-policy"].is_null());
}

#[test]
fn ingress_objects_render_when_enabled() {
    let objs = objects(&render(&[
        "-f",
        "values/prod.yaml",
        "--set",
        "ingress.enabled=true",
    ]));
    let ingresses: Vec<_> = objs.iter().filter(|o| o["kind"] == "Ingress").collect();
    assert_eq!(
        ingresses.len(),
        2,
        "prod names hosts for Grafana and Jaeger"
    );
    let grafana = find(&objs, "Ingress", "grafana");
    assert_eq!(
        grafana["spec"]["rules"][0]["host"],
        "grafana.battlescope.io"
    );
    assert_eq!(
        grafana["spec"]["tls"][0]["secretName"],
        "battlescope-observability-tls"
    );
    assert_eq!(
        grafana["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
        "grafana"
    );
    bscope()
        .args([
            "lint",
            "--chart",
            "chart",
            "-f",
            "values/prod.yaml",
            "--set",
            "ingress.enabled=true",
        ])
        .assert()
        .success();
}

#[test]
fn promtail_reads_the_node_logs() {
    let objs = objects(&render(&["-f", "values/minikube.yaml"]));
    let ds = &find(&objs, "DaemonSet", "promtail")["spec"]["template"]["spec"];
    let mounts: Vec<_> = ds["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert!(mounts.contains(&"/var/log"));
    assert!(mounts.contains(&"/var/lib/docker/containers"));
    let env = &ds["containers"][0]["env"][0];
    assert_eq!(env["name"], "HOSTNAME");
    assert_eq!(env["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
}

#[test]
fn prometheus_may_read_kubelet_metrics() {
    let objs = objects(&render(&["-f", "values/prod.yaml"]));
    let role = find(&objs, "ClusterRole", "prometheus");
    let resources: Vec<_> = role["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["resources"].as_array().cloned().unwrap_or_default())
        .collect();
    for needed in [
        "nodes",
        "nodes/metrics",
        "nodes/proxy",
        "pods",
        "endpoints",
        "services",
    ] {
        assert!(
            resources.iter().any(|r| r == needed),
            "ClusterRole prometheus lacks {needed}"
        );
    }
}

#[test]
fn jaeger_accepts_otlp() {
    let objs = objects(&render(&["-f", "values/prod.yaml"]));
    let collector = find(&objs, "Service", "jaeger-collector");
    let ports: Vec<_> = collector["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    for port in [14268, 14250, 4317, 4318] {
        assert!(ports.contains(&port), "jaeger-collector lacks {port}");
    }
}
