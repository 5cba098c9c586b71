//! Shared helpers of the cluster tests (`tests/cluster_*.rs`).
//!
//! The tests run against the local control plane started by `make cluster-up`; the Makefile
//! exports its kubeconfig as `BSCOPE_TEST_KUBECONFIG`. Without a reachable cluster every test
//! FAILS (never skips) with "cluster unreachable: run `make cluster-up`".
//!
//! Each test works in its own namespace (`t-<test>-<random>`) so the tests run in parallel, and
//! deletes it at the end (best effort, also when the test panics). The chart's cluster-scoped
//! objects (ClusterRole/ClusterRoleBinding `prometheus` and `promtail`) have fixed names: one
//! install per cluster, like the seed. So that parallel tests (and a `make demo` release on the
//! same cluster) do not fight over them, release tests install a copy of `chart/` in which only
//! those two names get a per-test suffix, and values that let Kubernetes pick the NodePorts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../support/chart_copy.rs"]
mod chart_copy;
pub use chart_copy::{copy_chart, random_id};

/// The package root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bscope-chart binary built by cargo for these tests.
pub fn bscope_bin() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("bscope-chart"))
}

/// The kubectl built with the local control plane (`hack/cluster/versions.sh`'s CLUSTER_BIN).
pub fn kubectl_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(". hack/cluster/versions.sh && printf %s \"$CLUSTER_BIN\"")
            .current_dir(repo())
            .output()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let bin = PathBuf::from(String::from_utf8_lossy(&out.stdout).to_string()).join("kubectl");
        if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("no kubectl at {}", bin.display()))
        }
    })
    .clone()
    .unwrap_or_else(|e| panic!("cluster unreachable: run `make cluster-up` ({e})"))
}

/// The test cluster's kubeconfig. Panics (the test fails) when `BSCOPE_TEST_KUBECONFIG` is unset,
/// names a missing file, or the API server does not answer `/readyz`.
pub fn kubeconfig() -> PathBuf {
    static KC: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    KC.get_or_init(|| {
        let path = std::env::var_os("BSCOPE_TEST_KUBECONFIG")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .ok_or("BSCOPE_TEST_KUBECONFIG is not set")?;
        if !path.is_file() {
            return Err(format!(
                "BSCOPE_TEST_KUBECONFIG={} does not exist",
                path.display()
            ));
        }
        let out = Command::new(kubectl_bin())
            .arg("--kubeconfig")
            .arg(&path)
            .args(["--request-timeout=5s", "get", "--raw", "/readyz"])
            .output()
            .map_err(|e| format!("cannot run kubectl: {e}"))?;
        if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok" {
            Ok(path)
        } else {
            Err(format!(
                "the API server of {} does not answer /readyz: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    })
    .clone()
    .unwrap_or_else(|e| panic!("cluster unreachable: run `make cluster-up` ({e})"))
}

/// A finished process.
#[derive(Debug)]
pub struct Run {
    /// What ran (for messages).
    pub what: String,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from_output(what: String, out: Output) -> Run {
        Run {
            what,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Panic unless it exited 0; returns itself.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "`{}` failed (exit {}):\n--- stderr\n{}\n--- stdout\n{}",
            self.what, self.code, self.stderr, self.stdout
        );
        self
    }

    /// Panic unless it exited 1; returns itself.
    #[track_caller]
    pub fn fails(self) -> Run {
        assert_eq!(
            self.code, 1,
            "`{}` should exit 1 (exit {}):\n--- stderr\n{}\n--- stdout\n{}",
            self.what, self.code, self.stderr, self.stdout
        );
        assert!(
            !self.stderr.contains("panicked"),
            "`{}` panicked:\n{}",
            self.what,
            self.stderr
        );
        assert!(
            !self.stderr.contains("error: error:"),
            "`{}`: doubled error prefix:\n{}",
            self.what,
            self.stderr
        );
        self
    }

    /// Stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}`: stdout is not JSON ({e}):\n{}",
                self.what, self.stdout
            )
        })
    }
}

/// Run a prepared command and collect its output.
pub fn run(mut cmd: Command) -> Run {
    let what = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    Run::from_output(what, out)
}

/// `bscope-chart` with a clean environment, no colour, run from the package root.
pub fn bscope_command() -> Command {
    let mut cmd = Command::new(bscope_bin());
    cmd.current_dir(repo())
        .env_remove("BSCOPE_CHART")
        .env_remove("BSCOPE_NAMESPACE")
        .env_remove("BSCOPE_LOCK_SECONDS")
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1");
    cmd
}

