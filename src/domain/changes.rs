//! What changed in the fleet: deploys, scaling, gates, pauses, alarm transitions and (later) our
//! own audited actions. Changes are derived by comparing the old and the new domain objects when
//! a source update is applied (`FleetState::apply`), so every source — demo, Kubernetes, AWS —
//! feeds the same timeline without knowing about it.

use super::{Alarm, AlarmState, ClusterId, ClusterState, Timestamp, Workload};
use serde::Serialize;
use std::collections::{BTreeSet, VecDeque};

/// How many changes the log keeps; older ones are dropped first.
pub const CHANGE_LOG_CAPACITY: usize = 5000;

/// An HPA's scaling steps of one workload within this long are kept as one change (an HPA
/// re-evaluates every 15 s; one line per step would bury the deploys).
pub const HPA_MERGE_SECS: i64 = 600;
/// How far back `ChangeLog::push` looks for a change to merge into.
const MERGE_LOOKBACK: usize = 1000;

/// One thing that changed, where and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// When it happened: the object's own time where it records one (a revision's creation, an
    /// approval, an alarm's state change), otherwise when the source observed it.
    pub at: Timestamp,
    /// Environment and region. Alarm changes carry them; workload changes get them from their
    /// cluster when recorded (`FleetState::record_changes`).
    pub env: Option<String>,
    pub region: Option<String>,
    pub cluster: Option<ClusterId>,
    pub namespace: Option<String>,
    /// The workload's name, or the service an alarm is attributed to.
    pub service: Option<String>,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new revision. `rollback` when `to` is a version the history already had.
    Deploy {
        from: String,
        to: String,
        revision: u64,
        rollback: bool,
    },
    /// Desired replicas changed; `by_hpa` when the HPA asked for the new count. HPA steps
    /// close together are merged: `steps` counts them, `from` is the first, `to` the last.
    Scale {
        from: u32,
        to: u32,
        by_hpa: bool,
        steps: u32,
    },
    /// A rollout is held at a gate for approval.
    GateOpened {
        version: String,
        required: u32,
        requested_by: String,
    },
    /// Someone approved a gate.
    GateApproved {
        who: String,
        reason: String,
        approvals: u32,
        required: u32,
    },
    Paused,
    /// The rollout continues; `gate_passed` when a gate was lifted with it.
    Resumed {
        gate_passed: bool,
    },
    Created {
        version: String,
    },
    Deleted {
        version: String,
    },
    /// An alarm changed state (`from` is None for an alarm first seen already in trouble).
    Alarm {
        name: String,
        from: Option<AlarmState>,
        to: AlarmState,
        reason: String,
    },
    /// An action taken through opsdeck and audited (filled in by the actions work, #5).
    Action {
        who: String,
        action: String,
        result: String,
    },
}

impl ChangeKind {
    /// A short word for the kind of change, for the timeline's column and filter.
    pub fn label(&self) -> &'static str {
        match self {
            ChangeKind::Deploy { rollback: true, .. } => "rollback",
            ChangeKind::Deploy { .. } => "deploy",
            ChangeKind::Scale { .. } => "scale",
            ChangeKind::GateOpened { .. } => "gate",
            ChangeKind::GateApproved { .. } => "approve",
            ChangeKind::Paused => "pause",
            ChangeKind::Resumed { .. } => "resume",
            ChangeKind::Created { .. } => "create",
            ChangeKind::Deleted { .. } => "delete",
            ChangeKind::Alarm { .. } => "alarm",
            ChangeKind::Action { .. } => "action",
        }
    }

    /// What happened, in plain words (untrusted text: clean before drawing).
    pub fn describe(&self) -> String {
        match self {
            ChangeKind::Deploy {
                from, to, revision, ..
            } => format!("{from} → {to} (rev {revision})"),
            ChangeKind::Scale {
                from,
                to,
                by_hpa,
                steps,
            } => match (by_hpa, steps) {
                (false, _) => format!("{from} → {to} replicas"),
                (true, 0 | 1) => format!("{from} → {to} replicas (HPA)"),
                (true, n) => format!("{from} → {to} replicas (HPA, {n} steps)"),
            },
            ChangeKind::GateOpened {
                version,
                required,
                requested_by,
            } => format!("{version} held for {required} approvals, by {requested_by}"),
            ChangeKind::GateApproved {
                who,
                reason,
                approvals,
                required,
            } => format!("{who} approved ({approvals}/{required}): {reason}"),
            ChangeKind::Paused => "rollout paused".into(),
            ChangeKind::Resumed { gate_passed } => {
                if *gate_passed {
                    "gate passed, rollout resumed".into()
                } else {
                    "rollout resumed".into()
                }
            }
            ChangeKind::Created { version } => format!("created at {version}"),
            ChangeKind::Deleted { version } => format!("deleted (was {version})"),
            ChangeKind::Alarm {
                name,
                from,
                to,
                reason,
            } => {
                let from = from.map_or("new", AlarmState::label);
                format!("{name} {from} → {}: {reason}", to.label())
            }
            ChangeKind::Action {
                who,
                action,
                result,
            } => format!("{who}: {action} ({result})"),
        }
    }
}

