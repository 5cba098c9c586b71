//! The local control plane (issue 4, acceptance 1–4), driven with kube-rs: server-side apply and
//! Deployment availability on the KWOK node, dynamic provisioning through the default
//! StorageClass, server-side dry-run, and the KWOK failure mode that bscope-chart's wait reports.
//!
//! Acceptance 5 (`make cluster-down && make cluster-up` under a minute) restarts the cluster, so
//! it is not a `cargo test`: `hack/cluster/restart-timing.sh` measures it on a side-by-side
//! cluster and prints the time.

mod common;

use std::time::Duration;

use common::TestNs;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const MANAGER: &str = "bscope-cluster-test";
const NODE: &str = "kwok-node-0";

fn deployment(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]}
            }
        }
    })
}

/// Poll an async check every 100 ms until it yields `Some`, or panic after `timeout`.
async fn until<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn condition(obj: &Value, kind: &str) -> Option<String> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .and_then(|c| c["status"].as_str().map(str::to_string))
}

/// Acceptance 1: server-side apply with a field manager; the Deployment becomes Available with
/// its pods Running and Ready on the KWOK node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_deployment_becomes_available_on_kwok_node() {
    let ns = TestNs::create("ssa-deployment");
    let client = common::client().await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    let applied = api
        .patch(
            "web",
            &PatchParams::apply(MANAGER),
            &Patch::Apply(deployment("web", "registry.test/web:1")),
        )
        .await
        .expect("server-side apply");
    let managers: Vec<(String, String)> = applied
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            (
                m.manager.unwrap_or_default(),
                m.operation.unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        managers.contains(&(MANAGER.to_string(), "Apply".to_string())),
        "field manager {MANAGER} with operation Apply missing: {managers:?}"
    );

    let available = until("Deployment web Available", Duration::from_secs(45), || {
        let api = api.clone();
        async move {
            let d = serde_json::to_value(api.get("web").await.ok()?).ok()?;
            (condition(&d, "Available").as_deref() == Some("True")
                && d["status"]["availableReplicas"] == 2)
                .then_some(d)
        }
    })
    .await;
    assert_eq!(available["status"]["readyReplicas"], 2);

    let pods: Api<Pod> = Api::namespaced(client, &ns.name);
    let list = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list pods");
    let running: Vec<&Pod> = list
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect();
    assert_eq!(running.len(), 2, "two pods expected");
    for p in running {
        let v = serde_json::to_value(p).unwrap();
        assert_eq!(v["spec"]["nodeName"], NODE, "pod not on the KWOK node: {v}");
        assert_eq!(v["status"]["phase"], "Running");
        assert_eq!(condition(&v, "Ready").as_deref(), Some("True"));
    }

    // A second apply by the same manager changing one field is accepted and takes effect.
    let mut changed = deployment("web", "registry.test/web:1");
    changed["spec"]["replicas"] = json!(1);
    let d = api
        .patch("web", &PatchParams::apply(MANAGER), &Patch::Apply(changed))
        .await
        .expect("second apply");
    assert_eq!(d.spec.and_then(|s| s.replicas), Some(1));
}