/// Run `bscope-chart --kubeconfig <test cluster> ARGS`.
pub fn bscope(args: &[&str]) -> Run {
    let mut cmd = bscope_command();
    cmd.arg("--kubeconfig").arg(kubeconfig()).args(args);
    run(cmd)
}

/// Run `kubectl --kubeconfig <test cluster> ARGS`.
pub fn kubectl(args: &[&str]) -> Run {
    let mut cmd = Command::new(kubectl_bin());
    cmd.arg("--kubeconfig")
        .arg(kubeconfig())
        .arg("--request-timeout=20s")
        .args(args);
    run(cmd)
}

/// A namespace of its own for one test; deleted (best effort) when dropped.
pub struct TestNs {
    /// Namespace name, `t-<test>-<id>`.
    pub name: String,
    /// The random part, unique per test run.
    pub id: String,
}

impl TestNs {
    /// Create `t-<test>-<random>`.
    pub fn create(test: &str) -> TestNs {
        let id = random_id();
        let mut slug: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        slug.truncate(40);
        let name = format!("t-{}-{id}", slug.trim_matches('-'));
        kubectl(&["create", "namespace", &name]).ok();
        TestNs { name, id }
    }

    /// `kubectl -n <ns> ARGS`.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        kubectl(&all)
    }

    /// `kubectl -n <ns> get ARGS -o json`, parsed.
    #[track_caller]
    pub fn get_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        self.kubectl(&all).ok().json()
    }

    /// True when `kubectl get KIND NAME` finds the object in this namespace.
    pub fn exists(&self, kind: &str, name: &str) -> bool {
        let r = self.kubectl(&["get", kind, name, "--ignore-not-found", "-o", "name"]);
        assert_eq!(r.code, 0, "kubectl get {kind} {name}: {}", r.stderr);
        !r.stdout.trim().is_empty()
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        let _ = kubectl(&["delete", "namespace", &self.name, "--wait=false"]);
    }
}

/// Poll `f` every 100 ms until it returns `Some`, or panic after `timeout` describing `what`.
#[track_caller]
pub fn eventually<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A release under test: its namespace, its name, and the chart copy it installs.
pub struct TestRelease {
    /// The namespace (deleted at the end).
    pub ns: TestNs,
    /// Release name, `obs-<id>`.
    pub name: String,
    /// Chart copy whose cluster-scoped object names end in `-<id>`.
    pub chart: PathBuf,
    _tmp: tempfile::TempDir,
}

impl TestRelease {
    /// A fresh namespace, release name and chart copy for `test`.
    pub fn new(test: &str) -> TestRelease {
        kubeconfig();
        let ns = TestNs::create(test);
        let name = format!("obs-{}", ns.id);
        let tmp = tempfile::tempdir().expect("temporary directory");
        let chart = tmp.path().join("chart");
        copy_chart(&repo().join("chart"), &chart, &ns.id);
        TestRelease {
            ns,
            name,
            chart,
            _tmp: tmp,
        }
    }

    /// Namespace name.
    pub fn namespace(&self) -> &str {
        &self.ns.name
    }

