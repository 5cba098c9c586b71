//! Waiting until a release's workloads are ready, failing fast on pods that cannot start.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Cluster;
use crate::error::{Error, Result};
use crate::manifest::ObjectRef;

/// Container waiting reasons that will not resolve by waiting.
const FATAL_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// Kinds we wait for.
pub fn is_waitable(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "PersistentVolumeClaim" | "Job"
    )
}

/// Why an object is not ready yet (`None` = ready). `Err` = it failed for good.
fn readiness(kind: &str, o: &Value) -> std::result::Result<Option<String>, String> {
    let int = |v: Option<&Value>| v.and_then(Value::as_i64).unwrap_or(0);
    let status = o.get("status").cloned().unwrap_or(Value::Null);
    let spec = o.get("spec").cloned().unwrap_or(Value::Null);
    let generation = int(o.get("metadata").and_then(|m| m.get("generation")));
    let observed = int(status.get("observedGeneration"));
    if matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") && observed < generation {
        return Ok(Some("not yet observed by its controller".into()));
    }
    match kind {
        "Deployment" | "StatefulSet" => {
            let want = spec.get("replicas").and_then(Value::as_i64).unwrap_or(1);
            let updated = int(status.get("updatedReplicas"));
            let ready = int(status.get(if kind == "Deployment" {
                "availableReplicas"
            } else {
                "readyReplicas"
            }));
            let total = int(status.get("replicas"));
            if updated < want || ready < want || total > want {
                return Ok(Some(format!("{ready}/{want} ready, {updated} updated")));
            }
            Ok(None)
        }
        "DaemonSet" => {
            let want = int(status.get("desiredNumberScheduled"));
            let updated = int(status.get("updatedNumberScheduled"));
            let ready = int(status.get("numberAvailable"));
            if updated < want || ready < want {
                return Ok(Some(format!("{ready}/{want} ready, {updated} updated")));
            }
            Ok(None)
        }
        "PersistentVolumeClaim" => match status.get("phase").and_then(Value::as_str) {
            Some("Bound") => Ok(None),
            Some("Lost") => Err("claim is Lost".into()),
            p => Ok(Some(format!("phase {}", p.unwrap_or("Pending")))),
        },
        "Job" => {
            let conds = status
                .get("conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let has = |t: &str| {
                conds
                    .iter()
                    .any(|c| c["type"] == t && c["status"] == "True")
            };
            if has("Failed") {
                return Err("job failed".into());
            }
            if has("Complete") {
                Ok(None)
            } else {
                Ok(Some("not complete".into()))
            }
        }
        _ => Ok(None),
    }
}

/// A pod's fatal problem, if any: a container stuck in a back-off or an unschedulable pod.
/// A pod on its way out (deletion requested) is not judged: it is being replaced.
fn pod_failure(pod: &Value) -> Option<String> {
    if !pod["metadata"]["deletionTimestamp"].is_null() {
        return None;
    }
    let name = pod["metadata"]["name"].as_str().unwrap_or("?");
    let statuses = ["containerStatuses", "initContainerStatuses"]
        .iter()
        .filter_map(|k| pod["status"][k].as_array())
        .flatten();
    for c in statuses {
        if let Some(reason) = c["state"]["waiting"]["reason"].as_str()
            && FATAL_REASONS.contains(&reason)
        {
            let msg = c["state"]["waiting"]["message"].as_str().unwrap_or("");
            let cname = c["name"].as_str().unwrap_or("?");
            return Some(format!(
                "pod {name}: container {cname} is in {reason}{}",
                if msg.is_empty() {
                    String::new()
                } else {
                    format!(": {msg}")
                }
            ));
        }
    }
    let conds = pod["status"]["conditions"].as_array()?;
    conds
        .iter()
        .find(|c| {
            c["type"] == "PodScheduled"
                && c["status"] == "False"
                && c["reason"] == "Unschedulable"
                && !waits_for_volume(c["message"].as_str().unwrap_or(""))
        })
        .map(|c| {
            format!(
                "pod {name} is unschedulable: {}",
                c["message"].as_str().unwrap_or("no node fits")
            )
        })
}

/// The scheduler's "pod has unbound immediate PersistentVolumeClaims": transient while the
/// release's own PVCs are being provisioned (they are waited for themselves), so not fatal.
fn waits_for_volume(message: &str) -> bool {
    message.contains("unbound") && message.contains("PersistentVolumeClaims")
}

