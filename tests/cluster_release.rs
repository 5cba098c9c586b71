//! Releases on the live local cluster (issue 5, acceptance 1–9): install, upgrade, prune,
//! rollback, the Lease lock under contention and after a crash, ownership and `--adopt`,
//! `--atomic` with crashing pods, uninstall, and an unreachable API server.
//!
//! Every test has its own namespace and release (see `common`), installs the real chart with
//! `values/minikube.yaml`, and keeps to a 60 s wait budget.

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{TestRelease, eventually};
use serde_json::Value;

const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const INSTANCE: &str = "app.kubernetes.io/instance";

fn labels(obj: &Value) -> &Value {
    &obj["metadata"]["labels"]
}

/// Every workload of the namespace is ready: Deployments available, DaemonSets ready, PVCs
/// bound. Returns how many workloads were checked.
#[track_caller]
fn assert_workloads_ready(rel: &TestRelease) -> usize {
    let deployments = rel.ns.get_json(&["deployments"]);
    let deployments = deployments["items"].as_array().unwrap();
    for d in deployments {
        let name = &d["metadata"]["name"];
        let want = d["spec"]["replicas"].as_i64().unwrap_or(1);
        assert_eq!(
            d["status"]["availableReplicas"].as_i64().unwrap_or(0),
            want,
            "Deployment {name} not available: {}",
            d["status"]
        );
        assert!(
            d["status"]["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["type"] == "Available" && c["status"] == "True"),
            "Deployment {name} lacks Available=True"
        );
    }
    let daemonsets = rel.ns.get_json(&["daemonsets"]);
    let daemonsets = daemonsets["items"].as_array().unwrap();
    for ds in daemonsets {
        let s = &ds["status"];
        assert!(
            s["desiredNumberScheduled"].as_i64().unwrap_or(0) > 0
                && s["numberReady"] == s["desiredNumberScheduled"],
            "DaemonSet {} not ready: {s}",
            ds["metadata"]["name"]
        );
    }
    let pvcs = rel.ns.get_json(&["pvc"]);
    let pvcs = pvcs["items"].as_array().unwrap();
    for p in pvcs {
        assert_eq!(
            p["status"]["phase"], "Bound",
            "PVC {} not bound",
            p["metadata"]["name"]
        );
    }
    deployments.len() + daemonsets.len() + pvcs.len()
}

/// Revisions are exactly 1..=n, each once.
#[track_caller]
fn assert_no_gap_or_duplicate(revs: &[(u64, String)]) {
    let numbers: Vec<u64> = revs.iter().map(|(r, _)| *r).collect();
    let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
    assert_eq!(numbers, expected, "history has a gap or a duplicate");
}

fn revs(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|(r, s)| (*r, s.to_string())).collect()
}