/// The changes between two observations of one workload in one cluster. `old` None: it appeared;
/// `new` None: it is gone. `at` is when the source observed the new state. Pure, so any source
/// (whole snapshots or deltas) can call it per workload.
pub fn workload_changes(
    cluster: &ClusterId,
    old: Option<&Workload>,
    new: Option<&Workload>,
    at: Timestamp,
) -> Vec<Change> {
    let Some(key) = new.or(old).map(|w| &w.key) else {
        return Vec::new();
    };
    let change = |kind: ChangeKind, at: Timestamp| Change {
        at,
        env: None,
        region: None,
        cluster: Some(cluster.clone()),
        namespace: Some(key.namespace.clone()),
        service: Some(key.name.clone()),
        kind,
    };
    let (o, n) = match (old, new) {
        (Some(o), Some(n)) => (o, n),
        (None, Some(n)) => {
            let version = n.template_version.clone();
            return vec![change(ChangeKind::Created { version }, at)];
        }
        (Some(o), None) => {
            let version = o.template_version.clone();
            return vec![change(ChangeKind::Deleted { version }, at)];
        }
        (None, None) => return Vec::new(),
    };
    let mut out = Vec::new();
    if n.revision != o.revision {
        let created = n
            .history
            .iter()
            .find(|r| r.number == n.revision)
            .map_or(at, |r| r.created);
        let rollback = n.template_version != o.template_version
            && o.history
                .iter()
                .any(|r| r.version == n.template_version && r.number < o.revision);
        let kind = ChangeKind::Deploy {
            from: o.template_version.clone(),
            to: n.template_version.clone(),
            revision: n.revision,
            rollback,
        };
        out.push(change(kind, created));
    }
    if n.desired != o.desired {
        let by_hpa = n.hpa.as_ref().is_some_and(|h| h.desired == n.desired);
        let kind = ChangeKind::Scale {
            from: o.desired,
            to: n.desired,
            by_hpa,
            steps: 1,
        };
        out.push(change(kind, at));
    }
    if let (None, Some(g)) = (&o.gate, &n.gate) {
        let kind = ChangeKind::GateOpened {
            version: g.version.clone(),
            required: g.required,
            requested_by: g.requested_by.clone(),
        };
        out.push(change(kind, g.since));
    }
    if let Some(g) = &n.gate {
        let before: BTreeSet<&str> = o
            .gate
            .iter()
            .flat_map(|g| g.approvals.iter().map(|a| a.who.as_str()))
            .collect();
        for (i, a) in g.approvals.iter().enumerate() {
            if !before.contains(a.who.as_str()) {
                let kind = ChangeKind::GateApproved {
                    who: a.who.clone(),
                    reason: a.reason.clone(),
                    approvals: i as u32 + 1,
                    required: g.required,
                };
                out.push(change(kind, a.at));
            }
        }
    }
    match (o.paused, n.paused) {
        (false, true) => out.push(change(ChangeKind::Paused, at)),
        (true, false) => {
            let gate_passed = o.gate.is_some() && n.gate.is_none();
            out.push(change(ChangeKind::Resumed { gate_passed }, at));
        }
        _ => {}
    }
    out
}

