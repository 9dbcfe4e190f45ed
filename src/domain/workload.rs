//! Workloads (Deployments / Argo Rollouts), their revisions, HPA, gate, and their pods.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// A service is identified by namespace and name across every cluster it runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WorkloadKey {
    pub namespace: String,
    pub name: String,
}

impl WorkloadKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> WorkloadKey {
        WorkloadKey {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WorkloadKind {
    Deployment,
    Rollout,
}

/// Where a rollout is, derived from status the way `kubectl rollout status` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum RolloutState {
    Complete,
    Progressing,
    /// `spec.paused` (a gate) or a paused Argo Rollout step.
    Paused,
    /// e.g. ProgressDeadlineExceeded.
    Stuck(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub number: u64,
    pub version: String,
    pub image: String,
    pub created: Timestamp,
}

/// Available pods of one version, from the ReplicaSet (revision) that owns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunningVersion {
    pub version: String,
    /// The owning ReplicaSet's revision (0 when unknown).
    pub revision: u64,
    pub pods: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hpa {
    pub min: u32,
    pub max: u32,
    pub current: u32,
    pub desired: u32,
    pub target_cpu_pct: u32,
    pub current_cpu_pct: Option<u32>,
}

impl Hpa {
    pub fn at_max(&self) -> bool {
        self.current >= self.max && self.max > 0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub who: String,
    pub at: Timestamp,
    pub reason: String,
}

/// Checklist items ticked by people, for one version being released.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ChecklistTicks {
    pub version: String,
    /// By item label.
    pub items: std::collections::BTreeMap<String, Approval>,
}

/// A production rollout held for approval (recorded as annotations on the object).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    pub requested_by: String,
    pub since: Timestamp,
    pub required: u32,
    pub approvals: Vec<Approval>,
    /// The version waiting behind the gate.
    pub version: String,
}

/// A gate that was closed without letting its version out: rejected (or rolled back while
/// held), by whom and why. Kept on the object for the release history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub who: String,
    pub at: Timestamp,
    pub reason: String,
    /// The version the gate held.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub key: WorkloadKey,
    pub kind: WorkloadKind,
    pub team: Option<String>,
    pub desired: u32,
    pub ready: u32,
    pub updated: u32,
    pub available: u32,
    /// The pod template's image and version: what the workload is heading to. What it *runs*
    /// is `running`; see [`Workload::running_version`] and [`Workload::pending_version`].
    pub image: String,
    pub template_version: String,
    /// What runs: available pods per version, from the ReplicaSets that own them, newest
    /// revision first. Empty when nothing is available (or the source cannot see ReplicaSets).
    pub running: Vec<RunningVersion>,
    pub paused: bool,
    pub rollout: RolloutState,
    /// Current revision number (`deployment.kubernetes.io/revision`).
    pub revision: u64,
    /// Known revisions, newest first.
    pub history: Vec<Revision>,
    pub hpa: Option<Hpa>,
    pub gate: Option<Gate>,
    /// The last gate rejected on this workload, if any.
    pub rejected: Option<Rejection>,
    /// Checklist items people ticked for a release of this workload (shared via the cluster).
    pub checklist: Option<ChecklistTicks>,
    pub cpu_request_m: u64,
    pub mem_request_mib: u64,
    /// Last time the spec changed (new revision, scale, pause).
    pub changed_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Progressing,
    Waiting,
    Degraded,
    Failing,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Progressing => "rolling",
            Health::Waiting => "gated",
            Health::Degraded => "degraded",
            Health::Failing => "failing",
        }
    }
}

impl Workload {
    /// A single judgement for lists and matrix cells; worst wins.
    pub fn health(&self) -> Health {
        if matches!(self.rollout, RolloutState::Stuck(_)) || (self.desired > 0 && self.ready == 0) {
            return Health::Failing;
        }
        match self.rollout {
            RolloutState::Paused => Health::Waiting,
            RolloutState::Progressing => Health::Progressing,
            _ if self.ready < self.desired => Health::Degraded,
            _ => Health::Healthy,
        }
    }

    /// The version the workload runs: the one most of its available pods run (on a tie, the
    /// one the template has left behind: a release is not out until most pods run it); the
    /// template's when nothing is available.
    pub fn running_version(&self) -> &str {
        self.running
            .iter()
            .max_by_key(|r| (r.pods, r.version != self.template_version))
            .map_or(&self.template_version, |r| &r.version)
    }

