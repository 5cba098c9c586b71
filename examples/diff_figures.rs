//! Diff figures against the local cluster (`make bench`): wall time and API requests of a `diff`
//! with no changes, for the observability chart and for a synthetic 300-object release.
//! Target (DESIGN.md): ≤ 500 ms wall and ≤ objects + kinds + 5 API requests, medians.
//!
//!     make cluster-up && cargo run --release --example diff_figures
//!
//! Each release is installed (no wait) into a namespace of its own (`bench-diff-<random>`),
//! deleted at the end. The observability chart is a copy of `chart/` whose two cluster-scoped
//! names get the run's suffix, so the figures can be taken next to another release of the chart
//! (e.g. `make demo`). Every measured diff runs the whole library call, as `bscope-chart diff`
//! does: connect, read the release records, render, list, dry-run, compare.
//! Kubeconfig: `BSCOPE_TEST_KUBECONFIG` (exported by the Makefile), else `.cluster/kubeconfig`.

#[path = "../tests/support/chart_copy.rs"]
mod chart_copy;
use chart_copy::{copy_chart, random_id};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bscope_chart::cluster::ConnectOptions;
use bscope_chart::diff::CompareOptions;
use bscope_chart::ops::RenderOptions;
use bscope_chart::ops::deploy::DeploySettings;
use bscope_chart::ops::diff::diff_upgrade;
use bscope_chart::ops::install::{InstallOptions, install};
use bscope_chart::ops::upgrade::ReuseValues;
use bscope_chart::values::ValueOptions;

/// Measured diffs per release (after one unmeasured warm-up).
const RUNS: usize = 15;
/// Objects of the synthetic release.
const SYNTHETIC_OBJECTS: usize = 300;
/// Target wall time of one diff.
const TARGET_WALL: Duration = Duration::from_millis(500);
/// Requests allowed on top of one per object and one per kind.
const TARGET_EXTRA_REQUESTS: usize = 5;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kubeconfig = std::env::var_os("BSCOPE_TEST_KUBECONFIG")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".cluster/kubeconfig"));
    if !kubeconfig.is_file() {
        eprintln!(
            "diff_figures: no kubeconfig at {}: run `make cluster-up`",
            kubeconfig.display()
        );
        std::process::exit(1);
    }
    let connect = ConnectOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let id = random_id();
    let tmp = tempfile::tempdir().expect("temporary directory");

    let chart = tmp.path().join("observability");
    copy_chart(&root.join("chart"), &chart, &id);
    let observability = Bench {
        title: "observability chart (values/minikube.yaml)".to_string(),
        connect: connect.clone(),
        render: RenderOptions {
            chart: Some(chart),
            release: format!("bench-diff-{id}"),
            namespace: format!("bench-diff-{id}"),
            values: ValueOptions {
                files: vec![root.join("values/minikube.yaml")],
                // Fixed NodePorts are unique per cluster: let Kubernetes pick them.
                set: ["prometheus", "grafana", "jaeger"]
                    .iter()
                    .map(|c| format!("{c}.service.nodePort=0"))
                    .collect(),
                ..Default::default()
            },
        },
    };
    let synthetic_chart = tmp.path().join("synthetic");
    write_synthetic_chart(&synthetic_chart, SYNTHETIC_OBJECTS).expect("write synthetic chart");
    let synthetic = Bench {
        title: format!("synthetic release ({SYNTHETIC_OBJECTS} ConfigMaps)"),
        connect,
        render: RenderOptions {
            chart: Some(synthetic_chart),
            release: format!("bench-synth-{id}"),
            namespace: format!("bench-synth-{id}"),
            values: ValueOptions::default(),
        },
    };

    let mut lines = Vec::new();
    let mut met = true;
    for bench in [&observability, &synthetic] {
        let result = rt.block_on(async {
            let figures = bench.run().await?;
            // For comparison (no target): every object changes, so every object is dry-run.
            let changed = if std::ptr::eq(bench, &synthetic) {
                let mut render = bench.render.clone();
                render.values.set_string = vec!["revision=2".to_string()];
                Some(bench.measure(&render, figures.objects).await?)
            } else {
                None
            };
            Ok::<_, bscope_chart::Error>((figures, changed))
        });
        rt.block_on(bench.cleanup());
        match result {
            Ok((figures, changed)) => {
                met &= figures.met();
                lines.push(figures.line(&bench.title));
                if let Some((wall, requests)) = changed {
                    lines.push(format!(
                        "    for comparison, every object changed (all dry-run): {:.1} ms, {requests} API requests",
                        wall.as_secs_f64() * 1000.0
                    ));
                }
            }
            Err(e) => {
                eprintln!("diff_figures: {}: {e}", bench.title);
                std::process::exit(1);
            }
        }
    }
    println!("diff figures (local cluster, no changes, median of {RUNS} runs):");
    for l in &lines {
        println!("{l}");
    }
    println!(
        "  target ≤ {} ms and ≤ objects + kinds + {TARGET_EXTRA_REQUESTS} requests → {}",
        TARGET_WALL.as_millis(),
        if met { "met" } else { "NOT met" }
    );
}

/// The figures of one release.
struct Figures {
    objects: usize,
    kinds: usize,
    wall: Duration,
    fastest: Duration,
    slowest: Duration,
    requests: usize,
}

impl Figures {
    fn request_budget(&self) -> usize {
        self.objects + self.kinds + TARGET_EXTRA_REQUESTS
    }