/// The pods of `workload`'s current revision: only they can make its rollout fail. Pods of the
/// revision being replaced may still crash (that is why an upgrade or `--atomic` rollback
/// replaces them) and must not fail the wait. Until the controller has observed the latest spec,
/// no pod is current.
fn current_pods<'p>(
    kind: &str,
    workload: &Value,
    pods: &'p [Value],
    replica_sets: &[Value],
) -> Vec<&'p Value> {
    let meta = &workload["metadata"];
    let generation = meta["generation"].as_i64().unwrap_or(0);
    if workload["status"]["observedGeneration"]
        .as_i64()
        .unwrap_or(0)
        < generation
    {
        return Vec::new();
    }
    let selector = &workload["spec"]["selector"];
    // (label, value) a current pod carries, when the kind tells.
    let revision_label: Option<(&str, String)> = match kind {
        "Deployment" => {
            let revision = &meta["annotations"]["deployment.kubernetes.io/revision"];
            let current = replica_sets.iter().find(|rs| {
                rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == *revision
                    && rs["metadata"]["ownerReferences"]
                        .as_array()
                        .is_some_and(|o| o.iter().any(|o| o["uid"] == meta["uid"]))
            });
            match current.and_then(|rs| rs["metadata"]["labels"]["pod-template-hash"].as_str()) {
                Some(hash) => Some(("pod-template-hash", hash.to_string())),
                None => return Vec::new(), // its ReplicaSet is not there yet
            }
        }
        "StatefulSet" => workload["status"]["updateRevision"]
            .as_str()
            .map(|r| ("controller-revision-hash", r.to_string())),
        "DaemonSet" => Some(("pod-template-generation", generation.to_string())),
        _ => None,
    };
    pods.iter()
        .filter(|p| selects(selector, p))
        .filter(|p| {
            revision_label
                .as_ref()
                .is_none_or(|(k, v)| p["metadata"]["labels"][*k].as_str() == Some(v.as_str()))
        })
        .collect()
}

fn selects(selector: &Value, pod: &Value) -> bool {
    let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) else {
        return false;
    };
    !labels.is_empty()
        && labels
            .iter()
            .all(|(k, v)| pod["metadata"]["labels"].get(k) == Some(v))
}

