//! Our actions as the Activity view lists them: pending ones from the dialog, results as they
//! come back, and earlier ones (incomplete included) from the audit log.

use super::state::{ActivityEntry, ActivityStatus, State};
use crate::actions::{self as ops, ActionError, ActionRequest, Outcome};

/// Activity entries kept in memory.
const ACTIVITY_LEN: usize = 500;

pub fn push(state: &mut State, entry: ActivityEntry) {
    state.activity.push(entry);
    if state.activity.len() > ACTIVITY_LEN {
        state.activity.remove(0);
    }
}

/// A result came back: the pending entry gets it, and the footer says it.
pub fn done(state: &mut State, request: ActionRequest, result: Result<Outcome, ActionError>) {
    let text = match &result {
        Ok(o) => format!(
            "{} {}: {}",
            request.action.name(),
            request.target.workload.name,
            o.summary
        ),
        Err(e) => format!(
            "{} {} not done: {e}",
            request.action.name(),
            request.target.workload.name
        ),
    };
    state.ui.notice = Some((text, state.now));
    // Our own actions belong on the timeline too.
    let result_text = match &result {
        Ok(o) => o.summary.clone(),
        Err(e) => e.to_string(),
    };
    state.fleet.record_changes(vec![crate::domain::Change {
        at: state.now,
        env: None,
        region: None,
        cluster: Some(request.target.cluster.clone()),
        namespace: Some(request.target.workload.namespace.clone()),
        service: Some(request.target.workload.name.clone()),
        kind: crate::domain::ChangeKind::Action {
            who: request.who.clone(),
            action: request.action.name().to_string(),
            result: result_text,
        },
    }]);
    let status = match result {
        Ok(o) => ActivityStatus::Done(o),
        Err(e) => ActivityStatus::Failed(e),
    };
    match state
        .activity
        .iter_mut()
        .rev()
        .find(|e| e.request == request && e.status == ActivityStatus::Pending)
    {
        Some(e) => e.status = status,
        None => push(
            state,
            ActivityEntry {
                at: state.now,
                request,
                status,
            },
        ),
    }
}

/// Earlier actions from the audit log, before this session's.
pub fn loaded(state: &mut State, records: Vec<ops::audit::Record>) {
    let mut earlier: Vec<ActivityEntry> = records
        .into_iter()
        .map(|r| ActivityEntry {
            at: r.started,
            status: match r.finished {
                None => ActivityStatus::Incomplete,
                Some((_, ops::audit::Phase::Failed, _, text)) => {
                    ActivityStatus::Failed(ActionError::Failed(text))
                }
                Some((_, _, after, summary)) => ActivityStatus::Done(Outcome {
                    summary,
                    before: r.before.clone(),
                    after,
                }),
            },
            request: r.request,
        })
        .collect();
    earlier.append(&mut state.activity);
    let skip = earlier.len().saturating_sub(ACTIVITY_LEN);
    state.activity = earlier.split_off(skip);
}