/// The container args of Deployment `name`.
fn container_args(rel: &TestRelease, name: &str) -> Vec<String> {
    let d = rel.ns.get_json(&["deployment", name]);
    d["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// Acceptance 1: install → revision 1 deployed; its Secret has DESIGN.md's type and labels;
/// every chart object exists with our labels and annotation; every workload is ready.
#[test]
fn install_records_revision_1_and_every_object_is_ours_and_ready() {
    let rel = TestRelease::new("install");
    let out = rel.install(&[]);
    assert!(
        out.stdout.contains("BattleScope observability stack"),
        "NOTES not printed: {}",
        out.stdout
    );
    assert_eq!(rel.revisions(), revs(&[(1, "deployed")]));

    let secrets = rel.record_secrets();
    assert_eq!(secrets.len(), 1);
    let s = &secrets[0];
    assert_eq!(
        s["metadata"]["name"],
        format!("bscope.release.v1.{}.v1", rel.name)
    );
    assert_eq!(s["type"], "bscope.io/release.v1");
    let l = labels(s);
    assert_eq!(l[MANAGED_BY], "bscope-chart");
    assert_eq!(l["bscope.io/release"], rel.name.as_str());
    assert_eq!(l["bscope.io/revision"], "1");
    assert_eq!(l["bscope.io/status"], "deployed");
    assert!(s["data"]["release"].as_str().is_some_and(|d| !d.is_empty()));

    let status = rel.status();
    let objects = status["objects"].as_array().expect("inventory");
    assert!(
        objects.len() >= 30,
        "inventory too small: {}",
        objects.len()
    );
    let kinds: BTreeSet<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    for k in [
        "Deployment",
        "DaemonSet",
        "PersistentVolumeClaim",
        "ConfigMap",
        "Service",
        "ClusterRole",
    ] {
        assert!(kinds.contains(k), "no {k} in the inventory: {kinds:?}");
    }
    let annotation = format!("{}/{}", rel.namespace(), rel.name);
    for o in objects {
        let live = rel
            .live(o)
            .unwrap_or_else(|| panic!("chart object missing on the cluster: {o}"));
        let l = labels(&live);
        assert_eq!(l[MANAGED_BY], "bscope-chart", "{o}");
        assert_eq!(l[INSTANCE], rel.name.as_str(), "{o}");
        assert_eq!(
            live["metadata"]["annotations"]["bscope.io/release"],
            annotation.as_str(),
            "{o}"
        );
    }
    // 5 Deployments, the Promtail DaemonSet and 5 PVCs.
    assert_eq!(assert_workloads_ready(&rel), 11);
}

/// Acceptance 2: a changed value → revision 2 deployed, 1 superseded, the object changed. An
/// upgrade that disables a component (Jaeger, and the Ingresses) prunes its objects but keeps its
/// PVC. A no-op upgrade sends nothing.
#[test]
fn upgrade_changes_objects_supersedes_and_prunes_all_but_the_pvc() {
    let rel = TestRelease::new("upgrade");
    let ingress = [
        "ingress.enabled=true",
        "ingress.hosts.grafana=grafana.test",
        "ingress.hosts.jaeger=jaeger.test",
    ];
    rel.install(&ingress);
    assert!(rel.ns.exists("ingress", "grafana"));
    assert!(rel.ns.exists("ingress", "jaeger-query"));
    assert!(
        container_args(&rel, "prometheus").contains(&"--storage.tsdb.retention.time=3d".into())
    );

    let mut sets = ingress.to_vec();
    sets.push("prometheus.retention=7d");
    let out = rel.upgrade(&sets);
    assert!(out.stderr.contains("revision 2 deployed"), "{}", out.stderr);
    assert_eq!(rel.revisions(), revs(&[(1, "superseded"), (2, "deployed")]));
    let args = container_args(&rel, "prometheus");
    assert!(
        args.contains(&"--storage.tsdb.retention.time=7d".into()),
        "Deployment prometheus not changed: {args:?}"
    );
    assert_workloads_ready(&rel);

    // Same values again: nothing is sent, a revision is still recorded.
    let out = rel.upgrade(&sets);
    assert!(
        out.stderr.contains("(0 applied,"),
        "a no-op upgrade applied objects: {}",
        out.stderr
    );

    // Jaeger off (and, with no ingress flags, the Ingresses gone).
    let jaeger: Vec<Value> = rel.status()["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            let name = o["name"].as_str().unwrap();
            o["kind"] == "Ingress" || name.starts_with("jaeger")
        })
        .cloned()
        .collect();
    assert!(
        jaeger.len() >= 6,
        "Jaeger's objects and the Ingresses: {jaeger:?}"
    );
    let pvc_uid = rel.ns.get_json(&["pvc", "jaeger-pvc"])["metadata"]["uid"].clone();
    let out = rel.upgrade(&["prometheus.retention=7d", "jaeger.enabled=false"]);
    assert!(
        out.stderr
            .contains(&format!("{} pruned, 1 kept", jaeger.len() - 1)),
        "{}",
        out.stderr
    );
    for o in &jaeger {
        let live = rel.live(o);
        if o["kind"] == "PersistentVolumeClaim" {
            let pvc = live.unwrap_or_else(|| panic!("{o} was deleted"));
            assert_eq!(pvc["metadata"]["uid"], pvc_uid, "jaeger-pvc was replaced");
            assert_eq!(pvc["status"]["phase"], "Bound");
            assert!(pvc["metadata"]["deletionTimestamp"].is_null());
        } else {
            assert!(
                live.is_none_or(|l| !l["metadata"]["deletionTimestamp"].is_null()),
                "not pruned: {o}"
            );
        }
    }
    let inventory = rel.status()["objects"].clone();
    assert!(
        !inventory
            .as_array()
            .unwrap()
            .iter()
            .any(|o| jaeger.contains(o)),
        "dropped objects still in the inventory"
    );
    assert_eq!(
        rel.revisions(),
        revs(&[
            (1, "superseded"),
            (2, "superseded"),
            (3, "superseded"),
            (4, "deployed")
        ])
    );
    assert_workloads_ready(&rel);
}

/// Acceptance 3: delete a ConfigMap by hand, `rollback 1` → revision 3 with revision 1's
/// manifest; the ConfigMap is back and the object added by revision 2 is gone.
#[test]
fn rollback_restores_deleted_objects_and_removes_later_ones() {
    let rel = TestRelease::new("rollback");
    rel.install(&[]);
    rel.upgrade(&["ingress.enabled=true", "ingress.hosts.grafana=grafana.test"]);
    assert!(rel.ns.exists("ingress", "grafana"));
    rel.ns.kubectl(&["delete", "configmap", "loki-config"]).ok();
    assert!(!rel.ns.exists("configmap", "loki-config"));

    let out = rel
        .bscope(&["rollback", &rel.name, "1", "--timeout", "60s"])
        .ok();
    assert!(out.stderr.contains("revision 3 deployed"), "{}", out.stderr);
    assert_eq!(
        rel.revisions(),
        revs(&[(1, "superseded"), (2, "superseded"), (3, "deployed")])
    );
    assert_eq!(rel.history()[2]["description"], "Rollback to 1");
    let manifest = |rev: &str| {
        rel.bscope(&["get", "manifest", &rel.name, "--revision", rev])
            .ok()
            .stdout
    };
    assert_eq!(manifest("3"), manifest("1"));
    assert_ne!(manifest("2"), manifest("1"));

    let cm = rel.ns.get_json(&["configmap", "loki-config"]);
    assert_eq!(labels(&cm)[INSTANCE], rel.name.as_str());
    assert!(cm["data"]["loki.yaml"].is_string() || !cm["data"].as_object().unwrap().is_empty());
    assert!(
        !rel.ns.exists("ingress", "grafana"),
        "Ingress of revision 2 not pruned"
    );
    assert_workloads_ready(&rel);
}

/// Acceptance 4: two upgrades started together: exactly one succeeds, the other fails at once
/// naming the lock holder; the history has no gap or duplicate.
#[test]
fn concurrent_upgrades_one_wins_the_other_names_the_lock_holder() {
    let rel = TestRelease::new("concurrent");
    rel.install(&[]);
    // Each upgrade rolls every workload (a pull-policy change), so the winner holds the lock
    // for the whole rollout.
    let spawn = |policy: &str| {
        let set = format!("global.imagePullPolicy={policy}");
        let args = rel.deploy_args("upgrade", &[&set], &[]);
        let mut cmd = rel.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.spawn().expect("spawn upgrade")
    };
    let a = spawn("Always");
    let b = spawn("Never");
    let pids = [a.id(), b.id()];
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let ok: Vec<usize> = (0..2).filter(|i| outs[*i].status.success()).collect();
    let stderr = |i: usize| String::from_utf8_lossy(&outs[i].stderr).into_owned();
    assert_eq!(
        ok.len(),
        1,
        "exactly one upgrade must succeed:\n--- a\n{}\n--- b\n{}",
        stderr(0),
        stderr(1)
    );
    let (winner, loser) = (ok[0], 1 - ok[0]);
    assert_eq!(outs[loser].status.code(), Some(1));
    let msg = stderr(loser);
    assert!(
        msg.contains(&format!("release {} is locked by", rel.name))
            && msg.contains(&format!("/pid-{}/", pids[winner])),
        "the loser must name the holder (pid {}): {msg}",
        pids[winner]
    );
    assert!(msg.contains("from now"), "the expiry is not named: {msg}");

    let h = rel.revisions();
    assert_no_gap_or_duplicate(&h);
    assert_eq!(h, revs(&[(1, "superseded"), (2, "deployed")]));
    let policy = if winner == 0 { "Always" } else { "Never" };
    let values = rel.bscope(&["get", "values", &rel.name]).ok().stdout;
    assert!(
        values.contains(&format!("imagePullPolicy: {policy}")),
        "revision 2 should hold the winner's values ({policy}): {values}"
    );
    // The lock was released: a later operation goes through.
    rel.upgrade(&[]);
    assert_no_gap_or_duplicate(&rel.revisions());
}

/// Acceptance 5: an upgrade killed with SIGKILL mid-operation leaves its revision pending and
/// the lease held; once the lease expires, `upgrade` succeeds and the interrupted revision is
/// `failed`.
#[test]
fn sigkilled_upgrade_is_recovered_after_the_lease_expires() {
    const LOCK_SECONDS: u64 = 4;
    let rel = TestRelease::new("sigkill");
    rel.install(&[]);
    let secret = format!("bscope.release.v1.{}.v2", rel.name);

    let args = rel.deploy_args("upgrade", &["global.imagePullPolicy=Always"], &[]);
    let mut cmd = rel.command(&args.iter().map(String::as_str).collect::<Vec<_>>());
    cmd.env("BSCOPE_LOCK_SECONDS", LOCK_SECONDS.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        rt.block_on(async { kube::Api::namespaced(common::client().await, rel.namespace()) });
    let mut child = cmd.spawn().expect("spawn upgrade");
    let start = Instant::now();
    let appeared = loop {
        if rt
            .block_on(secrets.get_opt(&secret))
            .expect("read secret")
            .is_some()
        {
            break true;
        }
        if child.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(30) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(appeared, "revision 2's record never appeared");
    assert_eq!(
        status.code(),
        None,
        "the upgrade ended before it was killed"
    );
    let killed_at = Instant::now();

    let s = rel.ns.get_json(&["secret", &secret]);
    assert_eq!(
        labels(&s)["bscope.io/status"],
        "pending-upgrade",
        "the killed revision should be left pending"
    );
    // The dead holder's lease still blocks, naming it, until it expires.
    let blocked = rel.deploy("upgrade", &[], &[]).fails();
    assert!(
        blocked.stderr.contains("is locked by")
            && blocked.stderr.contains(&format!("/pid-{}/", child.id())),
        "{}",
        blocked.stderr
    );
    let wait = Duration::from_secs(LOCK_SECONDS + 1).saturating_sub(killed_at.elapsed());
    std::thread::sleep(wait);

    let out = rel.upgrade(&[]);
    assert!(
        out.stderr.contains("interrupted operation"),
        "the recovery is not reported: {}",
        out.stderr
    );
    let h = rel.history();
    assert_eq!(
        rel.revisions(),
        revs(&[(1, "superseded"), (2, "failed"), (3, "deployed")])
    );
    assert!(
        h[1]["description"]
            .as_str()
            .unwrap()
            .starts_with("interrupted"),
        "{}",
        h[1]
    );
    let s = rel.ns.get_json(&["secret", &secret]);
    assert_eq!(labels(&s)["bscope.io/status"], "failed");
    assert_workloads_ready(&rel);
}

/// Acceptance 6: an existing ConfigMap that bscope-chart does not manage, named like a chart
/// object: install fails before changing anything; with `--adopt` it succeeds.
#[test]
fn unowned_object_blocks_install_until_adopted() {
    let rel = TestRelease::new("adopt");
    rel.ns
        .kubectl(&[
            "create",
            "configmap",
            "loki-config",
            "--from-literal=loki.yaml=hand-made",
        ])
        .ok();
    let before = rel.ns.get_json(&["configmap", "loki-config"]);

    let out = rel.deploy("install", &[], &[]).fails();
    assert!(
        out.stderr.contains("ConfigMap") && out.stderr.contains("loki-config"),
        "the message must name the object: {}",
        out.stderr
    );
    assert!(out.stderr.contains("--adopt"), "{}", out.stderr);
    assert!(out.stderr.contains("nothing was changed"), "{}", out.stderr);
    // Nothing changed: no record, no chart object, the ConfigMap untouched, no lock left.
    assert!(rel.record_secrets().is_empty());
    for (kind, name) in [
        ("deployment", "prometheus"),
        ("configmap", "prometheus-config"),
        ("serviceaccount", "prometheus"),
        ("pvc", "loki-pvc"),
        ("secret", "grafana-secret"),
        ("lease", &format!("bscope.lock.{}", rel.name)),
    ] {
        assert!(!rel.ns.exists(kind, name), "{kind} {name} was created");
    }
    let after = rel.ns.get_json(&["configmap", "loki-config"]);
    assert_eq!(
        after["metadata"]["resourceVersion"],
        before["metadata"]["resourceVersion"]
    );
    assert!(rel.bscope(&["history", &rel.name]).code == 1);

    rel.deploy("install", &[], &["--adopt"]).ok();
    assert_eq!(rel.revisions(), revs(&[(1, "deployed")]));
    let cm = rel.ns.get_json(&["configmap", "loki-config"]);
    assert_eq!(labels(&cm)[MANAGED_BY], "bscope-chart");
    assert_eq!(labels(&cm)[INSTANCE], rel.name.as_str());
    assert_ne!(
        cm["data"]["loki.yaml"], "hand-made",
        "the chart's data was not applied"
    );
    assert_workloads_ready(&rel);
}

/// Acceptance 7: an `--atomic` upgrade whose pods crash reports the pod and its reason, returns
/// the release to the previous deployed state, and keeps the failed revision in the history.
#[test]
fn atomic_upgrade_with_crashing_pods_rolls_back() {
    let rel = TestRelease::new("atomic");
    rel.install(&[]);
    let image = |rel: &TestRelease| {
        rel.ns.get_json(&["deployment", "prometheus"])["spec"]["template"]["spec"]["containers"][0]
            ["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let good = image(&rel);
    assert_eq!(good, "prom/prometheus:v2.48.0");

    let start = Instant::now();
    let out = rel
        .deploy(
            "upgrade",
            &[
                "prometheus.image.repository=kwok.test/crashloop",
                "prometheus.image.tag=latest",
            ],
            &["--atomic"],
        )
        .fails();
    assert!(
        start.elapsed() < Duration::from_secs(45),
        "the failure was not detected fast: {:?}",
        start.elapsed()
    );
    assert!(
        out.stderr.contains("CrashLoopBackOff") && out.stderr.contains("pod prometheus-"),
        "the pod and its reason must be reported: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("rolled back to revision 1"),
        "{}",
        out.stderr
    );
    assert_eq!(
        rel.revisions(),
        revs(&[(1, "superseded"), (2, "failed"), (3, "deployed")])
    );
    let h = rel.history();
    assert!(
        h[1]["description"]
            .as_str()
            .unwrap()
            .contains("CrashLoopBackOff"),
        "{}",
        h[1]
    );
    assert!(
        h[2]["description"]
            .as_str()
            .unwrap()
            .starts_with("Rollback to 1"),
        "{}",
        h[2]
    );
    assert_eq!(image(&rel), good, "Deployment prometheus not restored");
    let manifest = |rev: &str| {
        rel.bscope(&["get", "manifest", &rel.name, "--revision", rev])
            .ok()
            .stdout
    };
    assert_eq!(manifest("3"), manifest("1"));
    // The rollback waited for the restored rollout; the crashing pods go away.
    eventually(
        "no crashing prometheus pod left",
        Duration::from_secs(30),
        || {
            let pods = rel.ns.get_json(&["pods", "-l", "app=prometheus"]);
            let crashing = pods["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["spec"]["containers"][0]["image"] == "kwok.test/crashloop:latest");
            (!crashing).then_some(())
        },
    );
    assert_workloads_ready(&rel);
}

/// Acceptance 8 (without `--keep-history`): every object goes except the PVCs, and the history
/// goes too.
#[test]
fn uninstall_removes_everything_but_pvcs_and_history() {
    let rel = TestRelease::new("uninstall");
    rel.install(&[]);
    let inventory = rel.status()["objects"].as_array().unwrap().clone();
    let out = rel.bscope(&["uninstall", &rel.name]).ok();
    assert!(out.stderr.contains("kept"), "{}", out.stderr);
    let mut pvcs = 0;
    for o in &inventory {
        let live = rel.live(o);
        if o["kind"] == "PersistentVolumeClaim" {
            pvcs += 1;
            let live = live.unwrap_or_else(|| panic!("PVC deleted: {o}"));
            assert!(
                live["metadata"]["deletionTimestamp"].is_null(),
                "PVC deleted: {o}"
            );
        } else {
            assert!(
                live.as_ref()
                    .is_none_or(|l| !l["metadata"]["deletionTimestamp"].is_null()),
                "not deleted: {o}"
            );
        }
    }
    assert_eq!(pvcs, 5);
    assert!(rel.record_secrets().is_empty(), "history not deleted");
    let h = rel.bscope(&["history", &rel.name]).fails();
    assert!(h.stderr.contains("not found"), "{}", h.stderr);
    assert!(!rel.ns.exists("lease", &format!("bscope.lock.{}", rel.name)));
    let list = rel.bscope(&["list"]).ok();
    assert!(!list.stdout.contains(&rel.name), "{}", list.stdout);
}

/// Acceptance 8 (`--keep-history`): the objects go (PVCs stay), the records stay, the last one
/// `uninstalled`; a later install continues the numbering.
#[test]
fn uninstall_keep_history_leaves_records_uninstalled() {
    let rel = TestRelease::new("keep-history");
    rel.install(&[]);
    rel.upgrade(&["prometheus.retention=5d"]);
    rel.bscope(&["uninstall", &rel.name, "--keep-history"]).ok();
    assert_eq!(
        rel.revisions(),
        revs(&[(1, "superseded"), (2, "uninstalled")])
    );
    let secrets = rel.record_secrets();
    assert_eq!(secrets.len(), 2);
    let statuses: BTreeSet<&str> = secrets
        .iter()
        .map(|s| labels(s)["bscope.io/status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, BTreeSet::from(["superseded", "uninstalled"]));
    assert!(!rel.ns.exists("deployment", "prometheus"));
    assert!(!rel.ns.exists("configmap", "loki-config"));
    assert!(rel.ns.exists("pvc", "prometheus-pvc"));
    let list = rel.bscope(&["list"]).ok();
    assert!(
        list.stdout
            .lines()
            .any(|l| l.contains(&rel.name) && l.contains("uninstalled")),
        "{}",
        list.stdout
    );
    // Installing again continues the history.
    rel.install(&[]);
    assert_eq!(
        rel.revisions(),
        revs(&[(1, "superseded"), (2, "uninstalled"), (3, "deployed")])
    );
}

/// Acceptance 9: with the API server unreachable (the kubeconfig points at a closed port; the
/// shared cluster is not stopped) every verb exits 1 with a message naming the server, and the
/// history on the real cluster is unchanged afterwards.
#[test]
fn unreachable_api_server_fails_every_verb_and_leaves_history_alone() {
    let rel = TestRelease::new("unreachable");
    rel.install(&[]);
    rel.upgrade(&["prometheus.retention=5d"]);
    let before = rel.history();
    let tmp = tempfile::tempdir().unwrap();
    let dead = common::kubeconfig_with_server(tmp.path(), "https://127.0.0.1:1");
    let chart = rel.chart.display().to_string();
    let values = TestRelease::values_args(&[]);
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let name = rel.name.as_str();
    let with_values = |verb: &'static str| {
        let mut v = vec![verb, name];
        v.extend_from_slice(&values);
        v
    };
    let verbs: Vec<Vec<&str>> = vec![
        with_values("install"),
        with_values("upgrade"),
        vec!["rollback", name, "1"],
        vec!["uninstall", name],
        vec!["history", name],
        vec!["status", name],
        vec!["list", "-A"],
        vec!["get", "values", name],
        vec!["get", "manifest", name],
    ];
    for args in verbs {
        let mut cmd = common::bscope_command();
        cmd.arg("--kubeconfig")
            .arg(&dead)
            .args(["--chart", &chart, "-n", rel.namespace()])
            .args(&args);
        let start = Instant::now();
        let r = common::run(cmd).fails();
        assert!(
            r.stderr
                .contains("cannot reach the Kubernetes API server at https://127.0.0.1:1"),
            "{args:?}: the message must name the server: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("--kubeconfig"),
            "{args:?}: no advice: {}",
            r.stderr
        );
        assert!(
            !r.stderr.contains(" in :"),
            "{args:?}: the message names an empty place: {}",
            r.stderr
        );
        assert!(
            r.stdout.is_empty(),
            "{args:?}: data on stdout: {}",
            r.stdout
        );
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{args:?} took {:?}",
            start.elapsed()
        );
    }
    assert_eq!(rel.history(), before, "the history changed");
    assert_eq!(rel.record_secrets().len(), 2);
    assert_workloads_ready(&rel);
}

/// Ownership is per release *and namespace*: a release of the same name in another namespace
/// must not take over the first one's cluster-scoped objects (its uninstall would delete them).
#[test]
fn same_release_name_in_another_namespace_cannot_take_cluster_scoped_objects() {
    let rel = TestRelease::new("owner-ns");
    rel.install(&[]);
    let other = common::TestNs::create("owner-ns-other");
    let args = rel.deploy_args("install", &[], &[]);
    let mut cmd = common::bscope_command();
    cmd.arg("--kubeconfig")
        .arg(common::kubeconfig())
        .arg("--chart")
        .arg(&rel.chart)
        .args(["-n", &other.name])
        .args(&args);
    let out = common::run(cmd).fails();
    let owner = format!("belongs to release \"{}/{}\"", rel.namespace(), rel.name);
    assert!(
        out.stderr
            .contains(&format!("ClusterRole prometheus-{}: it {owner}", rel.ns.id)),
        "the ClusterRole and its owner must be named: {}",
        out.stderr
    );
    assert!(
        !other.exists("deployment", "prometheus"),
        "install went ahead"
    );
    let role = common::kubectl(&[
        "get",
        "clusterrolebinding",
        &format!("prometheus-{}", rel.ns.id),
        "-o",
        "json",
    ])
    .ok()
    .json();
    assert_eq!(
        role["subjects"][0]["namespace"],
        rel.namespace(),
        "binding taken over"
    );
    assert_eq!(
        role["metadata"]["annotations"]["bscope.io/release"],
        format!("{}/{}", rel.namespace(), rel.name)
    );
}