/// Wait until every waitable object in `refs` is ready, or fail fast / time out.
pub async fn wait_ready(
    cluster: &Cluster,
    namespace: &str,
    refs: &[ObjectRef],
    timeout: Duration,
) -> Result<()> {
    let targets: Vec<&ObjectRef> = refs.iter().filter(|r| is_waitable(&r.kind)).collect();
    if targets.is_empty() {
        return Ok(());
    }
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last_report = String::new();
    loop {
        let mut pending = Vec::new();
        let mut workloads = Vec::new();
        for r in &targets {
            let Some(obj) = cluster.get(r).await? else {
                pending.push(format!("{r}: not found"));
                continue;
            };
            match readiness(&r.kind, &obj) {
                Ok(None) => {}
                Ok(Some(why)) => {
                    pending.push(format!("{} {} ({why})", r.kind, r.name));
                    if r.kind != "PersistentVolumeClaim" {
                        workloads.push(((*r).clone(), obj));
                    }
                }
                Err(why) => return Err(Error::Cluster(format!("{r}: {why}"))),
            }
        }
        if pending.is_empty() {
            if tty && !last_report.is_empty() {
                eprint!("\r\x1b[2K");
            }
            return Ok(());
        }
        if !workloads.is_empty() {
            let pods = cluster.list("v1", "Pod", namespace, None).await?;
            let replica_sets = if workloads.iter().any(|(r, _)| r.kind == "Deployment") {
                cluster
                    .list("apps/v1", "ReplicaSet", namespace, None)
                    .await?
            } else {
                Vec::new()
            };
            for (r, obj) in &workloads {
                if let Some(why) = current_pods(&r.kind, obj, &pods, &replica_sets)
                    .into_iter()
                    .find_map(pod_failure)
                {
                    if tty {
                        eprint!("\r\x1b[2K");
                    }
                    return Err(Error::Cluster(format!(
                        "{r} will not become ready: {why}\n  = help: fix the image or configuration, then upgrade again (or use --atomic to roll back automatically)"
                    )));
                }
            }
        }
        let report = format!(
            "waiting for {} object(s): {}",
            pending.len(),
            pending.join(", ")
        );
        if start.elapsed() >= timeout {
            if tty {
                eprint!("\r\x1b[2K");
            }
            return Err(Error::Cluster(format!(
                "timed out after {}s waiting for: {}\n  = help: raise --timeout, or check `kubectl -n {namespace} get pods`",
                timeout.as_secs(),
                pending.join(", ")
            )));
        }
        if tty {
            let width = 120;
            let line: String = report.chars().take(width).collect();
            eprint!("\r\x1b[2K{line}");
        } else if report != last_report {
            eprintln!("{report}");
        }
        last_report = report;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_readiness() {
        let d = json!({"metadata": {"generation": 2}, "spec": {"replicas": 1},
                       "status": {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1, "replicas": 1}});
        assert_eq!(readiness("Deployment", &d), Ok(None));
        let rolling = json!({"metadata": {"generation": 2}, "spec": {"replicas": 1},
                       "status": {"observedGeneration": 2, "updatedReplicas": 1, "availableReplicas": 1, "replicas": 2}});
        assert!(matches!(readiness("Deployment", &rolling), Ok(Some(_))));
        assert!(matches!(
            readiness("Deployment", &json!({"metadata": {"generation": 1}})),
            Ok(Some(_))
        ));
    }

    #[test]
    fn pvc_and_job() {
        assert_eq!(
            readiness(
                "PersistentVolumeClaim",
                &json!({"status": {"phase": "Bound"}})
            ),
            Ok(None)
        );
        assert!(
            readiness(
                "Job",
                &json!({"status": {"conditions": [{"type": "Failed", "status": "True"}]}})
            )
            .is_err()
        );
    }

    #[test]
    fn crashloop_pod_is_fatal() {
        let pod = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
            {"name": "c", "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}]}});
        assert_eq!(
            pod_failure(&pod).unwrap(),
            "pod p: container c is in CrashLoopBackOff: back-off"
        );
        let ok = json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"name": "c", "state": {"running": {}}}]}});
        assert!(pod_failure(&ok).is_none());
        let mut leaving = pod.clone();
        leaving["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        assert!(pod_failure(&leaving).is_none());
    }

    #[test]
    fn only_pods_of_the_current_revision_are_judged() {
        let deployment = json!({
            "metadata": {"uid": "d1", "generation": 3,
                         "annotations": {"deployment.kubernetes.io/revision": "2"}},
            "spec": {"selector": {"matchLabels": {"app": "x"}}},
            "status": {"observedGeneration": 3}
        });
        let rs = |rev: &str, hash: &str| {
            json!({"metadata": {"annotations": {"deployment.kubernetes.io/revision": rev},
                   "labels": {"pod-template-hash": hash}, "ownerReferences": [{"uid": "d1"}]}})
        };
        let pod = |name: &str, hash: &str| json!({"metadata": {"name": name, "labels": {"app": "x", "pod-template-hash": hash}}});
        let pods = [
            pod("old", "aaa"),
            pod("new", "bbb"),
            json!({"metadata": {"name": "other", "labels": {"app": "y"}}}),
        ];
        let sets = [rs("1", "aaa"), rs("2", "bbb")];
        let names = |v: Vec<&Value>| -> Vec<String> {
            v.iter()
                .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names(current_pods("Deployment", &deployment, &pods, &sets)),
            ["new"]
        );
        // Not yet observed: the annotation still names the old revision; judge nothing.
        let mut unobserved = deployment.clone();
        unobserved["metadata"]["generation"] = json!(4);
        assert!(current_pods("Deployment", &unobserved, &pods, &sets).is_empty());
        // The new ReplicaSet does not exist yet: judge nothing.
        assert!(current_pods("Deployment", &deployment, &pods, &sets[..1]).is_empty());
        let ds = json!({"metadata": {"generation": 2}, "spec": {"selector": {"matchLabels": {"app": "x"}}},
                        "status": {"observedGeneration": 2}});
        let ds_pods = [
            json!({"metadata": {"name": "a", "labels": {"app": "x", "pod-template-generation": "1"}}}),
            json!({"metadata": {"name": "b", "labels": {"app": "x", "pod-template-generation": "2"}}}),
        ];
        assert_eq!(names(current_pods("DaemonSet", &ds, &ds_pods, &[])), ["b"]);
    }

    #[test]
    fn unschedulable_is_fatal_unless_waiting_for_its_volumes() {
        let pod = |message: &str| {
            json!({"metadata": {"name": "p"}, "status": {"conditions": [{"type": "PodScheduled",
                "status": "False", "reason": "Unschedulable", "message": message}]}})
        };
        assert_eq!(
            pod_failure(&pod("0/1 nodes are available: 1 Insufficient cpu.")).unwrap(),
            "pod p is unschedulable: 0/1 nodes are available: 1 Insufficient cpu."
        );
        assert!(
            pod_failure(&pod(
                "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found"
            ))
            .is_none()
        );
    }
}
