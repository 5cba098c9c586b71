//! Release figures against the local cluster (`make bench`): wall time and API requests of
//! `install` (no wait), a no-op `upgrade` (target ≤ 1 s and zero apply requests) and `rollback`
//! (to revision 1 after a one-value upgrade, no wait).
//!
//!     make cluster-up && cargo run --release --example release_figures
//!
//! Each round installs a fresh release in a namespace of its own (`bench-<random>`), deleted at
//! the end. The chart is a copy of `chart/` whose two cluster-scoped names (ClusterRole and
//! ClusterRoleBinding `prometheus`/`promtail`) get the round's suffix, so the figures can be taken
//! while another release of the chart (e.g. `make demo`) is installed on the same cluster.
//! Kubeconfig: `BSCOPE_TEST_KUBECONFIG` (exported by the Makefile), else `.cluster/kubeconfig`.

#[path = "../tests/support/chart_copy.rs"]
mod chart_copy;
use chart_copy::{copy_chart, random_id};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bscope_chart::cluster::ConnectOptions;
use bscope_chart::ops::RenderOptions;
use bscope_chart::ops::deploy::DeploySettings;
use bscope_chart::ops::install::{Deployed, InstallOptions, install};
use bscope_chart::ops::rollback::{RollbackOptions, rollback};
use bscope_chart::ops::upgrade::{ReuseValues, UpgradeOptions, upgrade};
use bscope_chart::values::ValueOptions;

const ROUNDS: usize = 3;
const NOOP_UPGRADES: usize = 3;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let kubeconfig = std::env::var_os("BSCOPE_TEST_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".cluster/kubeconfig"));
    if !kubeconfig.is_file() {
        eprintln!(
            "release_figures: no kubeconfig at {}: run `make cluster-up`",
            kubeconfig.display()
        );
        std::process::exit(1);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");

    let mut installs = Vec::new();
    let mut upgrades = Vec::new();
    let mut rollbacks = Vec::new();
    for _ in 0..ROUNDS {
        let id = random_id();
        let tmp = std::env::temp_dir().join(format!("bscope-figures-{id}"));
        let chart = tmp.join("chart");
        copy_chart(&root.join("chart"), &chart, &id);
        let round = Round {
            connect: ConnectOptions {
                kubeconfig: Some(kubeconfig.clone()),
                context: None,
            },
            render: RenderOptions {
                chart: Some(chart),
                release: format!("bench-{id}"),
                namespace: format!("bench-{id}"),
                values: ValueOptions {
                    files: vec![root.join("values/minikube.yaml")],
                    set: ["prometheus", "grafana", "jaeger"]
                        .iter()
                        .map(|c| format!("{c}.service.nodePort=0"))
                        .collect(),
                    ..Default::default()
                },
            },
        };
        let result = rt.block_on(round.run(&mut installs, &mut upgrades, &mut rollbacks));
        rt.block_on(round.cleanup());
        let _ = std::fs::remove_dir_all(&tmp);
        if let Err(e) = result {
            eprintln!("release_figures: {e}");
            std::process::exit(1);
        }
    }

    println!("release figures (local cluster, {ROUNDS} rounds, medians):");
    report("install (--no-wait)", &installs);
    report("no-op upgrade (wait on)", &upgrades);
    report("rollback 1 (--no-wait)", &rollbacks);
    let worst_noop = upgrades.iter().map(|s| s.wall).max().unwrap_or_default();
    let noop_applied: usize = upgrades.iter().map(|s| s.applied).sum();
    println!(
        "  no-op upgrade target ≤ 1 s and 0 apply requests: worst {:.0} ms, {} applied → {}",
        worst_noop.as_secs_f64() * 1000.0,
        noop_applied,
        if worst_noop <= Duration::from_secs(1) && noop_applied == 0 {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    requests: usize,
    applied: usize,
}

impl Sample {
    fn of(start: Instant, d: &Deployed) -> Sample {
        Sample {
            wall: start.elapsed(),
            requests: d.requests,
            applied: d.outcome.applied.len(),
        }
    }
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn report(what: &str, samples: &[Sample]) {
    let wall = median(samples.iter().map(|s| s.wall).collect());
    let requests = median(samples.iter().map(|s| s.requests).collect());
    let applied = median(samples.iter().map(|s| s.applied).collect());
    println!(
        "  {what:<26} {:>7.1} ms  {requests:>4} API requests  {applied:>3} objects applied  (n={})",
        wall.as_secs_f64() * 1000.0,
        samples.len()
    );
}

struct Round {
    connect: ConnectOptions,
    render: RenderOptions,
}

impl Round {
    fn settings(wait: bool) -> DeploySettings {
        DeploySettings {
            wait,
            timeout: Duration::from_secs(60),
            atomic: false,
            adopt: false,
            history_max: 10,
        }
    }

    async fn run(
        &self,
        installs: &mut Vec<Sample>,
        upgrades: &mut Vec<Sample>,
        rollbacks: &mut Vec<Sample>,
    ) -> bscope_chart::Result<()> {
        let start = Instant::now();
        let d = install(&InstallOptions {
            render: self.render.clone(),
            connect: self.connect.clone(),
            settings: Self::settings(false),
            create_namespace: true,
            dry_run: false,
            description: None,
        })
        .await?;
        installs.push(Sample::of(start, &d));

        // Let the workloads settle (an upgrade that waits) so that the no-op upgrades' wait
        // measures only its checks.
        let upgrade_opts = UpgradeOptions {
            render: self.render.clone(),
            connect: self.connect.clone(),
            settings: Self::settings(true),
            install: false,
            create_namespace: false,
            dry_run: false,
            reuse: ReuseValues::Auto,
            description: None,
        };
        upgrade(&upgrade_opts).await?;
        for _ in 0..NOOP_UPGRADES {
            let start = Instant::now();
            let d = upgrade(&upgrade_opts).await?;
            upgrades.push(Sample::of(start, &d));
        }

        // A real change (Prometheus retention → its Deployment), so that the rollback to
        // revision 1 has something to send back.
        let mut changed = upgrade_opts.clone();
        changed.settings.wait = false;
        changed
            .render
            .values
            .set
            .push("prometheus.retention=7d".into());
        upgrade(&changed).await?;

        let start = Instant::now();
        let d = rollback(&RollbackOptions {
            release: self.render.release.clone(),
            namespace: self.render.namespace.clone(),
            revision: Some(1),
            connect: self.connect.clone(),
            settings: Self::settings(false),
            dry_run: false,
        })
        .await?;
        rollbacks.push(Sample::of(start, &d));
        Ok(())
    }

    /// Delete the namespace and the round's cluster-scoped objects (best effort).
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
