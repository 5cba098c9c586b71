//! The configuration files embedded in the chart's ConfigMaps parse, and say
//! what the stack needs: prometheus.yml, the alert rules (PromQL checked by a
//! parser, the seed's 13 alerts unchanged), Loki, Promtail, Alertmanager, the
//! Grafana provisioning files and the dashboards.

use std::collections::{BTreeMap, BTreeSet};

use assert_cmd::Command;
use serde_json::Value;

const VALUES_FILES: [&str; 2] = ["values/minikube.yaml", "values/prod.yaml"];

/// The 13 alert rules of the seed document, verbatim (its three rule files as
/// one list of groups).
const SEED_RULES: &str = r##"groups:
  - name: critical-alerts
    interval: 30s
    rules:
      # Service Down
      - alert: ServiceDown
        expr: up{job=~".*-service"} == 0
        for: 1m
        labels:
          severity: critical
          team: platform
        annotations:
          summary: "Service {{ $labels.job }} is down"
          description: "{{ $labels.job }} on {{ $labels.kubernetes_pod_name }} has been down for more than 1 minute"
          runbook: "https://docs.battlescope.io/runbooks/service-down"

      # High Error Rate
      - alert: HighErrorRate
        expr: |
          sum(rate(http_requests_total{status_code=~"5.."}[5m])) by (service)
          /
          sum(rate(http_requests_total[5m])) by (service)
          > 0.05
        for: 5m
        labels:
          severity: critical
          team: backend
        annotations:
          summary: "High error rate on {{ $labels.service }}"
          description: "Error rate is {{ $value | humanizePercentage }} (threshold: 5%)"
          dashboard: "https://grafana.battlescope.io/d/service-overview?var-service={{ $labels.service }}"
          runbook: "https://docs.battlescope.io/runbooks/high-error-rate"

      # Database Connection Pool Exhausted
      - alert: DatabaseConnectionPoolExhausted
        expr: db_connection_pool_size{state="waiting"} > 0
        for: 2m
        labels:
          severity: critical
          team: backend
        annotations:
          summary: "Database connection pool exhausted on {{ $labels.service }}"
          description: "{{ $value }} connections waiting for pool"
          runbook: "https://docs.battlescope.io/runbooks/db-pool-exhausted"

      # Kafka Consumer Lag Critical
      - alert: KafkaConsumerLagCritical
        expr: kafka_consumer_lag_seconds > 300
        for: 5m
        labels:
          severity: critical
          team: backend
        annotations:
          summary: "Critical Kafka consumer lag on {{ $labels.service }}"
          description: "Consumer lag is {{ $value }}s on topic {{ $labels.topic }} (threshold: 300s)"
          dashboard: "https://grafana.battlescope.io/d/kafka-overview"
          runbook: "https://docs.battlescope.io/runbooks/kafka-lag"

      # Persistent Volume Almost Full
      - alert: PersistentVolumeAlmostFull
        expr: |
          (kubelet_volume_stats_used_bytes / kubelet_volume_stats_capacity_bytes) > 0.85
        for: 10m
        labels:
          severity: critical
          team: platform
        annotations:
          summary: "PVC {{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full"
          description: "Volume usage is above 85% threshold"
          runbook: "https://docs.battlescope.io/runbooks/pvc-full"

  - name: warning-alerts
    interval: 60s
    rules:
      # High Latency
      - alert: HighLatency
        expr: |
          histogram_quantile(0.95,
            rate(http_request_duration_seconds_bucket[5m])
          ) > 1
        for: 10m
        labels:
          severity: warning
          team: backend
        annotations:
          summary: "High latency on {{ $labels.service }}"
          description: "P95 latency is {{ $value }}s (threshold: 1s)"
          dashboard: "https://grafana.battlescope.io/d/service-overview?var-service={{ $labels.service }}"

      # Low Cache Hit Rate
      - alert: LowCacheHitRate
        expr: |
          sum(rate(cache_operations_total{result="hit"}[5m])) by (service)
          /
          sum(rate(cache_operations_total{operation="get"}[5m])) by (service)
          < 0.7
        for: 15m
        labels:
          severity: warning
          team: backend
        annotations:
          summary: "Low cache hit rate on {{ $labels.service }}"
          description: "Cache hit rate is {{ $value | humanizePercentage }} (threshold: 70%)"

      # Event Loop Lag (Node.js)
      - alert: NodeJSEventLoopLag
        expr: nodejs_eventloop_lag_seconds > 0.1
        for: 5m
        labels:
          severity: warning
          team: backend
        annotations:
          summary: "High event loop lag on {{ $labels.service }}"
          description: "Event loop lag is {{ $value }}s (threshold: 100ms)"

      # Memory Usage High
      - alert: MemoryUsageHigh
        expr: |
          container_memory_working_set_bytes{namespace="battlescope"}
          /
          container_spec_memory_limit_bytes{namespace="battlescope"}
          > 0.85
        for: 10m
        labels:
          severity: warning
          team: platform
        annotations:
          summary: "High memory usage on {{ $labels.pod }}"
          description: "Memory usage is {{ $value | humanizePercentage }} (threshold: 85%)"

      # CPU Throttling
      - alert: CPUThrottling
        expr: |
          rate(container_cpu_cfs_throttled_seconds_total{namespace="battlescope"}[5m])
          > 0.5
        for: 10m
        labels:
          severity: warning
          team: platform
        annotations:
          summary: "CPU throttling on {{ $labels.pod }}"
          description: "Container is being CPU throttled {{ $value | humanizePercentage }} of the time"

  - name: slo-alerts
    interval: 120s
    rules:
      # Availability SLO Violation
      - alert: AvailabilitySLOViolation
        expr: |
          avg_over_time(service_available[30d]) < 0.999
        for: 5m
        labels:
          severity: critical
          team: backend
          slo: availability
        annotations:
          summary: "Availability SLO violated for {{ $labels.service }}"
          description: "30-day availability is {{ $value | humanizePercentage }} (SLO: 99.9%)"
          runbook: "https://docs.battlescope.io/runbooks/slo-availability"

      # Latency SLO Violation
      - alert: LatencySLOViolation
        expr: |
          histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[7d])) > 0.5
        for: 10m
        labels:
          severity: critical
          team: backend
          slo: latency
        annotations:
          summary: "Latency SLO violated for {{ $labels.service }}"
          description: "7-day P95 latency is {{ $value }}s (SLO: 500ms)"
          runbook: "https://docs.battlescope.io/runbooks/slo-latency"

      # Error Rate SLO Violation
      - alert: ErrorRateSLOViolation
        expr: |
          sum(rate(http_requests_total{status_code=~"5.."}[7d])) by (service)
          /
          sum(rate(http_requests_total[7d])) by (service)
          > 0.005
        for: 10m
        labels:
          severity: critical
          team: backend
          slo: error_rate
        annotations:
          summary: "Error rate SLO violated for {{ $labels.service }}"
          description: "7-day error rate is {{ $value | humanizePercentage }} (SLO: 0.5%)"
          runbook: "https://docs.battlescope.io/runbooks/slo-error-rate"
