//! Release actions as typed data: what a person asked for, the policy that governs it, and the
//! audit trail. Sources carry them out (`source::kube::actions`, the demo's `ops`); nothing here
//! does I/O except the audit log, which must reach the disk before any request is sent.

pub mod audit;
pub mod policy;
pub mod preview;
pub mod scope;

use crate::domain::{ClusterId, WorkloadKey, WorkloadKind};
use serde::{Deserialize, Serialize};

/// One workload (or EKS nodegroup) in one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Target {
    pub cluster: ClusterId,
    /// For a nodegroup: `nodegroup/<name>`.
    pub workload: WorkloadKey,
    pub kind: TargetKind,
}

/// What an action addresses: a workload, which the cluster's API changes, or an EKS managed
/// nodegroup, which the EKS API changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TargetKind {
    Deployment,
    Rollout,
    Nodegroup,
}

impl TargetKind {
    /// The workload kind, or None for a nodegroup.
    pub fn workload(self) -> Option<WorkloadKind> {
        match self {
            TargetKind::Deployment => Some(WorkloadKind::Deployment),
            TargetKind::Rollout => Some(WorkloadKind::Rollout),
            TargetKind::Nodegroup => None,
        }
    }
}

impl From<WorkloadKind> for TargetKind {
    fn from(k: WorkloadKind) -> TargetKind {
        match k {
            WorkloadKind::Deployment => TargetKind::Deployment,
            WorkloadKind::Rollout => TargetKind::Rollout,
        }
    }
}

impl Target {
    /// A workload target.
    pub fn workload(cluster: ClusterId, workload: WorkloadKey, kind: WorkloadKind) -> Target {
        Target {
            cluster,
            workload,
            kind: kind.into(),
        }
    }

    /// An EKS managed nodegroup of a cluster.
    pub fn nodegroup(cluster: ClusterId, name: &str) -> Target {
        Target {
            cluster,
            workload: WorkloadKey::new("nodegroup", name),
            kind: TargetKind::Nodegroup,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}", self.workload, self.cluster)
    }
}

/// What is asked. Every variant carries the person's reason (may be empty where the policy
/// allows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Record an approval on a gate; resume (or promote) once the policy is met.
    Approve { reason: String },
    /// Refuse a gate: a Deployment goes back to what its available pods run and resumes; an
    /// Argo Rollout is aborted.
    Reject { reason: String },
    /// `kubectl rollout undo [--to-revision=N]` (Deployment); abort + undo for a Rollout.
    Rollback {
        to_revision: Option<u64>,
        reason: String,
        /// Part of a rollback of this version across production (`scope::prod_rollback`):
        /// the executor leaves a cluster alone whose template is no longer this version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_version: Option<String>,
    },
    /// Replicas through the scale subresource.
    Scale {
        replicas: u32,
        reason: String,
        /// Limits of the environment the person knowingly goes past (`policy::scale_guard`).
        #[serde(default, skip_serializing_if = "policy::Overrides::is_none")]
        allow: policy::Overrides,
    },
    /// HPA bounds.
    ScaleHpa {
        min: u32,
        max: u32,
        reason: String,
        #[serde(default, skip_serializing_if = "policy::Overrides::is_none")]
        allow: policy::Overrides,
    },
    /// An EKS managed nodegroup's scaling config (UpdateNodegroupConfig).
    ScaleNodegroup {
        min: u32,
        desired: u32,
        max: u32,
        reason: String,
        #[serde(default, skip_serializing_if = "policy::Overrides::is_none")]
        allow: policy::Overrides,
    },
    /// A person ticks a checklist item of the release (service, version, environment).
    TickChecklist {
        item: String,
        version: String,
        reason: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Approve { .. } => "approve",
            Action::Reject { .. } => "reject",
            Action::Rollback { .. } => "rollback",
            Action::Scale { .. } => "scale",
            Action::ScaleHpa { .. } => "scale-hpa",
            Action::ScaleNodegroup { .. } => "scale-nodegroup",
            Action::TickChecklist { .. } => "checklist",
        }
    }

    pub fn reason(&self) -> &str {
        let (Action::Approve { reason }
        | Action::Reject { reason }
        | Action::Rollback { reason, .. }
        | Action::Scale { reason, .. }
        | Action::ScaleHpa { reason, .. }
        | Action::ScaleNodegroup { reason, .. }
        | Action::TickChecklist { reason, .. }) = self;
        reason
    }

    /// The same action with another reason.
    pub fn with_reason(mut self, text: impl Into<String>) -> Action {
        let (Action::Approve { reason }
        | Action::Reject { reason }
        | Action::Rollback { reason, .. }
        | Action::Scale { reason, .. }
        | Action::ScaleHpa { reason, .. }
        | Action::ScaleNodegroup { reason, .. }
        | Action::TickChecklist { reason, .. }) = &mut self;
        *reason = text.into();
        self
    }

    /// The same action with these acknowledgements (scaling actions only; others unchanged).
    pub fn with_overrides(mut self, o: policy::Overrides) -> Action {
        if let Action::Scale { allow, .. }
        | Action::ScaleHpa { allow, .. }
        | Action::ScaleNodegroup { allow, .. } = &mut self
        {
            *allow = o;
        }
        self
    }

    /// The acknowledgements a scaling action carries (none for other actions).
    pub fn overrides(&self) -> policy::Overrides {
        match self {
            Action::Scale { allow, .. }
            | Action::ScaleHpa { allow, .. }
            | Action::ScaleNodegroup { allow, .. } => *allow,
            _ => policy::Overrides::default(),
        }
    }

    /// Whether it changes what runs (as opposed to recording a judgement).
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Action::Rollback { .. }
                | Action::Scale { .. }
                | Action::ScaleHpa { .. }
                | Action::ScaleNodegroup { .. }
        )
    }
}

