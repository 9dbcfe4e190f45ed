//! Release actions against a Kubernetes cluster: approve / reject a gate, roll back, scale,
//! HPA bounds, checklist ticks. See docs/kubernetes.md, "Actions: the exact requests".
//!
//! - `requests`, `rollback`: the exact requests, pure and unit-tested.
//! - `prepare`: the fresh object → the calls, with the object-level checks.
//! - `perform`: the executor (read-only, dry run, 409 retries, Event).
//! - `access`: `whoami` (SelfSubjectReview), `can_i` (SelfSubjectAccessReview), `needs`.

mod access;
mod perform;
mod prepare;
pub mod requests;
pub mod rollback;
mod send;

pub use access::{Decision, Need, can_i, check_access, needs, whoami};
pub use perform::{PerformContext, perform};

/// A nodegroup reached a cluster's collector: the executor routes those to EKS, so this is a bug
/// upstream, answered rather than sent.
pub fn not_a_workload() -> crate::actions::ActionError {
    crate::actions::ActionError::Refused(
        "nodegroups are scaled through the EKS API, not the cluster's".into(),
    )
}
