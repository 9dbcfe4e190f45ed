//! Labels and annotations the console reads (and, for gates, writes) on cluster objects.

/// Revision of a Deployment and its ReplicaSets, kept by the Deployment controller.
pub const DEPLOYMENT_REVISION: &str = "deployment.kubernetes.io/revision";
/// Revision of an Argo Rollout and its ReplicaSets.
pub const ROLLOUT_REVISION: &str = "rollout.argoproj.io/revision";
/// Pod-template hash the ReplicaSet controller appends to ReplicaSet names.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
pub const ROLLOUT_POD_TEMPLATE_HASH: &str = "rollouts-pod-template-hash";
/// The version a template declares; preferred to the image tag when present.
pub const VERSION_LABEL: &str = "app.kubernetes.io/version";
/// Team owning a workload, first found wins.
pub const TEAM_LABELS: [&str; 3] = ["opsdeck.dev/team", "team", "app.kubernetes.io/part-of"];

/// Gate bookkeeping, recorded on the held Deployment or Rollout so every console sees it.
pub const GATE_REQUESTED_BY: &str = "opsdeck.dev/gate-requested-by";
pub const GATE_REQUESTED_AT: &str = "opsdeck.dev/gate-requested-at";
pub const GATE_REQUIRED: &str = "opsdeck.dev/gate-required-approvals";
/// JSON array of `{"who": .., "at": RFC 3339, "reason": ..}`.
pub const GATE_APPROVALS: &str = "opsdeck.dev/approvals";
/// The approvals of the last gate that opened (same format): kept on the object for the record.
pub const GATE_APPROVALS_PASSED: &str = "opsdeck.dev/approvals-passed";
/// A rejection of the gate: JSON `{"who": .., "at": RFC 3339, "reason": .., "version": ..}`.
pub const GATE_REJECTED: &str = "opsdeck.dev/gate-rejected";
/// What an open gate holds; every one is removed when the gate closes (approved, rejected or
/// rolled back), so the next gate on the object starts clean: its own requester, time and
/// approvals, never the last one's.
pub const GATE_OPEN: [&str; 4] = [
    GATE_REQUESTED_BY,
    GATE_REQUESTED_AT,
    GATE_REQUIRED,
    GATE_APPROVALS,
];
/// The prefix of opsdeck's own annotations.
pub const OPSDECK_PREFIX: &str = "opsdeck.dev/";
/// The release checklist's ticks, shared through the cluster: JSON
/// `{"version": "1.5.0", "items": {"<item>": {"who": .., "at": .., "reason": ..}}}`.
pub const CHECKLIST: &str = "opsdeck.dev/checklist";

/// Node labels naming the node's group, first found wins (EKS managed, eksctl, Karpenter).
pub const NODEGROUP_LABELS: [&str; 3] = [
    "eks.amazonaws.com/nodegroup",
    "alpha.eksctl.io/nodegroup-name",
    "karpenter.sh/nodepool",
];
pub const INSTANCE_TYPE_LABELS: [&str; 2] = [
    "node.kubernetes.io/instance-type",
    "beta.kubernetes.io/instance-type",
];
