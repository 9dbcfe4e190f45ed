//! An action handed to the task that owns a cluster's connection (a Kubernetes collector, the
//! demo simulator), and the channel its answer comes back on. Here, not in `src/actions`, because
//! it carries a tokio channel: `src/actions` stays plain data (`tests/architecture.rs`).

use crate::actions::{ActionError, ActionRequest, JobMode, Outcome};

/// The answer to one action.
pub type Reply = tokio::sync::oneshot::Sender<Result<Outcome, ActionError>>;

/// An action for the task that owns a cluster's connection (already audited).
#[derive(Debug)]
pub struct ActionJob {
    pub request: ActionRequest,
    /// Production: a server-side dry run goes first.
    pub production: bool,
    pub mode: JobMode,
    pub reply: Reply,
}
