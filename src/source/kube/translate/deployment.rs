//! Deployment → the workload record the console keeps.

use super::{annotation, clip, count, created, namespace, team, template_facts};
use crate::domain::{
    Approval, ChecklistTicks, Rejection, RolloutState, Timestamp, WorkloadKey, WorkloadKind,
};
use crate::source::kube::annotations as ann;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

/// What the console keeps of a Deployment or an Argo Rollout. The workload shown is built from
/// this plus the ReplicaSets (history) and the HPA.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadRecord {
    pub key: WorkloadKey,
    pub kind: WorkloadKind,
    pub team: Option<String>,
    pub desired: u32,
    pub ready: u32,
    pub updated: u32,
    pub available: u32,
    pub image: String,
    pub version: String,
    pub paused: bool,
    pub rollout: RolloutState,
    pub revision: u64,
    pub cpu_request_m: u64,
    pub mem_request_mib: u64,
    pub changed_at: Timestamp,
    pub gate: GateRecord,
    /// The last gate rejected (`opsdeck.dev/gate-rejected`); boxed, as it is rare.
    pub rejected: Option<Box<Rejection>>,
    pub checklist: Option<ChecklistTicks>,
}

/// Gate bookkeeping found in the object's annotations (all optional).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GateRecord {
    pub requested_by: Option<String>,
    pub requested_at: Option<Timestamp>,
    pub required: Option<u32>,
    pub approvals: Vec<Approval>,
}