"##;

fn render(args: &[&str]) -> Vec<Value> {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("bscope-chart"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("BSCOPE_CHART")
        .env_remove("BSCOPE_NAMESPACE")
        .args(["template", "--chart", "chart"])
        .args(args)
        .output()
        .expect("run bscope-chart");
    assert!(
        out.status.success(),
        "template {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_saphyr::from_multiple::<Value>(&String::from_utf8(out.stdout).unwrap())
        .expect("the manifest is a YAML stream")
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the render"))
}

/// `data[key]` of ConfigMap `name`, as text.
fn config_text<'a>(objs: &'a [Value], name: &str, key: &str) -> &'a str {
    find(objs, "ConfigMap", name)["data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("ConfigMap {name} has no data key {key}"))
}

/// `data[key]` of ConfigMap `name`, parsed as YAML.
fn config_yaml(objs: &[Value], name: &str, key: &str) -> Value {
    serde_saphyr::from_str(config_text(objs, name, key))
        .unwrap_or_else(|e| panic!("{name}/{key} is not valid YAML: {e}"))
}

fn parse_promql(expr: &str, context: &str) {
    if let Err(e) = promql_parser::parser::parse(expr) {
        panic!("{context}: `{expr}` is not valid PromQL: {e}");
    }
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every rule of every rules file of prometheus-rules, by file.
fn rules_by_file(objs: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let data = find(objs, "ConfigMap", "prometheus-rules")["data"]
        .as_object()
        .unwrap();
    data.iter()
        .map(|(file, text)| {
            let doc: Value = serde_saphyr::from_str(text.as_str().unwrap())
                .unwrap_or_else(|e| panic!("rules file {file} is not valid YAML: {e}"));
            let rules = doc["groups"]
                .as_array()
                .unwrap_or_else(|| panic!("{file} has no groups"))
                .iter()
                .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
                .collect();
            (file.clone(), rules)
        })
        .collect()
}

fn all_rules(objs: &[Value]) -> Vec<Value> {
    rules_by_file(objs).into_values().flatten().collect()
}

#[test]
fn prometheus_config_parses_and_scrapes_the_stack_and_the_kubelets() {
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let config = config_yaml(&objs, "prometheus-config", "prometheus.yml");
        assert_eq!(config["rule_files"][0], "/etc/prometheus/rules/*.yml");
        assert_eq!(
            config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0],
            "alertmanager:9093"
        );
        let jobs: BTreeMap<&str, &Value> = config["scrape_configs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| (j["job_name"].as_str().unwrap(), j))
            .collect();
        for job in [
            // the seed's jobs
            "prometheus",
            "kubernetes-apiservers",
            "kubernetes-nodes",
            "kubernetes-pods",
            "postgres-exporter",
            "kafka-exporter",
            "redis-exporter",
            // container metrics and the stack itself
            "kubernetes-cadvisor",
            "alertmanager",
            "grafana",
            "loki",
            "promtail",
            "jaeger",
        ] {
            assert!(jobs.contains_key(job), "{file}: no scrape job {job}");
        }
        let cadvisor = jobs["kubernetes-cadvisor"];
        assert_eq!(cadvisor["kubernetes_sd_configs"][0]["role"], "node");
        let paths: Vec<_> = cadvisor["relabel_configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target_label"] == "__metrics_path__")
            .map(|r| r["replacement"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["/api/v1/nodes/${1}/proxy/metrics/cadvisor"]);
        assert_eq!(
            jobs["kubernetes-pods"]["kubernetes_sd_configs"][0]["namespaces"]["names"][0],
            "battlescope"
        );
        let global = &config["global"];
        assert_eq!(global["scrape_interval"], "15s");
        assert_eq!(global["evaluation_interval"], "15s");
        assert!(global["external_labels"]["cluster"].is_string());
    }
}

#[test]
fn every_rules_file_parses_and_every_alert_is_complete() {
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let by_file = rules_by_file(&objs);
        assert_eq!(
            by_file.keys().collect::<Vec<_>>(),
            [
                "critical-alerts.yml",
                "slo-alerts.yml",
                "stack-alerts.yml",
                "warning-alerts.yml"
            ]
        );
        let rules = all_rules(&objs);
        assert!(rules.len() >= 15, "{file}: only {} rules", rules.len());
        let mut names = BTreeSet::new();
        for rule in &rules {
            let name = rule["alert"].as_str().expect("every rule is an alert");
            assert!(names.insert(name), "{file}: alert {name} is defined twice");
            parse_promql(rule["expr"].as_str().unwrap(), &format!("{file}: {name}"));
            assert!(
                matches!(
                    rule["labels"]["severity"].as_str(),
                    Some("critical" | "warning")
                ),
                "{file}: {name} has no severity"
            );
            assert!(
                !rule["annotations"]["summary"]
                    .as_str()
                    .unwrap_or("")
                    .is_empty(),
                "{file}: {name} has no summary"
            );
            assert!(rule["for"].is_string(), "{file}: {name} has no `for`");
        }
    }
}