    fn met(&self) -> bool {
        self.wall <= TARGET_WALL && self.requests <= self.request_budget()
    }

    fn line(&self, title: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "  {title}\n    {} objects, {} kinds: {:.1} ms (min {:.1}, max {:.1}), {} API requests \
             (budget {} = {} + {} + {TARGET_EXTRA_REQUESTS}) → {}",
            self.objects,
            self.kinds,
            ms(self.wall),
            ms(self.fastest),
            ms(self.slowest),
            self.requests,
            self.request_budget(),
            self.objects,
            self.kinds,
            if self.met() { "met" } else { "NOT met" }
        )
    }
}

struct Bench {
    title: String,
    connect: ConnectOptions,
    render: RenderOptions,
}

impl Bench {
    /// Median wall time and requests of a diff with `render` in which `updates` objects change.
    async fn measure(
        &self,
        render: &RenderOptions,
        updates: usize,
    ) -> bscope_chart::Result<(Duration, usize)> {
        let compare = CompareOptions {
            context: 3,
            show_secrets: false,
        };
        let mut walls = Vec::new();
        let mut requests = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let result = diff_upgrade(render, ReuseValues::Auto, &self.connect, compare).await?;
            walls.push(start.elapsed());
            requests.push(result.requests);
            if result.plan.summary.update != updates {
                return Err(bscope_chart::Error::Cluster(format!(
                    "expected {updates} updates, the plan has {:?}",
                    result.plan.summary
                )));
            }
        }
        walls.sort();
        requests.sort();
        Ok((walls[walls.len() / 2], requests[requests.len() / 2]))
    }

    async fn run(&self) -> bscope_chart::Result<Figures> {
        let installed = install(&InstallOptions {
            render: self.render.clone(),
            connect: self.connect.clone(),
            settings: DeploySettings {
                wait: false,
                timeout: Duration::from_secs(60),
                atomic: false,
                adopt: false,
                history_max: 10,
            },
            create_namespace: true,
            dry_run: false,
            description: None,
        })
        .await?;
        let inventory = &installed.record.inventory;
        let kinds: BTreeSet<(String, String)> = inventory
            .iter()
            .map(|r| (r.api_version(), r.kind.clone()))
            .collect();
        let compare = CompareOptions {
            context: 3,
            show_secrets: false,
        };
        let mut walls = Vec::new();
        let mut requests = Vec::new();
        for run in 0..=RUNS {
            let start = Instant::now();
            let result =
                diff_upgrade(&self.render, ReuseValues::Auto, &self.connect, compare).await?;
            let wall = start.elapsed();
            if result.plan.has_changes() {
                let what: Vec<String> = result
                    .plan
                    .changes
                    .iter()
                    .map(bscope_chart::diff::output::summary_line)
                    .collect();
                return Err(bscope_chart::Error::Cluster(format!(
                    "diff right after install is not empty:\n{}",
                    what.join("\n")
                )));
            }
            if run > 0 {
                walls.push(wall);
                requests.push(result.requests);
            }
        }
        walls.sort();
        requests.sort();
        Ok(Figures {
            objects: inventory.len(),
            kinds: kinds.len(),
            wall: walls[walls.len() / 2],
            fastest: walls[0],
            slowest: walls[walls.len() - 1],
            requests: requests[requests.len() / 2],
        })
    }

    /// Delete the namespace and the release's cluster-scoped objects (best effort).
    async fn cleanup(&self) {
        use k8s_openapi::api::core::v1::Namespace;
        use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
        use kube::api::{Api, DeleteParams, ListParams};
        let Some(path) = &self.connect.kubeconfig else {
            return;
        };
        let Ok(kc) = kube::config::Kubeconfig::read_from(path) else {
            return;
        };
        let Ok(config) = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await else {
            return;
        };
        let Ok(client) = kube::Client::try_from(config) else {
            return;
        };
        let dp = DeleteParams::default();
        let selector = ListParams::default().labels(&format!(
            "app.kubernetes.io/instance={}",
            self.render.release
        ));
        let _ = Api::<ClusterRoleBinding>::all(client.clone())
            .delete_collection(&dp, &selector)
            .await;
        let _ = Api::<ClusterRole>::all(client.clone())
            .delete_collection(&dp, &selector)
            .await;
        let _ = Api::<Namespace>::all(client)
            .delete(&self.render.namespace, &dp)
            .await;
    }
}

/// A chart of `count` ConfigMaps (one kind), each with a small config file.
fn write_synthetic_chart(dir: &Path, count: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("templates"))?;
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: synthetic-configmaps\nversion: 0.1.0\n",
    )?;
    std::fs::write(
        dir.join("values.yaml"),
        format!("count: {count}\nrevision: \"1\"\n"),
    )?;
    std::fs::write(
        dir.join("values.schema.json"),
        r#"{"type": "object", "additionalProperties": false,
            "properties": {"count": {"type": "integer", "description": "ConfigMaps to render."},
                           "revision": {"type": "string", "description": "Goes into every ConfigMap."}}}"#,
    )?;
    std::fs::write(
        dir.join("templates/configmaps.yaml.j2"),
        r#"{% for i in range(values.count) %}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{{ i }}
  labels:
    app: app-{{ i }}
data:
  app.conf: |
    listen = 8080
    name = app-{{ i }}
    workers = {{ i % 8 + 1 }}
    revision = {{ values.revision }}
  mode: "0644"
{% endfor %}
"#,
    )
}