    /// A `bscope-chart --kubeconfig K --chart COPY -n NS` command without running it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = bscope_command();
        cmd.arg("--kubeconfig")
            .arg(kubeconfig())
            .arg("--chart")
            .arg(&self.chart)
            .args(["-n", &self.ns.name])
            .args(args);
        cmd
    }

    /// Run `bscope-chart ARGS` against this release's namespace and chart copy.
    pub fn bscope(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// The values every install/upgrade of the tests uses: `values/minikube.yaml`, with the
    /// NodePorts left to Kubernetes (fixed NodePorts are unique per cluster), then `extra`.
    pub fn values_args(extra: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "-f".into(),
            repo().join("values/minikube.yaml").display().to_string(),
        ];
        for c in ["prometheus", "grafana", "jaeger"] {
            v.push("--set".into());
            v.push(format!("{c}.service.nodePort=0"));
        }
        for e in extra {
            v.push("--set".into());
            v.push((*e).to_string());
        }
        v
    }

    /// `VERB RELEASE <values> --timeout 60s FLAGS` as arguments.
    pub fn deploy_args(&self, verb: &str, sets: &[&str], flags: &[&str]) -> Vec<String> {
        let mut a = vec![verb.to_string(), self.name.clone()];
        a.extend(Self::values_args(sets));
        a.extend(["--timeout".to_string(), "60s".to_string()]);
        a.extend(flags.iter().map(|s| s.to_string()));
        a
    }

    /// Run `VERB` (install/upgrade) with the test values plus `sets` (`--set` pairs) and `flags`.
    pub fn deploy(&self, verb: &str, sets: &[&str], flags: &[&str]) -> Run {
        let args = self.deploy_args(verb, sets, flags);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.bscope(&refs)
    }

    /// Install (waiting, 60 s budget) and expect success.
    #[track_caller]
    pub fn install(&self, sets: &[&str]) -> Run {
        self.deploy("install", sets, &[]).ok()
    }

    /// Upgrade (waiting, 60 s budget) and expect success.
    #[track_caller]
    pub fn upgrade(&self, sets: &[&str]) -> Run {
        self.deploy("upgrade", sets, &[]).ok()
    }

    /// `history -o json`.
    #[track_caller]
    pub fn history(&self) -> Vec<Value> {
        let h = self
            .bscope(&["history", &self.name, "-o", "json"])
            .ok()
            .json();
        h.as_array().expect("history is an array").clone()
    }

    /// `(revision, status)` of every revision, oldest first.
    #[track_caller]
    pub fn revisions(&self) -> Vec<(u64, String)> {
        self.history()
            .iter()
            .map(|r| {
                (
                    r["revision"].as_u64().expect("revision"),
                    r["status"].as_str().expect("status").to_string(),
                )
            })
            .collect()
    }

    /// `status -o json` (latest revision): includes `objects`, the inventory.
    #[track_caller]
    pub fn status(&self) -> Value {
        self.bscope(&["status", &self.name, "-o", "json"])
            .ok()
            .json()
    }

    /// The release-record Secrets of this release, by name.
    #[track_caller]
    pub fn record_secrets(&self) -> Vec<Value> {
        let list = self.ns.get_json(&[
            "secrets",
            "-l",
            &format!(
                "app.kubernetes.io/managed-by=bscope-chart,bscope.io/release={}",
                self.name
            ),
        ]);
        list["items"].as_array().cloned().unwrap_or_default()
    }

    /// The live object of an inventory entry (`status -o json`'s `objects`), if it exists.
    pub fn live(&self, obj: &Value) -> Option<Value> {
        let resource = kubectl_resource(obj);
        let name = obj["name"].as_str().expect("name");
        let mut args = vec!["get", &resource, name, "--ignore-not-found", "-o", "json"];
        let ns;
        if let Some(n) = obj["namespace"].as_str() {
            ns = n.to_string();
            args.extend_from_slice(&["-n", &ns]);
        }
        let r = kubectl(&args).ok();
        if r.stdout.trim().is_empty() {
            None
        } else {
            Some(r.json())
        }
    }
}

impl Drop for TestRelease {
    fn drop(&mut self) {
        // Cluster-scoped leftovers (the namespace deletion does not reach them).
        let _ = kubectl(&[
            "delete",
            "clusterrole,clusterrolebinding",
            "-l",
            &format!("app.kubernetes.io/instance={}", self.name),
            "--wait=false",
        ]);
    }
}

/// `kind.version.group` as kubectl accepts it, for an inventory entry.
pub fn kubectl_resource(obj: &Value) -> String {
    let kind = obj["kind"].as_str().expect("kind");
    let version = obj["version"].as_str().expect("version");
    match obj["group"].as_str().unwrap_or("") {
        "" => format!("{kind}.{version}."),
        g => format!("{kind}.{version}.{g}"),
    }
}

/// A copy of the test kubeconfig whose server is `server` (e.g. a closed port).
pub fn kubeconfig_with_server(dir: &Path, server: &str) -> PathBuf {
    let text = std::fs::read_to_string(kubeconfig()).expect("read kubeconfig");
    let mut replaced = 0;
    let out: Vec<String> = text
        .lines()
        .map(|l| match l.split_once("server:") {
            Some((indent, _)) if indent.trim().is_empty() => {
                replaced += 1;
                format!("{indent}server: {server}")
            }
            _ => l.to_string(),
        })
        .collect();
    assert!(replaced > 0, "no `server:` line in the kubeconfig");
    let path = dir.join("kubeconfig");
    std::fs::write(&path, out.join("\n") + "\n").expect("write kubeconfig");
    path
}

/// Build a kube-rs client from the test kubeconfig.
pub async fn client() -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig()).expect("parse kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("kubeconfig → client config");
    kube::Client::try_from(config).expect("kube client")
}