impl GateRecord {
    pub fn from_meta(meta: &ObjectMeta) -> GateRecord {
        GateRecord {
            requested_by: annotation(meta, ann::GATE_REQUESTED_BY).map(clip),
            requested_at: annotation(meta, ann::GATE_REQUESTED_AT).and_then(|t| t.parse().ok()),
            required: annotation(meta, ann::GATE_REQUIRED).and_then(|n| n.trim().parse().ok()),
            approvals: annotation(meta, ann::GATE_APPROVALS)
                .map(parse_approvals)
                .unwrap_or_default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == GateRecord::default()
    }
}

/// A mark opsdeck records on an object (an approval, a rejection): who, when, why, and for a
/// rejection the version it held.
#[derive(Deserialize)]
struct RawMark {
    who: String,
    at: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    version: String,
}

impl RawMark {
    /// As an approval; None when its time is unreadable.
    fn approval(&self) -> Option<Approval> {
        Some(Approval {
            who: clip(&self.who),
            at: self.at.parse().ok()?,
            reason: clip(&self.reason),
        })
    }
}

/// Approvals as recorded on the object; malformed entries are skipped, not fatal.
fn parse_approvals(json: &str) -> Vec<Approval> {
    let raw: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    raw.into_iter()
        .filter_map(|v| serde_json::from_value::<RawMark>(v).ok())
        .filter_map(|r| r.approval())
        .collect()
}

/// The rejection recorded on an object (`{"who", "at", "reason", "version"}`); None when
/// absent or unreadable.
pub fn rejection(meta: &ObjectMeta) -> Option<Rejection> {
    let raw: RawMark = serde_json::from_str(annotation(meta, ann::GATE_REJECTED)?).ok()?;
    let a = raw.approval()?;
    Some(Rejection {
        who: a.who,
        at: a.at,
        reason: a.reason,
        version: clip(&raw.version),
    })
}

/// The revision number in an object's annotations (0 when absent or malformed).
pub fn revision(meta: &ObjectMeta) -> u64 {
    annotation(meta, ann::DEPLOYMENT_REVISION)
        .or_else(|| annotation(meta, ann::ROLLOUT_REVISION))
        .and_then(|r| r.trim().parse().ok())
        .unwrap_or(0)
}

pub fn deployment(d: &Deployment) -> Option<WorkloadRecord> {
    let meta = &d.metadata;
    let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
    let spec = d.spec.as_ref();
    let status = d.status.as_ref();
    let facts = template_facts(spec.map(|s| &s.template));
    let desired = spec.map_or(1, |s| count(Some(s.replicas.unwrap_or(1))));
    let paused = spec.and_then(|s| s.paused).unwrap_or(false);
    let conditions = status.and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    let changed_at = conditions
        .iter()
        .filter_map(|c| c.last_update_time.as_ref().map(|t| t.0))
        .chain([created(meta)])
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let stuck = conditions
        .iter()
        .find(|c| c.type_ == "Progressing" && c.status == "False")
        .map(|c| {
            c.reason
                .clone()
                .unwrap_or_else(|| "ProgressDeadlineExceeded".into())
        });
    let observed = status.and_then(|s| s.observed_generation).unwrap_or(0);
    let generation = meta.generation.unwrap_or(0);
    let replicas = count(status.and_then(|s| s.replicas));
    let updated = count(status.and_then(|s| s.updated_replicas));
    let available = count(status.and_then(|s| s.available_replicas));
    let rollout = rollout_state(RolloutFacts {
        paused,
        stuck: stuck.map(|r| clip(&r)),
        observed_current: observed >= generation,
        desired,
        replicas,
        updated,
        available,
    });
    Some(WorkloadRecord {
        key: WorkloadKey::new(namespace(meta), name),
        kind: WorkloadKind::Deployment,
        team: team(meta),
        desired,
        ready: count(status.and_then(|s| s.ready_replicas)),
        updated,
        available,
        image: facts.image,
        version: facts.version,
        paused,
        rollout,
        revision: revision(meta),
        cpu_request_m: facts.cpu_request_m,
        mem_request_mib: facts.mem_request_mib,
        changed_at,
        gate: GateRecord::from_meta(meta),
        rejected: rejection(meta).map(Box::new),
        checklist: checklist(meta),
    })
}

/// Ticks recorded in the checklist annotation: `{"version": .., "items": {label: {who, at,
/// reason}}}`. Malformed entries are skipped.
pub fn checklist(meta: &ObjectMeta) -> Option<ChecklistTicks> {
    let v: serde_json::Value = serde_json::from_str(annotation(meta, ann::CHECKLIST)?).ok()?;
    let version = clip(v.get("version")?.as_str()?);
    let items = v
        .get("items")?
        .as_object()?
        .iter()
        .take(64)
        .filter_map(|(label, tick)| {
            Some((
                clip(label),
                Approval {
                    who: clip(tick.get("who")?.as_str()?),
                    at: tick.get("at")?.as_str()?.parse().ok()?,
                    reason: clip(tick.get("reason").and_then(|r| r.as_str()).unwrap_or("")),
                },
            ))
        })
        .collect();
    Some(ChecklistTicks { version, items })
}

pub(super) struct RolloutFacts {
    pub paused: bool,
    pub stuck: Option<String>,
    pub observed_current: bool,
    pub desired: u32,
    pub replicas: u32,
    pub updated: u32,
    pub available: u32,
}

/// Where a rollout is, judged as `kubectl rollout status` does.
pub(super) fn rollout_state(f: RolloutFacts) -> RolloutState {
    if f.paused {
        RolloutState::Paused
    } else if let Some(reason) = f.stuck {
        RolloutState::Stuck(reason)
    } else if !f.observed_current
        || f.updated < f.desired
        || f.replicas > f.updated
        || f.available < f.updated
    {
        RolloutState::Progressing
    } else {
        RolloutState::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rejection the executor records reads back with its version; an unreadable one is
    /// none, not an error.
    #[test]
    fn a_recorded_rejection_reads_back() {
        let meta = |text: &str| ObjectMeta {
            annotations: Some([(ann::GATE_REJECTED.to_string(), text.to_string())].into()),
            ..ObjectMeta::default()
        };
        let r = rejection(&meta(
            r#"{"who":"sam","at":"2026-11-23T10:00:00Z","reason":"p95 up","version":"2.4.0"}"#,
        ))
        .unwrap();
        assert_eq!(
            (r.who.as_str(), r.reason.as_str(), r.version.as_str()),
            ("sam", "p95 up", "2.4.0")
        );
        assert_eq!(r.at, "2026-11-23T10:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(rejection(&meta(r#"{"who":"sam","at":"yesterday"}"#)), None);
        assert_eq!(rejection(&ObjectMeta::default()), None);
    }

    fn from_json(v: serde_json::Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "metadata": {
                "name": "checkout-api", "namespace": "payments", "generation": 4,
                "creationTimestamp": "2026-11-01T10:00:00Z",
                "labels": {"team": "payments"},
                "annotations": {"deployment.kubernetes.io/revision": "7"},
                "managedFields": [{"manager": "kubectl", "operation": "Update"}]
            },
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "checkout-api"}},
                "template": {
                    "metadata": {"labels": {"app": "checkout-api"}},
                    "spec": {"containers": [
                        {"name": "app", "image": "ecr/checkout-api:1.4.2",
                         "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}}},
                        {"name": "envoy", "image": "envoy:1.30",
                         "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}
                    ]}
                }
            },
            "status": {
                "observedGeneration": 4, "replicas": 3, "readyReplicas": 3,
                "updatedReplicas": 3, "availableReplicas": 3,
                "conditions": [{"type": "Progressing", "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "lastUpdateTime": "2026-11-20T09:00:00Z"}]
            }
        })
    }

    #[test]
    fn complete_deployment() {
        let r = deployment(&from_json(base())).unwrap();
        assert_eq!(r.key, WorkloadKey::new("payments", "checkout-api"));
        assert_eq!(r.team.as_deref(), Some("payments"));
        assert_eq!((r.desired, r.ready, r.updated, r.available), (3, 3, 3, 3));
        assert_eq!(r.version, "1.4.2");
        assert_eq!(r.revision, 7);
        assert_eq!((r.cpu_request_m, r.mem_request_mib), (300, 320));
        assert_eq!(r.rollout, RolloutState::Complete);
        assert_eq!(r.changed_at, "2026-11-20T09:00:00Z".parse().unwrap());
        assert!(r.gate.is_empty());
    }

    #[test]
    fn rollout_in_progress_and_stuck() {
        let mut v = base();
        v["status"]["updatedReplicas"] = 1.into();
        assert_eq!(
            deployment(&from_json(v.clone())).unwrap().rollout,
            RolloutState::Progressing
        );
        v["status"]["conditions"][0] = serde_json::json!({"type": "Progressing",
            "status": "False", "reason": "ProgressDeadlineExceeded"});
        assert_eq!(
            deployment(&from_json(v)).unwrap().rollout,
            RolloutState::Stuck("ProgressDeadlineExceeded".into())
        );
    }

    #[test]
    fn new_generation_not_yet_observed_is_progressing() {
        let mut v = base();
        v["metadata"]["generation"] = 5.into();
        assert_eq!(
            deployment(&from_json(v)).unwrap().rollout,
            RolloutState::Progressing
        );
    }

    #[test]
    fn paused_with_gate_annotations() {
        let mut v = base();
        v["spec"]["paused"] = true.into();
        v["metadata"]["annotations"]["opsdeck.dev/gate-requested-by"] = "deploy-bot".into();
        v["metadata"]["annotations"]["opsdeck.dev/gate-required-approvals"] = "2".into();
        v["metadata"]["annotations"]["opsdeck.dev/approvals"] = serde_json::json!(
            r#"[{"who":"maria.k","at":"2026-11-21T14:18:00Z","reason":"ok"},{"bad":1}]"#
        );
        let r = deployment(&from_json(v)).unwrap();
        assert_eq!(r.rollout, RolloutState::Paused);
        assert_eq!(r.gate.requested_by.as_deref(), Some("deploy-bot"));
        assert_eq!(r.gate.required, Some(2));
        assert_eq!(r.gate.approvals.len(), 1);
        assert_eq!(r.gate.approvals[0].who, "maria.k");
    }

    #[test]
    fn bare_object_gets_defaults() {
        let r = deployment(&from_json(serde_json::json!({"metadata": {"name": "x"}}))).unwrap();
        assert_eq!(r.key, WorkloadKey::new("default", "x"));
        assert_eq!(r.desired, 1);
        assert_eq!(r.version, "latest");
        assert_eq!(r.rollout, RolloutState::Progressing);
        assert!(deployment(&from_json(serde_json::json!({"metadata": {}}))).is_none());
    }

    #[test]
    fn hostile_values_do_not_panic() {
        let mut v = base();
        v["spec"]["replicas"] = (-5).into();
        v["status"]["readyReplicas"] = i32::MAX.into();
        v["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "nope".into();
        v["metadata"]["annotations"]["opsdeck.dev/approvals"] = "{not json".into();
        let r = deployment(&from_json(v)).unwrap();
        assert_eq!(r.desired, 0);
        assert_eq!(r.ready, i32::MAX as u32);
        assert_eq!(r.revision, 0);
        assert!(r.gate.approvals.is_empty());
    }
}