/// The reason of the Kubernetes Event a console records for each action on a cluster
/// (`source::kube::actions`, the demo): how the Activity view recognises other consoles'
/// actions. Nodegroups are EKS's, not the cluster's: they have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventReason {
    Approve,
    Reject,
    Rollback,
    Scale,
    ScaleHpa,
    Checklist,
}

impl EventReason {
    pub const ALL: [EventReason; 6] = [
        EventReason::Approve,
        EventReason::Reject,
        EventReason::Rollback,
        EventReason::Scale,
        EventReason::ScaleHpa,
        EventReason::Checklist,
    ];

    /// The Event's `reason`, e.g. `OpsdeckApprove`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventReason::Approve => "OpsdeckApprove",
            EventReason::Reject => "OpsdeckReject",
            EventReason::Rollback => "OpsdeckRollback",
            EventReason::ScaleHpa => "OpsdeckScaleHpa",
            EventReason::Scale => "OpsdeckScale",
            EventReason::Checklist => "OpsdeckChecklist",
        }
    }

    /// The Event's `action`: the reason without `Opsdeck`, e.g. `Approve`.
    pub fn verb(self) -> &'static str {
        &self.as_str()["Opsdeck".len()..]
    }

    /// The reason an Event carries, if a console recorded it.
    pub fn parse(reason: &str) -> Option<EventReason> {
        EventReason::ALL.into_iter().find(|r| r.as_str() == reason)
    }

    /// The reason recorded for `action` (None: a nodegroup, which records no Event).
    pub fn of(action: &Action) -> Option<EventReason> {
        Some(match action {
            Action::Approve { .. } => EventReason::Approve,
            Action::Reject { .. } => EventReason::Reject,
            Action::Rollback { .. } => EventReason::Rollback,
            Action::Scale { .. } => EventReason::Scale,
            Action::ScaleHpa { .. } => EventReason::ScaleHpa,
            Action::TickChecklist { .. } => EventReason::Checklist,
            Action::ScaleNodegroup { .. } => return None,
        })
    }

    /// The name of the action it records (`Action::name`), e.g. `scale-hpa`.
    pub fn action_name(self) -> &'static str {
        match self {
            EventReason::Approve => "approve",
            EventReason::Reject => "reject",
            EventReason::Rollback => "rollback",
            EventReason::ScaleHpa => "scale-hpa",
            EventReason::Scale => "scale",
            EventReason::Checklist => "checklist",
        }
    }
}

/// An action on one target, by one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    pub target: Target,
    pub action: Action,
    /// Who acted: the identity the cluster verified (SelfSubjectReview; STS for EKS reached
    /// natively), set by the executor before the audit entry is written, or `UNVERIFIED` for an
    /// action whose policy does not count people (scaling, rollback) when it could not be
    /// established. Before that, the console's placeholder (the local user).
    pub who: String,
    /// The OS user at the keyboard (`$USER`): recorded as "local user" only, never trusted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local_user: String,
}

/// `ActionRequest::who` when the cluster could not say who we are and the action does not
/// need it (`policy::needs_verified_identity`).
pub const UNVERIFIED: &str = "unverified";

/// What a job asks of the task that owns a cluster's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobMode {
    /// Carry the action out (already audited).
    Perform,
    /// Only ask the cluster whether we may (RBAC), before the action is offered; send nothing.
    CheckAccess,
    /// Only establish who we are to this cluster (the summary of the outcome is the identity);
    /// asked again on every action until it succeeds.
    Identify,
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// One line for the person, e.g. "approved (2/2): rollout resumed".
    pub summary: String,
    /// The relevant state before and after, e.g. "1.4.2 (rev 7)" → "1.4.1 (rev 8)".
    pub before: String,
    pub after: String,
}

/// Why an action did not happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ActionError {
    /// Read-only (global or per environment): nothing was sent.
    #[error("read-only: {0}")]
    ReadOnly(String),
    /// The policy or the object's state forbids it (self-approval, paused deployment, ...).
    #[error("refused: {0}")]
    Refused(String),
    /// RBAC said no.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Someone else kept changing the object (409 after retries).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The request failed (network, server error).
    #[error("failed: {0}")]
    Failed(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reason_reads_back_and_names_its_action() {
        let allow = policy::Overrides::default;
        let reason = String::new;
        let actions = [
            Action::Approve { reason: reason() },
            Action::Reject { reason: reason() },
            Action::Rollback {
                to_revision: None,
                reason: reason(),
                from_version: None,
            },
            Action::Scale {
                replicas: 1,
                reason: reason(),
                allow: allow(),
            },
            Action::ScaleHpa {
                min: 1,
                max: 2,
                reason: reason(),
                allow: allow(),
            },
            Action::TickChecklist {
                item: "x".into(),
                version: "1".into(),
                reason: reason(),
            },
        ];
        let mut seen = Vec::new();
        for a in &actions {
            let r = EventReason::of(a).unwrap_or_else(|| panic!("{} records no Event", a.name()));
            assert_eq!(r.action_name(), a.name());
            assert_eq!(EventReason::parse(r.as_str()), Some(r));
            assert_eq!(format!("Opsdeck{}", r.verb()), r.as_str());
            seen.push(r);
        }
        assert_eq!(
            seen,
            EventReason::ALL,
            "one action per reason, in ALL's order"
        );
        let nodegroup = Action::ScaleNodegroup {
            min: 1,
            desired: 1,
            max: 1,
            reason: reason(),
            allow: allow(),
        };
        assert_eq!(EventReason::of(&nodegroup), None);
        assert_eq!(EventReason::parse("ScalingReplicaSet"), None);
    }
}