/// Acceptance 2: a PVC without a class gets the default `standard` class, becomes Bound, and a
/// pod using it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pvc_with_default_class_binds_and_pod_using_it_runs() {
    let ns = TestNs::create("pvc-default-class");
    let client = common::client().await;
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns.name);
    let pvc: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }))
    .unwrap();
    let created = pvcs
        .create(&PostParams::default(), &pvc)
        .await
        .expect("create PVC");
    assert_eq!(
        created.spec.and_then(|s| s.storage_class_name).as_deref(),
        Some("standard"),
        "the default StorageClass was not applied"
    );
    let bound = until("PVC data Bound", Duration::from_secs(45), || {
        let pvcs = pvcs.clone();
        async move {
            let p = pvcs.get("data").await.ok()?;
            (p.status.as_ref()?.phase.as_deref() == Some("Bound")).then_some(p)
        }
    })
    .await;
    let volume = bound
        .spec
        .and_then(|s| s.volume_name)
        .expect("bound volume");
    assert!(!volume.is_empty());

    let pods: Api<Pod> = Api::namespaced(client, &ns.name);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {"name": "uses-data"},
        "spec": {
            "containers": [{"name": "main", "image": "registry.test/app:1",
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
        }
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create pod");
    let running = until("pod uses-data Running", Duration::from_secs(45), || {
        let pods = pods.clone();
        async move {
            let p = serde_json::to_value(pods.get("uses-data").await.ok()?).ok()?;
            (p["status"]["phase"] == "Running").then_some(p)
        }
    })
    .await;
    assert_eq!(running["spec"]["nodeName"], NODE);
    assert_eq!(condition(&running, "Ready").as_deref(), Some("True"));
}

/// Acceptance 3: a server-side dry-run apply returns the object with the server's defaults and
/// persists nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_dry_run_returns_defaulted_object_without_persisting() {
    let ns = TestNs::create("ssa-dry-run");
    let client = common::client().await;
    let api: Api<Deployment> = Api::namespaced(client, &ns.name);
    let out = api
        .patch(
            "dry",
            &PatchParams::apply(MANAGER).dry_run(),
            &Patch::Apply(deployment("dry", "registry.test/dry:1")),
        )
        .await
        .expect("dry-run apply");
    let v = serde_json::to_value(&out).unwrap();
    // Fields we did not send, filled in by the API server's defaulting.
    assert_eq!(v["spec"]["strategy"]["type"], "RollingUpdate", "{v}");
    assert_eq!(v["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(v["spec"]["progressDeadlineSeconds"], 600);
    let c = &v["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(v["spec"]["template"]["spec"]["restartPolicy"], "Always");
    assert_eq!(v["metadata"]["namespace"], ns.name.as_str());

    assert!(
        api.get_opt("dry").await.expect("get").is_none(),
        "dry-run apply persisted the Deployment"
    );
    let all = api.list(&ListParams::default()).await.expect("list");
    assert!(all.items.is_empty(), "namespace should hold no Deployment");
}

/// Acceptance 4: pods of the KWOK failure images reach CrashLoopBackOff / ImagePullBackOff, and
/// bscope-chart's wait fails fast naming the pod and the reason (well before its timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_pods_fail_and_bscope_wait_reports_the_reason() {
    use bscope_chart::cluster::{Cluster, ConnectOptions, wait};
    use bscope_chart::manifest::ObjectRef;

    let ns = TestNs::create("crashloop");
    let client = common::client().await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    for (name, image) in [
        ("crasher", "kwok.test/crashloop:latest"),
        ("puller", "kwok.test/imagepullbackoff:latest"),
    ] {
        api.patch(
            name,
            &PatchParams::apply(MANAGER),
            &Patch::Apply(deployment(name, image)),
        )
        .await
        .expect("apply");
    }
    let pods: Api<Pod> = Api::namespaced(client, &ns.name);
    for (app, reason) in [
        ("crasher", "CrashLoopBackOff"),
        ("puller", "ImagePullBackOff"),
    ] {
        until(
            &format!("a pod of {app} in {reason}"),
            Duration::from_secs(45),
            || {
                let pods = pods.clone();
                async move {
                    let list = pods
                        .list(&ListParams::default().labels(&format!("app={app}")))
                        .await
                        .ok()?;
                    list.items.into_iter().find(|p| {
                        let v = serde_json::to_value(p).unwrap();
                        v["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == reason
                            && condition(&v, "Ready").as_deref() == Some("False")
                    })
                }
            },
        )
        .await;
    }

    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(common::kubeconfig()),
        context: None,
    })
    .await
    .expect("connect");
    for (name, reason) in [
        ("crasher", "CrashLoopBackOff"),
        ("puller", "ImagePullBackOff"),
    ] {
        let id = ObjectRef {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: Some(ns.name.clone()),
            name: name.into(),
        };
        let start = std::time::Instant::now();
        let err = wait::wait_ready(&cluster, &ns.name, &[id], Duration::from_secs(40))
            .await
            .expect_err("wait must fail on a crashing Deployment");
        let msg = err.to_string();
        assert!(
            msg.contains(reason) && msg.contains(&format!("pod {name}-")),
            "wait should name the pod and {reason}: {msg}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "wait should fail fast, took {:?}",
            start.elapsed()
        );
    }
}

/// The wait judges only the pods of the rollout it waits for: a RollingUpdate from a crashing
/// image to a good one succeeds although the crashing pod lingers until its replacement is
/// available (the situation of every `--atomic` rollback).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_ignores_crashing_pods_of_the_replaced_revision() {
    use bscope_chart::cluster::{Cluster, ConnectOptions, wait};
    use bscope_chart::manifest::ObjectRef;

    let ns = TestNs::create("wait-rollout");
    let client = common::client().await;
    let api: Api<Deployment> = Api::namespaced(client.clone(), &ns.name);
    let mut d = deployment("roll", "kwok.test/crashloop:latest");
    d["spec"]["replicas"] = json!(1);
    d["spec"]["strategy"] = json!({"type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}});
    api.patch("roll", &PatchParams::apply(MANAGER), &Patch::Apply(&d))
        .await
        .expect("apply crashing");
    let pods: Api<Pod> = Api::namespaced(client, &ns.name);
    until("the crashing pod", Duration::from_secs(45), || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels("app=roll"))
                .await
                .ok()?;
            list.items.into_iter().find(|p| {
                serde_json::to_value(p).unwrap()["status"]["containerStatuses"][0]["state"]
                    ["waiting"]["reason"]
                    == "CrashLoopBackOff"
            })
        }
    })
    .await;

    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("registry.test/roll:2");
    api.patch("roll", &PatchParams::apply(MANAGER), &Patch::Apply(&d))
        .await
        .expect("apply fixed");
    let cluster = Cluster::connect(&ConnectOptions {
        kubeconfig: Some(common::kubeconfig()),
        context: None,
    })
    .await
    .expect("connect");
    let id = ObjectRef {
        group: "apps".into(),
        version: "v1".into(),
        kind: "Deployment".into(),
        namespace: Some(ns.name.clone()),
        name: "roll".into(),
    };
    wait::wait_ready(&cluster, &ns.name, &[id], Duration::from_secs(40))
        .await
        .expect("the rollout to the good image is ready despite the old crashing pod");
    let dep = serde_json::to_value(api.get("roll").await.unwrap()).unwrap();
    assert_eq!(dep["status"]["updatedReplicas"], 1);
    assert_eq!(dep["status"]["availableReplicas"], 1);
}
