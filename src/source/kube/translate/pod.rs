//! Pod → the pod row the console shows.

use super::{clip, containers_facts, created, namespace};
use crate::domain::{Pod, PodPhase};
use crate::source::kube::annotations as ann;
use k8s_openapi::api::core::v1::Pod as KubePod;

pub fn pod(p: &KubePod) -> Option<Pod> {
    let meta = &p.metadata;
    let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
    let spec = p.spec.as_ref();
    let status = p.status.as_ref();
    let containers = spec.map_or(&[][..], |s| &s.containers[..]);
    let facts = containers_facts(containers, meta.labels.as_ref());
    let statuses = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    let phase = match status.and_then(|s| s.phase.as_deref()) {
        Some("Running") => PodPhase::Running,
        Some("Succeeded") => PodPhase::Succeeded,
        Some("Failed") => PodPhase::Failed,
        Some("Pending") => PodPhase::Pending,
        _ => PodPhase::Unknown,
    };
    let ready = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[])
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let restarts = statuses
        .iter()
        .fold(0u32, |n, c| n.saturating_add(c.restart_count.max(0) as u32));
    // The reason kubectl would show: terminating, a waiting container (CrashLoopBackOff,
    // ImagePullBackOff), a terminated one (OOMKilled), or the pod's own (Evicted).
    let waiting = statuses
        .iter()
        .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
    let terminated = statuses
        .iter()
        .filter(|c| !c.ready)
        .find_map(|c| c.state.as_ref()?.terminated.as_ref()?.reason.clone());
    let reason = if meta.deletion_timestamp.is_some() {
        Some("Terminating".to_string())
    } else {
        waiting
            .or(terminated)
            .or_else(|| status.and_then(|s| s.reason.clone()))
    };
    Some(Pod {
        namespace: namespace(meta),
        name: name.to_string(),
        workload: owner_workload(meta),
        node: spec
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty()),
        phase,
        ready,
        restarts,
        reason: reason.map(|r| clip(&r)),
        version: facts.version,
        started: status
            .and_then(|s| s.start_time.as_ref())
            .map_or_else(|| created(meta), |t| t.0),
        cpu_request_m: facts.cpu_request_m,
        mem_request_mib: facts.mem_request_mib,
    })
}

/// The workload a pod belongs to: its ReplicaSet's name without the pod-template hash
/// (`checkout-api-7d9f5c` → `checkout-api`), so no ReplicaSet lookup is needed and the order in
/// which watch events arrive does not matter. Other owners (StatefulSet, Job) by their name.
fn owner_workload(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    let Some(owner) = meta
        .owner_references
        .as_deref()
        .and_then(|o| o.iter().find(|o| o.controller.unwrap_or(true)))
    else {
        return String::new();
    };
    if owner.kind != "ReplicaSet" {
        return owner.name.clone();
    }
    let labels = meta.labels.as_ref();
    let hash = labels
        .and_then(|l| l.get(ann::POD_TEMPLATE_HASH))
        .or_else(|| labels.and_then(|l| l.get(ann::ROLLOUT_POD_TEMPLATE_HASH)));
    match hash {
        Some(h) => owner
            .name
            .strip_suffix(h.as_str())
            .and_then(|n| n.strip_suffix('-'))
            .unwrap_or(&owner.name)
            .to_string(),
        None => owner
            .name
            .rsplit_once('-')
            .map_or(owner.name.clone(), |(n, _)| n.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_json(status: serde_json::Value) -> KubePod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "checkout-api-7d9f5c-x2x", "namespace": "payments",
                "labels": {"pod-template-hash": "7d9f5c"},
                "creationTimestamp": "2026-11-21T14:00:00Z",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "checkout-api-7d9f5c", "uid": "u", "controller": true}]},
            "spec": {"nodeName": "ip-10-0-1-5", "containers": [{"name": "app",
                "image": "ecr/checkout-api:1.4.2",
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}}]},
            "status": status
        }))
        .unwrap()
    }

    #[test]
    fn running_pod() {
        let p = pod(&pod_json(serde_json::json!({
            "phase": "Running", "startTime": "2026-11-21T14:01:00Z",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0,
                "image": "x", "imageID": "y", "state": {"running": {}}}]
        })))
        .unwrap();
        assert_eq!(p.workload, "checkout-api");
        assert_eq!(p.phase, PodPhase::Running);
        assert!(p.ready);
        assert_eq!(p.status_label(), "Running");
        assert_eq!(p.node.as_deref(), Some("ip-10-0-1-5"));
        assert_eq!((p.cpu_request_m, p.mem_request_mib), (250, 256));
        assert_eq!(p.version, "1.4.2");
        assert_eq!(p.started, "2026-11-21T14:01:00Z".parse().unwrap());
    }

    #[test]
    fn crash_looping_pod() {
        let p = pod(&pod_json(serde_json::json!({
            "phase": "Running",
            "containerStatuses": [{"name": "app", "ready": false, "restartCount": 14,
                "image": "x", "imageID": "y",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]
        })))
        .unwrap();
        assert!(p.is_crashlooping());
        assert_eq!(p.restarts, 14);
        assert!(!p.ready);
    }

    #[test]
    fn oom_killed_and_evicted() {
        let p = pod(&pod_json(serde_json::json!({
            "phase": "Running",
            "containerStatuses": [{"name": "app", "ready": false, "restartCount": 1,
                "image": "x", "imageID": "y",
                "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]
        })))
        .unwrap();
        assert_eq!(p.reason.as_deref(), Some("OOMKilled"));
        let p = pod(&pod_json(
            serde_json::json!({"phase": "Failed", "reason": "Evicted"}),
        ))
        .unwrap();
        assert_eq!(p.status_label(), "Evicted");
    }

    #[test]
    fn pending_unscheduled_pod_without_owner() {
        let p: KubePod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "debug"},
            "spec": {"containers": []},
            "status": {"phase": "Pending"}
        }))
        .unwrap();
        let p = pod(&p).unwrap();
        assert_eq!(p.workload, "");
        assert_eq!(p.node, None);
        assert_eq!(p.phase, PodPhase::Pending);
    }

    #[test]
    fn kept_size_does_not_grow_with_parts_never_shown() {
        let small = pod(&pod_json(serde_json::json!({"phase": "Running"}))).unwrap();
        let mut big = pod_json(serde_json::json!({"phase": "Running"}));
        big.metadata.annotations = Some(
            (0..1000)
                .map(|i| (format!("note/{i}"), "x".repeat(1000)))
                .collect(),
        );
        big.metadata.managed_fields = Some(vec![Default::default(); 1000]);
        let kept = pod(&big).unwrap();
        assert_eq!(kept, small, "annotations and managedFields are not kept");
    }

    #[test]
    fn owner_without_hash_label_strips_last_segment() {
        let mut k = pod_json(serde_json::json!({}));
        k.metadata.labels = None;
        assert_eq!(pod(&k).unwrap().workload, "checkout-api");
    }
}