/// Every workload change between two observations of a cluster, observed at `at`.
pub fn cluster_changes(old: &ClusterState, new: &ClusterState, at: Timestamp) -> Vec<Change> {
    let keys: BTreeSet<_> = old.workloads.keys().chain(new.workloads.keys()).collect();
    keys.into_iter()
        .flat_map(|k| {
            workload_changes(&new.info.id, old.workloads.get(k), new.workloads.get(k), at)
        })
        .collect()
}

/// State transitions between two reports of one alarm source. Alarms are matched by account,
/// region and name; a new alarm counts only when it is not OK. Each change is dated by the
/// alarm's own `since`.
pub fn alarm_changes(old: &[Alarm], new: &[Alarm]) -> Vec<Change> {
    let mut out = Vec::new();
    for a in new {
        let before = old
            .iter()
            .find(|o| o.name == a.name && o.account == a.account && o.region == a.region)
            .map(|o| o.state);
        if before == Some(a.state) || (before.is_none() && a.state == AlarmState::Ok) {
            continue;
        }
        out.push(Change {
            at: a.since,
            env: a.env.clone(),
            region: Some(a.region.clone()),
            cluster: None,
            namespace: None,
            service: a.service.clone(),
            kind: ChangeKind::Alarm {
                name: a.name.clone(),
                from: before,
                to: a.state,
                reason: a.reason.clone(),
            },
        });
    }
    out
}

/// The bounded log of changes, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeLog {
    entries: VecDeque<Change>,
    #[serde(skip)]
    capacity: usize,
}

impl Default for ChangeLog {
    fn default() -> Self {
        ChangeLog::with_capacity(CHANGE_LOG_CAPACITY)
    }
}