    /// The stable revision that runs while the template points elsewhere: the most available
    /// pods not on the template's version; None when the template's version is all that runs.
    pub fn stable_running(&self) -> Option<&RunningVersion> {
        self.running
            .iter()
            .filter(|r| r.version != self.template_version)
            .max_by_key(|r| (r.pods, std::cmp::Reverse(r.revision)))
    }

    /// The template's version while it is not yet what most pods run: the version a gate
    /// holds or a rollout (or a rollback) is heading to.
    pub fn pending_version(&self) -> Option<&str> {
        (self.running_version() != self.template_version).then_some(self.template_version.as_str())
    }

    /// Every running version with its pod count, newest first: `2.4.0 ×1 · 2.3.1 ×5`; the one
    /// version alone when only one runs (the template's when nothing is available).
    pub fn running_label(&self) -> String {
        match self.running.as_slice() {
            [] => self.template_version.clone(),
            [one] => one.version.clone(),
            many => many
                .iter()
                .map(|r| format!("{} ×{}", r.version, r.pods))
                .collect::<Vec<_>>()
                .join(" · "),
        }
    }

    /// The revision a rollback would go to. While the template points at a version that is
    /// not what runs (a gate, a rollout in progress), the revision the stable pods run; else
    /// the newest one older than the current.
    pub fn rollback_target(&self) -> Option<&Revision> {
        if let Some(stable) = self.stable_running() {
            return self
                .history
                .iter()
                .find(|r| r.number == stable.revision && r.version == stable.version)
                .or_else(|| self.history.iter().find(|r| r.version == stable.version));
        }
        self.history.iter().find(|r| r.number < self.revision)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pod {
    pub namespace: String,
    pub name: String,
    /// Owning workload's name (through its ReplicaSet).
    pub workload: String,
    pub node: Option<String>,
    pub phase: PodPhase,
    pub ready: bool,
    pub restarts: u32,
    /// Waiting/terminated reason, e.g. CrashLoopBackOff, ImagePullBackOff, OOMKilled.
    pub reason: Option<String>,
    pub version: String,
    pub started: Timestamp,
    pub cpu_request_m: u64,
    pub mem_request_mib: u64,
}

impl Pod {
    pub fn status_label(&self) -> &str {
        if let Some(r) = &self.reason {
            return r;
        }
        match self.phase {
            PodPhase::Pending => "Pending",
            PodPhase::Running if self.ready => "Running",
            PodPhase::Running => "NotReady",
            PodPhase::Succeeded => "Completed",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
    pub fn is_crashlooping(&self) -> bool {
        self.reason.as_deref() == Some(CRASH_LOOP_BACK_OFF)
    }
}

/// The kubelet's waiting reason of a container it restarts with back-off: what the demo's
/// crashing pods report and `Pod::is_crashlooping` looks for.
pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;

    fn with_running(template: &str, running: &[(&str, u64, u32)]) -> Workload {
        let mut w = workload("ns", "api", template);
        w.running = running
            .iter()
            .map(|(v, rev, pods)| RunningVersion {
                version: v.to_string(),
                revision: *rev,
                pods: *pods,
            })
            .collect();
        w
    }

    /// What runs is what most pods run; the template is pending until then; a rollback goes
    /// to the pods that are not on the template.
    #[test]
    fn running_pending_and_rollback_target_follow_the_pods() {
        // Held at a gate with 1 of 6 updated.
        let w = with_running("1.0", &[("1.0", 2, 1), ("0.9.0", 1, 5)]);
        assert_eq!(w.running_version(), "0.9.0");
        assert_eq!(w.pending_version(), Some("1.0"));
        assert_eq!(w.running_label(), "1.0 ×1 · 0.9.0 ×5");
        assert_eq!(w.rollback_target().unwrap().number, 1);
        // Mostly out: 1.0 runs, nothing pending, a rollback still goes to 0.9.0.
        let w = with_running("1.0", &[("1.0", 2, 4), ("0.9.0", 1, 2)]);
        assert_eq!((w.running_version(), w.pending_version()), ("1.0", None));
        assert_eq!(w.rollback_target().unwrap().version, "0.9.0");
        // A tie is not out yet.
        let w = with_running("1.0", &[("1.0", 2, 3), ("0.9.0", 1, 3)]);
        assert_eq!(w.running_version(), "0.9.0");
        // Nothing available: the template.
        let w = with_running("1.0", &[]);
        assert_eq!((w.running_version(), w.pending_version()), ("1.0", None));
        assert_eq!(w.running_label(), "1.0");
    }
}