#[test]
fn prometheus_templates_reach_the_config_maps_literally() {
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let critical = config_text(&objs, "prometheus-rules", "critical-alerts.yml");
        assert!(critical.contains(r#"summary: "Service {{ $labels.job }} is down""#));
        assert!(critical.contains("{{ $value | humanizePercentage }}"));
    }
    // Receivers (enabled in prod) keep their Go templates too.
    let objs = render(&["-f", "values/prod.yaml"]);
    let alertmanager = config_text(&objs, "alertmanager-config", "alertmanager.yml");
    assert!(alertmanager.contains("title: '{{ .GroupLabels.alertname }}'"));
    assert!(alertmanager.contains("{{ range .Alerts }}{{ .Annotations.description }}{{ end }}"));
}

#[test]
fn the_seed_alerts_are_rendered_unchanged() {
    let seed: Value = serde_saphyr::from_str(SEED_RULES).unwrap();
    let seed_rules: Vec<&Value> = seed["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    assert_eq!(seed_rules.len(), 13);
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let rules = all_rules(&objs);
        let rendered: BTreeMap<&str, &Value> = rules
            .iter()
            .map(|r| (r["alert"].as_str().unwrap(), r))
            .collect();
        for want in &seed_rules {
            let name = want["alert"].as_str().unwrap();
            let got = rendered
                .get(name)
                .unwrap_or_else(|| panic!("{file}: seed alert {name} is missing"));
            assert_eq!(
                normalize_ws(got["expr"].as_str().unwrap()),
                normalize_ws(want["expr"].as_str().unwrap()),
                "{file}: expr of {name}"
            );
            assert_eq!(got["for"], want["for"], "{file}: for of {name}");
            assert_eq!(got["labels"], want["labels"], "{file}: labels of {name}");
            assert_eq!(
                got["annotations"], want["annotations"],
                "{file}: annotations of {name}"
            );
        }
        // ...in the seed's groups, with the seed's evaluation intervals.
        let rules_cm = find(&objs, "ConfigMap", "prometheus-rules");
        for (key, group, interval) in [
            ("critical-alerts.yml", "critical-alerts", "30s"),
            ("warning-alerts.yml", "warning-alerts", "60s"),
            ("slo-alerts.yml", "slo-alerts", "120s"),
        ] {
            let doc: Value =
                serde_saphyr::from_str(rules_cm["data"][key].as_str().unwrap()).unwrap();
            assert_eq!(doc["groups"][0]["name"], group);
            assert_eq!(doc["groups"][0]["interval"], interval);
        }
    }
}

#[test]
fn alert_thresholds_follow_the_values_in_expressions_and_descriptions() {
    let objs = render(&[
        "-f",
        "values/prod.yaml",
        "--set-json",
        r#"alerts.thresholds={"errorRate":0.1,"kafkaConsumerLagSeconds":120,"volumeUsage":0.9,"latencyP95Seconds":2,"cacheHitRate":0.6,"eventLoopLagSeconds":0.25,"memoryUsage":0.9,"cpuThrottling":0.25}"#,
    ]);
    let rules = all_rules(&objs);
    let rule = |name: &str| rules.iter().find(|r| r["alert"] == name).unwrap();
    let expr = |name: &str| normalize_ws(rule(name)["expr"].as_str().unwrap());
    let description = |name: &str| {
        rule(name)["annotations"]["description"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(expr("HighErrorRate").ends_with("> 0.1"));
    assert!(description("HighErrorRate").ends_with("(threshold: 10%)"));
    assert_eq!(
        expr("KafkaConsumerLagCritical"),
        "kafka_consumer_lag_seconds > 120"
    );
    assert!(description("KafkaConsumerLagCritical").ends_with("(threshold: 120s)"));
    assert_eq!(
        description("PersistentVolumeAlmostFull"),
        "Volume usage is above 90% threshold"
    );
    assert!(description("NodeJSEventLoopLag").ends_with("(threshold: 250ms)"));
    assert!(expr("LowCacheHitRate").ends_with("< 0.6"));
    for rule in &rules {
        parse_promql(
            rule["expr"].as_str().unwrap(),
            rule["alert"].as_str().unwrap(),
        );
    }
}

#[test]
fn alert_links_point_at_provisioned_dashboards() {
    let objs = render(&["-f", "values/prod.yaml"]);
    let uids = dashboard_uids(&objs);
    for rule in all_rules(&objs) {
        if let Some(link) = rule["annotations"]["dashboard"].as_str() {
            let uid = link
                .split("/d/")
                .nth(1)
                .and_then(|rest| rest.split(['?', '/']).next())
                .unwrap_or_else(|| panic!("{link} is not a dashboard link"));
            assert!(
                uids.contains(uid),
                "{} links to unknown dashboard {uid}",
                rule["alert"]
            );
        }
    }
}

#[test]
fn loki_config_parses_with_retention_from_the_values() {
    for (file, retention) in [
        ("values/minikube.yaml", "72h"),
        ("values/prod.yaml", "168h"),
    ] {
        let objs = render(&["-f", file]);
        let loki = config_yaml(&objs, "loki-config", "loki.yaml");
        assert_eq!(loki["auth_enabled"], false);
        assert_eq!(loki["server"]["http_listen_port"], 3100);
        assert_eq!(loki["limits_config"]["retention_period"], retention);
        assert_eq!(loki["table_manager"]["retention_period"], retention);
        assert_eq!(loki["compactor"]["retention_enabled"], true);
        assert_eq!(loki["common"]["path_prefix"], "/loki");
        assert_eq!(
            loki["schema_config"]["configs"][0]["store"],
            "boltdb-shipper"
        );
        // Everything Loki writes is on its volume.
        let text = config_text(&objs, "loki-config", "loki.yaml");
        for line in text
            .lines()
            .filter(|l| l.contains("directory") || l.contains("dir:"))
        {
            assert!(line.contains("/loki/"), "{file}: `{line}` is outside /loki");
        }
    }
}

#[test]
fn promtail_ships_pod_logs_through_the_seed_pipeline() {
    for (file, format) in [
        ("values/minikube.yaml", "docker"),
        ("values/prod.yaml", "cri"),
    ] {
        let objs = render(&["-f", file]);
        let promtail = config_yaml(&objs, "promtail-config", "promtail.yaml");
        assert_eq!(
            promtail["clients"][0]["url"],
            "http://loki:3100/loki/api/v1/push"
        );
        let job = &promtail["scrape_configs"][0];
        assert_eq!(job["kubernetes_sd_configs"][0]["role"], "pod");

        let relabels = job["relabel_configs"].as_array().unwrap();
        let path = relabels
            .iter()
            .find(|r| r["target_label"] == "__path__")
            .expect("a __path__ relabeling");
        assert_eq!(
            path["source_labels"],
            serde_json::json!([
                "__meta_kubernetes_pod_uid",
                "__meta_kubernetes_pod_container_name"
            ])
        );
        assert_eq!(path["separator"], "/");
        assert_eq!(path["replacement"], "/var/log/pods/*$1/*.log");
        assert!(relabels.iter().any(|r| r["target_label"] == "__host__"));
        for label in ["app", "pod", "namespace"] {
            assert!(
                relabels.iter().any(|r| r["target_label"] == label),
                "no {label} label"
            );
        }

        let stages = job["pipeline_stages"].as_array().unwrap();
        assert!(
            stages[0][format].is_object(),
            "{file}: first stage is not {format}"
        );
        let expressions = &stages[1]["json"]["expressions"];
        for field in ["level", "timestamp", "service", "trace_id", "message"] {
            assert_eq!(
                expressions[field], field,
                "{file}: json stage lacks {field}"
            );
        }
        let labels = stages[2]["labels"].as_object().unwrap();
        assert!(labels.contains_key("level") && labels.contains_key("service"));
        assert_eq!(stages[3]["timestamp"]["source"], "timestamp");
        assert_eq!(stages[3]["timestamp"]["format"], "RFC3339");
    }
}

#[test]
fn alertmanager_config_parses_and_routes_like_the_seed() {
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let am = config_yaml(&objs, "alertmanager-config", "alertmanager.yml");
        assert_eq!(am["route"]["receiver"], "slack-notifications");
        assert_eq!(
            am["route"]["group_by"],
            serde_json::json!(["alertname", "cluster", "service"])
        );
        let routes = am["route"]["routes"].as_array().unwrap();
        assert_eq!(routes[0]["match"]["severity"], "critical");
        assert_eq!(routes[0]["receiver"], "pagerduty-critical");
        assert_eq!(routes[0]["continue"], true);
        assert_eq!(routes[1]["match"]["severity"], "warning");
        let receivers: Vec<_> = am["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(receivers, ["slack-notifications", "pagerduty-critical"]);
        assert_eq!(
            am["inhibit_rules"][0]["source_match"]["severity"],
            "critical"
        );
        assert!(
            am["global"]["slack_api_url"].is_null(),
            "{file}: webhook in the ConfigMap"
        );
    }
    // prod notifies through credential files of the existing Secret.
    let objs = render(&["-f", "values/prod.yaml"]);
    let am = config_yaml(&objs, "alertmanager-config", "alertmanager.yml");
    let slack = &am["receivers"][0]["slack_configs"][0];
    assert_eq!(
        slack["api_url_file"],
        "/etc/alertmanager/secrets/slack-webhook-url"
    );
    assert_eq!(slack["channel"], "#battlescope-alerts");
    let pagerduty = &am["receivers"][1]["pagerduty_configs"][0];
    assert_eq!(
        pagerduty["service_key_file"],
        "/etc/alertmanager/secrets/pagerduty-key"
    );
    let mounts = &find(&objs, "Deployment", "alertmanager")["spec"]["template"]["spec"]["containers"]
        [0]["volumeMounts"];
    assert!(
        mounts
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["mountPath"] == "/etc/alertmanager/secrets")
    );
}

#[test]
fn grafana_provisions_the_seed_datasources_and_the_dashboard_folder() {
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let ds = config_yaml(&objs, "grafana-datasources", "datasources.yaml");
        let by_name: BTreeMap<&str, &Value> = ds["datasources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["name"].as_str().unwrap(), d))
            .collect();
        assert_eq!(by_name["Prometheus"]["url"], "http://prometheus:9090");
        assert_eq!(by_name["Prometheus"]["isDefault"], true);
        assert_eq!(by_name["Loki"]["url"], "http://loki:3100");
        assert_eq!(by_name["Loki"]["jsonData"]["maxLines"], 1000);
        assert_eq!(by_name["Jaeger"]["url"], "http://jaeger-query:16686");
        for (name, uid) in [
            ("Prometheus", "prometheus"),
            ("Loki", "loki"),
            ("Jaeger", "jaeger"),
        ] {
            assert_eq!(by_name[name]["uid"], uid);
        }

        let providers = config_yaml(&objs, "grafana-dashboards-config", "dashboards.yaml");
        let path = providers["providers"][0]["options"]["path"]
            .as_str()
            .unwrap();
        assert_eq!(providers["providers"][0]["folder"], "BattleScope");
        let grafana = &find(&objs, "Deployment", "grafana")["spec"]["template"]["spec"];
        let mount = grafana["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "dashboards")
            .unwrap();
        assert_eq!(
            mount["mountPath"], path,
            "the provider reads the mounted dashboards"
        );
    }
}

fn dashboards(objs: &[Value]) -> BTreeMap<String, Value> {
    find(objs, "ConfigMap", "grafana-dashboards")["data"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, text)| {
            let json: Value = serde_json::from_str(text.as_str().unwrap())
                .unwrap_or_else(|e| panic!("dashboard {key} is not valid JSON: {e}"));
            (key.clone(), json)
        })
        .collect()
}

fn dashboard_uids(objs: &[Value]) -> BTreeSet<String> {
    dashboards(objs)
        .values()
        .map(|d| d["uid"].as_str().unwrap().to_owned())
        .collect()
}

/// A Grafana PromQL target with its dashboard variables replaced, so that a
/// PromQL parser can check it.
fn expand_grafana_variables(expr: &str) -> String {
    expr.replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$__range", "1h")
        .replace("$service", "battle-service")
        .replace("$topic", "battles")
        .replace("$namespace", "battlescope")
}

#[test]
fn dashboards_are_real_dashboards_with_the_expected_uids() {
    for file in VALUES_FILES {
        let objs = render(&["-f", file]);
        let dashboards = dashboards(&objs);
        let uids: BTreeMap<&str, &str> = dashboards
            .iter()
            .map(|(key, d)| (key.as_str(), d["uid"].as_str().unwrap()))
            .collect();
        assert_eq!(
            uids,
            BTreeMap::from([
                ("kafka-overview.json", "kafka-overview"),
                ("observability-stack.json", "observability-stack"),
                ("service-overview.json", "service-overview"),
            ])
        );
        for (key, dashboard) in &dashboards {
            assert!(dashboard["title"].is_string(), "{key} has no title");
            assert!(
                dashboard["id"].is_null(),
                "{key}: provisioned dashboards have no id"
            );
            let panels = dashboard["panels"].as_array().unwrap();
            let mut promql_targets = 0;
            let mut panel_ids = BTreeSet::new();
            for panel in panels {
                assert!(
                    panel_ids.insert(panel["id"].as_u64().unwrap()),
                    "{key}: duplicate panel id"
                );
                assert!(panel["gridPos"]["w"].as_u64().unwrap() <= 24);
                if panel["type"] == "row" {
                    continue;
                }
                let targets = panel["targets"].as_array().unwrap();
                assert!(
                    !targets.is_empty(),
                    "{key}: panel {} has no query",
                    panel["title"]
                );
                for target in targets {
                    let ds = &target["datasource"]["uid"];
                    assert!(
                        ds == "prometheus" || ds == "loki",
                        "{key}: unknown datasource {ds}"
                    );
                    if ds == "prometheus" {
                        promql_targets += 1;
                        let expr = expand_grafana_variables(target["expr"].as_str().unwrap());
                        parse_promql(&expr, &format!("{key}: {}", panel["title"]));
                    }
                }
            }
            assert!(
                promql_targets >= 8,
                "{key}: only {promql_targets} PromQL targets"
            );
        }
        // The service dashboard takes ?var-service=... from the alert links.
        let service = &dashboards["service-overview.json"];
        let variables: Vec<_> = service["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert!(variables.contains(&"service"));
    }
}
