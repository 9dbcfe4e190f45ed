//! The executor: one `ActionRequest` carried out against one cluster, with read-only enforced
//! before any request, object-level checks on the fresh object, an optional server-side dry run,
//! optimistic concurrency (re-read and retry on 409) and an Event mirroring the action.

use super::prepare::{Prepared, prepare};
use super::requests::{self, Call, WorkloadRef};
use super::send::{api_error, code, send};
use crate::actions::{ActionError, ActionRequest, Outcome};

/// How `perform` runs, decided by the caller (config, policy, clock).
#[derive(Debug, Clone, PartialEq)]
pub struct PerformContext {
    /// Nothing at all is sent (the enforcement point of read-only mode).
    pub read_only: bool,
    /// Send every write with `dryRun=All` first; a failure there stops before any real write.
    pub dry_run_first: bool,
    /// The policy's approvals (an object's `opsdeck.dev/gate-required-approvals` may ask for
    /// more, never for fewer).
    pub required_approvals: u32,
    /// The environment's policy, for the scaling guards (`policy::scale_guard`) re-checked on
    /// the object's latest state.
    pub policy: crate::actions::policy::Policy,
    pub now: jiff::Timestamp,
    /// How many times a 409 Conflict re-reads the object and tries again.
    pub max_conflict_retries: u32,
}

/// Carry out `req`. Requests, in order: GET the workload; reads the action needs (ReplicaSets
/// for a rollback, HPAs for bounds); with `dry_run_first` each write with `dryRun=All`; the
/// writes; on success a POST of the Event (its failure is logged, not returned).
pub async fn perform(
    client: &kube::Client,
    req: &ActionRequest,
    ctx: &PerformContext,
) -> Result<Outcome, ActionError> {
    if ctx.read_only {
        return Err(ActionError::ReadOnly(format!(
            "{} of {} was not sent",
            req.action.name(),
            req.target
        )));
    }
    let w = WorkloadRef {
        kind: req
            .target
            .kind
            .workload()
            .ok_or_else(super::not_a_workload)?,
        namespace: req.target.workload.namespace.clone(),
        name: req.target.workload.name.clone(),
    };
    let mut conflicts = 0;
    loop {
        let obj = send(client, &Call::get(w.path(None)), false)
            .await
            .map_err(api_error)?;
        let p = prepare(client, req, ctx, &w, &obj).await?;
        match execute(client, &p, ctx.dry_run_first).await {
            Ok(()) => {
                let reason = req.action.reason();
                let mut message = format!("{}: {}", req.who, p.outcome.summary);
                if !reason.trim().is_empty() {
                    message.push_str(&format!(" (reason: {reason})"));
                }
                let ev = requests::event(&w, &obj, p.event_reason, &message, ctx.now);
                if let Err(e) = send(client, &ev, false).await {
                    tracing::warn!(target = %req.target, error = %e, "could not record the action as an Event");
                }
                return Ok(p.outcome);
            }
            Err(Stop { done: 0, err }) if code(&err) == 409 => {
                if conflicts >= ctx.max_conflict_retries {
                    return Err(ActionError::Conflict(format!(
                        "{} kept changing; gave up after {} retries",
                        req.target, conflicts
                    )));
                }
                conflicts += 1;
                tracing::debug!(target = %req.target, conflicts, "409 Conflict: re-reading");
            }
            Err(Stop { done: 0, err }) => return Err(api_error(err)),
            Err(Stop { done, err }) => {
                return Err(ActionError::Failed(format!(
                    "{done} of {} requests done, then: {}",
                    p.calls.len(),
                    api_error(err)
                )));
            }
        }
    }
}

/// Where the writes stopped: how many were really done, and the error.
struct Stop {
    done: usize,
    err: kube::Error,
}

async fn execute(client: &kube::Client, p: &Prepared, dry_run_first: bool) -> Result<(), Stop> {
    if dry_run_first {
        for c in &p.calls {
            send(client, c, true)
                .await
                .map_err(|err| Stop { done: 0, err })?;
        }
    }
    for (done, c) in p.calls.iter().enumerate() {
        send(client, c, false)
            .await
            .map_err(|err| Stop { done, err })?;
    }
    Ok(())
}
