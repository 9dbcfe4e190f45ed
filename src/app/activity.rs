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

/// One line of the Activity view: an action of this console (from the dialog or the audit log),
/// or one any console recorded on a cluster as an Event (another engineer's, say).
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRow {
    pub at: crate::domain::Timestamp,
    /// `approve`, `scale`, … as `actions::Action::name` says it.
    pub action: String,
    pub cluster: crate::domain::ClusterId,
    pub service: crate::domain::WorkloadKey,
    pub who: String,
    pub reason: String,
    pub origin: ActivityOrigin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActivityOrigin {
    /// Ours, with its status.
    Ours(ActivityStatus),
    /// Recorded on the cluster (an Event from `reportingComponent=opsdeck`): it was done; the
    /// text is the Event's, without the person.
    Cluster(String),
}

/// Our own action shows once: its Event is matched to our entry by cluster, service, action
/// and a time within this many seconds.
const SAME_ACTION_SECS: i64 = 120;

/// Every action the Activity view lists, newest first.
pub fn activity_rows(state: &State) -> Vec<ActivityRow> {
    // Newest first; the sort below is stable, so actions of the same second keep that order.
    let mut rows: Vec<ActivityRow> = state
        .activity
        .iter()
        .rev()
        .map(|e| ActivityRow {
            at: e.at,
            action: e.request.action.name().to_string(),
            cluster: e.request.target.cluster.clone(),
            service: e.request.target.workload.clone(),
            who: e.request.who.clone(),
            reason: e.request.action.reason().to_string(),
            origin: ActivityOrigin::Ours(e.status.clone()),
        })
        .collect();
    for c in state.fleet.clusters().values() {
        for ev in &c.events {
            let Some(action) = ops::EventReason::parse(&ev.reason).map(|r| r.action_name()) else {
                continue;
            };
            let name = ev.object.split_once('/').map_or("", |(_, n)| n);
            let service = crate::domain::WorkloadKey::new(ev.namespace.clone(), name);
            let ours = state.activity.iter().any(|e| {
                e.request.target.cluster == c.info.id
                    && e.request.target.workload == service
                    && e.request.action.name() == action
                    && (e.at - ev.at).get_seconds().abs() <= SAME_ACTION_SECS
            });
            if ours {
                continue;
            }
            let (who, text) = split_event_message(&ev.message);
            let (text, reason) = match text.rsplit_once(" (reason: ") {
                Some((t, r)) => (t.to_string(), r.trim_end_matches(')').to_string()),
                None => (text.to_string(), String::new()),
            };
            rows.push(ActivityRow {
                at: ev.at,
                action: action.to_string(),
                cluster: c.info.id.clone(),
                service,
                who: who.to_string(),
                reason,
                origin: ActivityOrigin::Cluster(text),
            });
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.at));
    rows
}

/// `"sam@acme: approved 2/2: rollout resumed"` → ("sam@acme", "approved 2/2: rollout resumed").
fn split_event_message(message: &str) -> (&str, &str) {
    match message.split_once(": ") {
        Some((who, rest)) if !who.contains(' ') => (who, rest),
        _ => ("", message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClusterEvent, EventKind};

    #[test]
    fn event_messages_name_the_person_and_the_reason() {
        assert_eq!(
            split_event_message("sam@acme: approved 2/2: rollout resumed"),
            ("sam@acme", "approved 2/2: rollout resumed")
        );
        assert_eq!(
            split_event_message("no person here"),
            ("", "no person here")
        );
    }

    #[test]
    fn other_consoles_actions_are_listed_and_ours_once() {
        let mut s = crate::app::State::new(
            crate::keymap::Keymap::default(),
            crate::app::Settings {
                read_only: false,
                stale_after_secs: 30,
                demo: true,
                user: "me".into(),
                policies: Default::default(),
            },
            "2026-11-21T14:30:00Z".parse().unwrap(),
        );
        s.fleet = crate::source::demo::DemoWorld::generate(1, s.now).to_fleet_state();
        for c in s.fleet.clusters_mut().values_mut() {
            c.events.clear();
        }
        let id = s.fleet.clusters().keys().next().unwrap().clone();
        let event = |reason: &str, name: &str, message: &str, secs: i64| ClusterEvent {
            at: s.now - jiff::SignedDuration::from_secs(secs),
            kind: EventKind::Normal,
            namespace: "payments".into(),
            object: format!("Deployment/{name}"),
            reason: reason.into(),
            message: message.into(),
        };
        let theirs = event(
            "OpsdeckScale",
            "checkout-api",
            "sam@acme: scaled 3 → 5 replicas (reason: peak)",
            600,
        );
        let mine = event(
            "OpsdeckApprove",
            "cart",
            "me@acme: approved 1/2: waiting",
            5,
        );
        let noise = event("Scheduled", "cart", "x: y", 1);
        let c = s.fleet.clusters_mut().get_mut(&id).unwrap();
        c.events = vec![theirs, mine, noise];
        let now = s.now;
        push(
            &mut s,
            ActivityEntry {
                at: now,
                request: crate::actions::ActionRequest {
                    target: crate::actions::Target::workload(
                        id.clone(),
                        crate::domain::WorkloadKey::new("payments", "cart"),
                        crate::domain::WorkloadKind::Deployment,
                    ),
                    action: crate::actions::Action::Approve {
                        reason: String::new(),
                    },
                    who: "me".into(),
                    local_user: String::new(),
                },
                status: ActivityStatus::Pending,
            },
        );
        let rows = activity_rows(&s);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(matches!(rows[0].origin, ActivityOrigin::Ours(_)));
        assert_eq!(rows[1].who, "sam@acme");
        assert_eq!(rows[1].action, "scale");
        assert_eq!(rows[1].reason, "peak");
        assert_eq!(rows[1].service.name, "checkout-api");
        assert_eq!(
            rows[1].origin,
            ActivityOrigin::Cluster("scaled 3 → 5 replicas".into())
        );
    }
}