impl ChangeLog {
    pub fn with_capacity(capacity: usize) -> ChangeLog {
        ChangeLog {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Append a change; an HPA scaling step merges into the same workload's HPA change of the
    /// last `HPA_MERGE_SECS` (which keeps its time: when the scaling began).
    pub fn push(&mut self, change: Change) {
        if let ChangeKind::Scale {
            to, by_hpa: true, ..
        } = change.kind
        {
            let earlier = self
                .entries
                .iter_mut()
                .rev()
                .take(MERGE_LOOKBACK)
                .find(|c| {
                    matches!(c.kind, ChangeKind::Scale { by_hpa: true, .. })
                        && c.cluster == change.cluster
                        && c.namespace == change.namespace
                        && c.service == change.service
                        && (change.at - c.at).get_seconds() <= HPA_MERGE_SECS
                });
            if let Some(ChangeKind::Scale {
                to: last, steps, ..
            }) = earlier.map(|c| &mut c.kind)
            {
                *last = to;
                *steps += 1;
                return;
            }
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(change);
    }

    /// In the order recorded (oldest first).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Change> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;
    use crate::domain::{Approval, FleetState, Gate, SourceHealth, SourceUpdate};

    #[test]
    fn a_new_revision_is_a_deploy_dated_by_the_revision() {
        let id = ClusterId::parse("prod", "us-east-1", "c1").unwrap();
        let old = workload("payments", "api", "1.2.3");
        let mut new = old.clone();
        deploy(&mut new, "1.2.4", t(60));
        let changes = workload_changes(&id, Some(&old), Some(&new), t(90));
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].at, t(60));
        assert_eq!(changes[0].service.as_deref(), Some("api"));
        assert_eq!(
            changes[0].kind,
            ChangeKind::Deploy {
                from: "1.2.3".into(),
                to: "1.2.4".into(),
                revision: 3,
                rollback: false
            }
        );
        assert_eq!(changes[0].kind.label(), "deploy");
    }

    #[test]
    fn going_back_to_a_known_version_is_a_rollback() {
        let id = ClusterId::parse("prod", "us-east-1", "c1").unwrap();
        let old = workload("payments", "api", "1.2.3");
        let mut new = old.clone();
        // The testkit's workload ran 0.9.0 as revision 1.
        deploy(&mut new, "0.9.0", t(10));
        let changes = workload_changes(&id, Some(&old), Some(&new), t(10));
        assert_eq!(changes[0].kind.label(), "rollback");
        assert_eq!(changes[0].kind.describe(), "1.2.3 → 0.9.0 (rev 3)");
    }

    #[test]
    fn scaling_pausing_and_gates_are_changes() {
        let id = ClusterId::parse("prod", "us-east-1", "c1").unwrap();
        let old = workload("payments", "api", "1.2.3");
        let mut new = old.clone();
        new.desired = 7;
        new.paused = true;
        new.gate = Some(Gate {
            requested_by: "bot".into(),
            since: t(5),
            required: 2,
            version: "1.2.3".into(),
            approvals: vec![Approval {
                who: "ana".into(),
                at: t(8),
                reason: "green".into(),
            }],
        });
        let labels: Vec<&str> = workload_changes(&id, Some(&old), Some(&new), t(10))
            .iter()
            .map(|c| c.kind.label())
            .collect();
        assert_eq!(labels, ["scale", "gate", "approve", "pause"]);
        // A second approval is reported once, with its count; lifting the gate resumes.
        let mut approved = new.clone();
        let gate = approved.gate.as_mut().unwrap();
        gate.approvals.push(Approval {
            who: "bo".into(),
            at: t(20),
            reason: "ok".into(),
        });
        let changes = workload_changes(&id, Some(&new), Some(&approved), t(21));
        assert_eq!(changes.len(), 1);
        assert!(matches!(
            &changes[0].kind,
            ChangeKind::GateApproved { who, approvals: 2, required: 2, .. } if who == "bo"
        ));
        let mut resumed = approved.clone();
        resumed.gate = None;
        resumed.paused = false;
        let changes = workload_changes(&id, Some(&approved), Some(&resumed), t(22));
        assert_eq!(changes[0].kind, ChangeKind::Resumed { gate_passed: true });
    }

    #[test]
    fn status_only_updates_are_not_changes() {
        let id = ClusterId::parse("prod", "us-east-1", "c1").unwrap();
        let old = workload("payments", "api", "1.2.3");
        let mut new = old.clone();
        new.ready = 1;
        new.updated = 2;
        assert!(workload_changes(&id, Some(&old), Some(&new), t(1)).is_empty());
        assert!(workload_changes(&id, None, None, t(1)).is_empty());
        let created = workload_changes(&id, None, Some(&old), t(1));
        assert_eq!(created[0].kind.label(), "create");
        let deleted = workload_changes(&id, Some(&old), None, t(1));
        assert_eq!(deleted[0].kind.label(), "delete");
    }

    #[test]
    fn alarm_transitions_but_not_quiet_new_alarms() {
        let ok = alarm("api-5xx", AlarmState::Ok, t(0));
        let firing = alarm("api-5xx", AlarmState::Alarm, t(30));
        let changes = alarm_changes(std::slice::from_ref(&ok), std::slice::from_ref(&firing));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].at, t(30));
        assert_eq!(changes[0].env.as_deref(), Some("prod"));
        assert!(matches!(
            changes[0].kind,
            ChangeKind::Alarm {
                from: Some(AlarmState::Ok),
                to: AlarmState::Alarm,
                ..
            }
        ));
        assert!(
            alarm_changes(std::slice::from_ref(&firing), std::slice::from_ref(&firing)).is_empty()
        );
        assert!(alarm_changes(&[], &[alarm("new", AlarmState::Ok, t(0))]).is_empty());
        assert_eq!(alarm_changes(&[], std::slice::from_ref(&firing)).len(), 1);
    }

    #[test]
    fn the_first_snapshot_does_not_flood_the_log_later_ones_do_record() {
        let mut fleet = FleetState::default();
        let mut c = cluster("prod", "us-east-1", "c1");
        // A source may announce a cluster before it has data.
        fleet.apply(SourceUpdate::Cluster(Box::new(c.clone())));
        for i in 0..30 {
            let w = workload("ns", &format!("svc{i}"), "1.0.0");
            c.workloads.insert(w.key.clone(), w);
        }
        c.health = SourceHealth::live(t(1));
        fleet.apply(SourceUpdate::Cluster(Box::new(c.clone())));
        assert!(fleet.changes.is_empty(), "{:?}", fleet.changes);
        // A cluster first seen with data is its first snapshot too.
        let mut other = cluster("dev", "us-east-1", "c2");
        other.health = SourceHealth::live(t(1));
        other.workloads = c.workloads.clone();
        fleet.apply(SourceUpdate::Cluster(Box::new(other)));
        assert!(fleet.changes.is_empty());
        // The next snapshot's differences are recorded, placed in their env and region.
        let key = c.workloads.keys().next().unwrap().clone();
        deploy(c.workloads.get_mut(&key).unwrap(), "1.0.1", t(5));
        c.health = SourceHealth::live(t(6));
        fleet.apply(SourceUpdate::Cluster(Box::new(c)));
        let changes: Vec<&Change> = fleet.changes.iter().collect();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].env.as_deref(), Some("prod"));
        assert_eq!(changes[0].region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn first_alarm_report_is_a_baseline_later_ones_record() {
        let mut fleet = FleetState::default();
        let send = |fleet: &mut FleetState, a: Alarm| {
            fleet.apply(SourceUpdate::Alarms {
                source: "acct/us-east-1".into(),
                alarms: vec![a],
                health: SourceHealth::live(t(0)),
            })
        };
        send(&mut fleet, alarm("x", AlarmState::Alarm, t(0)));
        assert!(fleet.changes.is_empty());
        send(&mut fleet, alarm("x", AlarmState::Ok, t(40)));
        assert_eq!(fleet.changes.len(), 1);
    }

    #[test]
    fn hpa_steps_of_one_workload_merge_manual_scaling_does_not() {
        let id = ClusterId::parse("prod", "us-east-1", "c1").unwrap();
        let scale = |from: u32, to: u32, by_hpa: bool, at: i64| {
            let mut old = workload("ns", "api", "1.0");
            old.desired = from;
            let mut new = old.clone();
            new.desired = to;
            if by_hpa {
                new.hpa = Some(hpa(from, to, 10));
            }
            workload_changes(&id, Some(&old), Some(&new), t(at))
        };
        let mut log = ChangeLog::default();
        for c in [
            scale(3, 4, true, 0),
            scale(4, 5, true, 15),
            scale(5, 9, false, 20),
            scale(5, 4, true, 30),
            scale(4, 6, true, HPA_MERGE_SECS + 1),
        ]
        .into_iter()
        .flatten()
        {
            log.push(c);
        }
        let described: Vec<(Timestamp, String)> =
            log.iter().map(|c| (c.at, c.kind.describe())).collect();
        assert_eq!(
            described,
            [
                (t(0), "3 → 4 replicas (HPA, 3 steps)".to_string()),
                (t(20), "5 → 9 replicas".to_string()),
                (t(HPA_MERGE_SECS + 1), "4 → 6 replicas (HPA)".to_string()),
            ]
        );
    }

    #[test]
    fn the_log_is_bounded_oldest_out() {
        let mut log = ChangeLog::with_capacity(3);
        for i in 0..5 {
            log.push(Change {
                at: t(i),
                env: None,
                region: None,
                cluster: None,
                namespace: None,
                service: None,
                kind: ChangeKind::Paused,
            });
        }
        assert_eq!(log.len(), 3);
        assert_eq!(log.iter().next().unwrap().at, t(2));
    }
}
