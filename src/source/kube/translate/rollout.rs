//! Argo Rollout (`argoproj.io/v1alpha1`, read as a dynamic object) → workload record.

use super::deployment::{
    GateRecord, RolloutFacts, WorkloadRecord, rejection, revision, rollout_state,
};
use super::{clip, count, created, namespace, team, template_facts};
use crate::domain::{RolloutState, WorkloadKey, WorkloadKind};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use kube::api::DynamicObject;
use serde::Deserialize;

/// The fields of a Rollout the console reads; everything else is never deserialised.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Lean {
    spec: Spec,
    status: Status,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Spec {
    replicas: Option<i32>,
    paused: bool,
    template: Option<PodTemplateSpec>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Status {
    replicas: Option<i32>,
    ready_replicas: Option<i32>,
    updated_replicas: Option<i32>,
    available_replicas: Option<i32>,
    pause_conditions: Option<Vec<serde_json::Value>>,
    phase: Option<String>,
    message: Option<String>,
    abort: bool,
}

pub fn rollout(obj: &DynamicObject) -> Option<WorkloadRecord> {
    let meta = &obj.metadata;
    let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
    // A malformed body still shows the Rollout, with neutral values.
    let lean: Lean = serde_json::from_value(obj.data.clone()).unwrap_or_default();
    let facts = template_facts(lean.spec.template.as_ref());
    let desired = count(Some(lean.spec.replicas.unwrap_or(1)));
    let s = &lean.status;
    let paused = lean.spec.paused
        || s.pause_conditions.as_ref().is_some_and(|p| !p.is_empty())
        || s.phase.as_deref() == Some("Paused");
    let stuck = if s.abort {
        Some("Aborted".to_string())
    } else if s.phase.as_deref() == Some("Degraded") {
        Some(clip(s.message.as_deref().unwrap_or("Degraded")))
    } else {
        None
    };
    let updated = count(s.updated_replicas);
    let available = count(s.available_replicas);
    let mut rollout = rollout_state(RolloutFacts {
        paused,
        stuck,
        observed_current: true,
        desired,
        replicas: count(s.replicas),
        updated,
        available,
    });
    // Argo says outright when it is still progressing.
    if rollout == RolloutState::Complete && s.phase.as_deref() == Some("Progressing") {
        rollout = RolloutState::Progressing;
    }
    Some(WorkloadRecord {
        key: WorkloadKey::new(namespace(meta), name),
        kind: WorkloadKind::Rollout,
        team: team(meta),
        desired,
        ready: count(s.ready_replicas),
        updated,
        available,
        image: facts.image,
        version: facts.version,
        paused,
        rollout,
        revision: revision(meta),
        cpu_request_m: facts.cpu_request_m,
        mem_request_mib: facts.mem_request_mib,
        changed_at: created(meta),
        gate: GateRecord::from_meta(meta),
        rejected: rejection(meta).map(Box::new),
        checklist: super::deployment::checklist(meta),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: serde_json::Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn paused_canary() {
        let r = rollout(&obj(serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "checkout-api", "namespace": "payments",
                "annotations": {"rollout.argoproj.io/revision": "5"}},
            "spec": {"replicas": 4, "template": {"spec": {"containers": [
                {"name": "app", "image": "ecr/checkout-api:1.5.0"}]}}},
            "status": {"replicas": 5, "readyReplicas": 5, "updatedReplicas": 1,
                "availableReplicas": 5, "phase": "Paused",
                "pauseConditions": [{"reason": "CanaryPauseStep",
                    "startTime": "2026-11-21T14:00:00Z"}]}
        })))
        .unwrap();
        assert_eq!(r.kind, WorkloadKind::Rollout);
        assert_eq!(r.rollout, RolloutState::Paused);
        assert!(r.paused);
        assert_eq!(r.version, "1.5.0");
        assert_eq!(r.revision, 5);
    }

    #[test]
    fn degraded_and_aborted() {
        let mut v = serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "a"},
            "spec": {"replicas": 2},
            "status": {"phase": "Degraded", "message": "ProgressDeadlineExceeded"}
        });
        assert_eq!(
            rollout(&obj(v.clone())).unwrap().rollout,
            RolloutState::Stuck("ProgressDeadlineExceeded".into())
        );
        v["status"]["abort"] = true.into();
        assert_eq!(
            rollout(&obj(v)).unwrap().rollout,
            RolloutState::Stuck("Aborted".into())
        );
    }

    #[test]
    fn malformed_body_still_shows() {
        let r = rollout(&obj(serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "odd"}, "spec": "not an object"
        })))
        .unwrap();
        assert_eq!(r.desired, 1);
    }
}
