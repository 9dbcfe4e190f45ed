//! Alerts: every firing alarm plus the alerts the console derives from cluster state
//! (stuck rollouts, crash loops, unavailable replicas, HPAs at their max, Warning events), in one
//! list with a severity, an age and, for a service in the middle of a rollout, the rollback it
//! suggests.

use super::{
    ClusterId, ClusterState, EventKind, FleetState, RolloutState, Stage, Timestamp, Workload,
    WorkloadKey,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A deploy younger than this makes its service the prime suspect of an alert.
pub const RECENT_DEPLOY_SECS: i64 = 3600;
/// Warning events older than this are history, not alerts.
pub const EVENT_WINDOW_SECS: i64 = 900;
/// Alerts younger than this are highlighted as new.
pub const NEW_ALERT_SECS: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warn",
            Severity::Critical => "crit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum AlertOrigin {
    /// A CloudWatch alarm in ALARM.
    Alarm { account: String, metric: String },
    /// Derived from a cluster's workloads, pods or events.
    Cluster { cluster: ClusterId },
}

/// Why a rollback is suggested, and to what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackHint {
    pub cluster: ClusterId,
    pub key: WorkloadKey,
    /// The version running (or rolling out) now.
    pub from: String,
    pub to: String,
    pub to_revision: u64,
    /// "rolling out", "paused", "stuck" or "deployed 12m ago".
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub severity: Severity,
    /// The alarm's name, or what the console noticed ("rollout stuck", "CrashLoopBackOff").
    pub title: String,
    /// The reason or the numbers behind it.
    pub detail: String,
    pub env: Option<String>,
    pub region: String,
    pub namespace: Option<String>,
    pub service: Option<String>,
    /// When it started.
    pub since: Timestamp,
    pub production: bool,
    pub origin: AlertOrigin,
    pub rollback: Option<RollbackHint>,
}

impl Alert {
    pub fn stage(&self) -> Option<Stage> {
        self.env.as_ref().map(|env| Stage {
            env: env.clone(),
            region: self.region.clone(),
        })
    }
    pub fn is_new(&self, now: Timestamp) -> bool {
        (now - self.since).get_seconds() < NEW_ALERT_SECS
    }
}

/// Every alert in the fleet at `now`, most urgent first: severity, then production, then newest.
pub(crate) fn build_alerts(fleet: &FleetState, now: Timestamp) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::new();
    for a in fleet.all_alarms().filter(|a| a.firing()) {
        out.push(Alert {
            severity: Severity::Critical,
            title: a.name.clone(),
            detail: a.reason.clone(),
            env: a.env.clone(),
            region: a.region.clone(),
            namespace: None,
            service: a.service.clone(),
            since: a.since,
            production: a
                .env
                .as_deref()
                .is_some_and(|e| fleet.layout().is_production(e)),
            origin: AlertOrigin::Alarm {
                account: a.account.clone(),
                metric: a.metric.clone(),
            },
            rollback: None,
        });
    }
    for c in fleet.clusters().values() {
        let production = fleet.layout().is_production(&c.info.env);
        out.extend(
            cluster_alerts(c, now)
                .into_iter()
                .map(|a| Alert { production, ..a }),
        );
    }
    for a in &mut out {
        a.rollback = rollback_hint(fleet, a, now);
    }
    sort_by_urgency(&mut out);
    out
}

/// Severity, production first, newest first, then by title for a stable order.
pub fn sort_by_urgency(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.production.cmp(&a.production))
            .then(b.since.cmp(&a.since))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.service.cmp(&b.service))
    });
}

/// What the console notices in one cluster: per workload the worst of stuck / no replicas /
/// failing pods / unavailable replicas, HPAs at max, and Warning events about anything else.
pub fn cluster_alerts(c: &ClusterState, now: Timestamp) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut alerted: BTreeSet<&str> = BTreeSet::new();
    let new = |w: &Workload, severity, title: &str, detail: String, since| Alert {
        severity,
        title: title.to_string(),
        detail,
        env: Some(c.info.env.clone()),
        region: c.info.region.clone(),
        namespace: Some(w.key.namespace.clone()),
        service: Some(w.key.name.clone()),
        since,
        production: false,
        origin: AlertOrigin::Cluster {
            cluster: c.info.id.clone(),
        },
        rollback: None,
    };
    for w in c.workloads.values() {
        let before = out.len();
        if let RolloutState::Stuck(reason) = &w.rollout {
            let detail = format!("{reason}: {}/{} updated", w.updated, w.desired);
            out.push(new(
                w,
                Severity::Critical,
                "rollout stuck",
                detail,
                w.changed_at,
            ));
        } else if w.desired > 0 && w.ready == 0 {
            let detail = format!("0/{} ready", w.desired);
            out.push(new(
                w,
                Severity::Critical,
                "no ready replicas",
                detail,
                w.changed_at,
            ));
        }
        // Pods in trouble, one alert per reason.
        type Trouble<'a> = (u32, u32, Timestamp, std::collections::BTreeSet<&'a str>);
        let mut by_reason: BTreeMap<&str, Trouble> = BTreeMap::new();
        for p in c.pods_of(&w.key) {
            if let Some(reason) = &p.reason {
                // A pod's trouble starts no earlier than the revision it runs.
                let revision = w.history.iter().find(|r| r.version == p.version);
                let since = revision.map_or(p.started, |r| p.started.max(r.created));
                let e = by_reason
                    .entry(reason)
                    .or_insert_with(|| (0, 0, since, Default::default()));
                e.0 += 1;
                e.1 = e.1.saturating_add(p.restarts);
                e.2 = e.2.min(since);
                e.3.insert(p.version.as_str());
            }
        }
        for (reason, (pods, restarts, since, versions)) in by_reason {
            // The versions the troubled pods run (a rollout's new pods, or the stable ones).
            let versions: Vec<&str> = versions.into_iter().collect();
            let detail = format!(
                "{pods} pod{} of {}, {restarts} restarts",
                if pods == 1 { "" } else { "s" },
                versions.join(", ")
            );
            out.push(new(w, Severity::Warning, reason, detail, since));
        }
        if out.len() == before && w.ready < w.desired && w.rollout == RolloutState::Complete {
            let detail = format!("{}/{} ready", w.ready, w.desired);
            out.push(new(
                w,
                Severity::Warning,
                "unavailable replicas",
                detail,
                w.changed_at,
            ));
        }
        if out.len() > before {
            alerted.insert(w.key.name.as_str());
        }
        if let Some(h) = w.hpa.as_ref().filter(|h| h.at_max()) {
            let cpu = h
                .current_cpu_pct
                .map(|p| format!(", cpu {p}% of {}% target", h.target_cpu_pct))
                .unwrap_or_default();
            let detail = format!("{}/{} replicas{cpu}", h.current, h.max);
            out.push(new(w, Severity::Info, "HPA at max", detail, w.changed_at));
        }
    }
    // Warning events about objects not already alerted on, grouped by object and reason.
    let mut events: BTreeMap<(&str, String, &str), (u32, &str, Timestamp)> = BTreeMap::new();
    for e in c.events.iter().filter(|e| e.kind == EventKind::Warning) {
        if (now - e.at).get_seconds() > EVENT_WINDOW_SECS {
            continue;
        }
        let owner = event_owner(c, &e.namespace, &e.object);
        if alerted.contains(owner.as_str()) {
            continue;
        }
        let entry = events
            .entry((&e.namespace, owner, &e.reason))
            .or_insert((0, &e.message, e.at));
        entry.0 += 1;
        if e.at >= entry.2 {
            entry.1 = &e.message;
            entry.2 = e.at;
        }
    }
    for ((ns, owner, reason), (count, message, at)) in events {
        let workload = c.workloads.values().find(|w| w.key.name == owner);
        let times = if count > 1 {
            format!(" (x{count})")
        } else {
            String::new()
        };
        out.push(Alert {
            severity: Severity::Warning,
            title: reason.to_string(),
            detail: format!("{message}{times}"),
            env: Some(c.info.env.clone()),
            region: c.info.region.clone(),
            namespace: Some(ns.to_string()),
            service: workload.map(|w| w.key.name.clone()),
            since: at,
            production: false,
            origin: AlertOrigin::Cluster {
                cluster: c.info.id.clone(),
            },
            rollback: None,
        });
    }
    out
}

/// The workload an event's object belongs to (`Pod/x` through its pod, `Deployment/x` is x),
/// or the object itself when unknown.
fn event_owner(c: &ClusterState, namespace: &str, object: &str) -> String {
    match object.split_once('/') {
        Some(("Pod", name)) => c
            .pods
            .get(&(namespace.to_string(), name.to_string()))
            .map_or(object.to_string(), |p| p.workload.clone()),
        Some(("Deployment" | "Rollout" | "ReplicaSet", name)) => name.to_string(),
        _ => object.to_string(),
    }
}

/// A rollback to suggest when the alert's service is mid-rollout (rolling, paused, stuck) or was
/// deployed within the last hour in the alert's stage, and has a revision to go back to.
pub fn rollback_hint(fleet: &FleetState, alert: &Alert, now: Timestamp) -> Option<RollbackHint> {
    let service = alert.service.as_deref()?;
    let env = alert.env.as_deref()?;
    fleet
        .clusters_in(env, &alert.region)
        .filter_map(|c| {
            let w = c.workloads.values().find(|w| {
                w.key.name == service
                    && alert
                        .namespace
                        .as_ref()
                        .is_none_or(|ns| *ns == w.key.namespace)
            })?;
            let target = w.rollback_target()?;
            let deployed = w
                .history
                .iter()
                .find(|r| r.number == w.revision)
                .map(|r| (now - r.created).get_seconds());
            let why = match &w.rollout {
                RolloutState::Progressing => "rolling out".to_string(),
                RolloutState::Paused => "paused mid-rollout".to_string(),
                RolloutState::Stuck(_) => "stuck".to_string(),
                RolloutState::Complete => match deployed {
                    Some(s) if s < RECENT_DEPLOY_SECS => {
                        format!("deployed {}m ago", s.max(0) / 60)
                    }
                    _ => return None,
                },
            };
            Some(RollbackHint {
                cluster: c.info.id.clone(),
                key: w.key.clone(),
                from: w.template_version.clone(),
                to: target.version.clone(),
                to_revision: target.number,
                why,
            })
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;
    use crate::domain::{AlarmState, ClusterEvent, Hpa, Pod, SourceHealth, SourceUpdate};

    fn send_alarms(fleet: &mut FleetState, alarms: Vec<crate::domain::Alarm>) {
        fleet.apply(SourceUpdate::Alarms {
            source: "acct/us-east-1".into(),
            alarms,
            health: SourceHealth::live(t(0)),
        });
    }

    #[test]
    fn ordered_by_severity_then_production_then_newest() {
        let mut fleet = fleet();
        let mut stuck = workload("ns", "api", "1.0.0");
        stuck.rollout = RolloutState::Stuck("ProgressDeadlineExceeded".into());
        add_cluster(&mut fleet, "dev", "us-east-1", vec![stuck]);
        send_alarms(
            &mut fleet,
            vec![
                alarm_on(
                    "web",
                    "dev",
                    "us-east-1",
                    "old-dev",
                    AlarmState::Alarm,
                    t(-900),
                ),
                alarm_on(
                    "web",
                    "prod",
                    "us-east-1",
                    "old-prod",
                    AlarmState::Alarm,
                    t(-600),
                ),
                alarm_on(
                    "web",
                    "prod",
                    "us-east-1",
                    "new-prod",
                    AlarmState::Alarm,
                    t(-60),
                ),
                alarm_on("web", "prod", "us-east-1", "quiet", AlarmState::Ok, t(-60)),
            ],
        );
        let titles: Vec<String> = build_alerts(&fleet, t(0))
            .into_iter()
            .map(|a| a.title)
            .collect();
        assert_eq!(titles, ["new-prod", "old-prod", "old-dev", "rollout stuck"]);
    }

    #[test]
    fn cluster_state_becomes_alerts_worst_first_per_workload() {
        let mut c = cluster("prod", "us-east-1", "c1");
        let mut down = workload("ns", "down", "1.0.0");
        down.ready = 0;
        let mut short = workload("ns", "short", "1.0.0");
        short.ready = 2;
        let mut hot = workload("ns", "hot", "1.0.0");
        hot.hpa = Some(Hpa {
            current_cpu_pct: Some(95),
            ..hpa(3, 3, 3)
        });
        let crashing = workload("ns", "crash", "1.0.0");
        for w in [down, short, hot, crashing] {
            c.workloads.insert(w.key.clone(), w);
        }
        for i in 0..2 {
            let p = Pod {
                ready: false,
                restarts: 4,
                reason: Some("CrashLoopBackOff".into()),
                started: t(-100 + i),
                ..pod("crash", &format!("crash-{i}"), Some("n1"))
            };
            c.pods.insert(("ns".into(), p.name.clone()), p);
        }
        // A Warning event about a crash-looping pod is already covered; one about another
        // object is an alert of its own.
        for (object, reason) in [
            ("Pod/crash-0", "BackOff"),
            ("Pod/other-x", "FailedScheduling"),
        ] {
            c.events.push(ClusterEvent {
                at: t(-30),
                kind: EventKind::Warning,
                namespace: "ns".into(),
                object: object.into(),
                reason: reason.into(),
                message: "0/3 nodes are available".into(),
            });
        }
        let found: Vec<(String, String, Severity)> = cluster_alerts(&c, t(0))
            .into_iter()
            .map(|a| (a.service.unwrap_or_default(), a.title, a.severity))
            .collect();
        let expect = |s: &str, t: &str, sev| (s.to_string(), t.to_string(), sev);
        assert_eq!(
            found,
            [
                expect("crash", "CrashLoopBackOff", Severity::Warning),
                expect("down", "no ready replicas", Severity::Critical),
                expect("hot", "HPA at max", Severity::Info),
                expect("short", "unavailable replicas", Severity::Warning),
                expect("", "FailedScheduling", Severity::Warning),
            ]
        );
        let crash = &cluster_alerts(&c, t(0))[0];
        assert_eq!(crash.detail, "2 pods of 1.0.0, 8 restarts");
        assert_eq!(crash.since, t(-100));
        // Old events are history.
        assert_eq!(cluster_alerts(&c, t(EVENT_WINDOW_SECS + 60)).len(), 4);
    }

    #[test]
    fn an_alarm_on_a_service_mid_rollout_suggests_its_rollback() {
        let mut fleet = fleet();
        let mut rolling = workload("ns", "api", "1.0.0");
        deploy(&mut rolling, "1.1.0", t(-120));
        let mut settled = workload("ns", "web", "2.0.0");
        settled.history[0].created = t(-7200);
        add_cluster(&mut fleet, "prod", "us-east-1", vec![rolling, settled]);
        send_alarms(
            &mut fleet,
            vec![
                alarm_on(
                    "api",
                    "prod",
                    "us-east-1",
                    "api-5xx",
                    AlarmState::Alarm,
                    t(-30),
                ),
                alarm_on(
                    "web",
                    "prod",
                    "us-east-1",
                    "web-5xx",
                    AlarmState::Alarm,
                    t(-30),
                ),
            ],
        );
        let all = build_alerts(&fleet, t(0));
        let api = all.iter().find(|a| a.title == "api-5xx").unwrap();
        let hint = api.rollback.as_ref().expect("api is rolling out");
        assert_eq!((hint.from.as_str(), hint.to.as_str()), ("1.1.0", "1.0.0"));
        assert_eq!(hint.to_revision, 2);
        assert_eq!(hint.why, "rolling out");
        let web = all.iter().find(|a| a.title == "web-5xx").unwrap();
        assert_eq!(
            web.rollback, None,
            "a settled, two-hour-old deploy is no suspect"
        );
        // The same deploy, complete but recent, is still suggested.
        let id = fleet.clusters().keys().next().unwrap().clone();
        let w = fleet.clusters_mut().get_mut(&id).unwrap();
        w.workloads
            .get_mut(&WorkloadKey::new("ns", "api"))
            .unwrap()
            .rollout = RolloutState::Complete;
        let api = build_alerts(&fleet, t(0))
            .into_iter()
            .find(|a| a.title == "api-5xx")
            .unwrap();
        assert_eq!(api.rollback.as_ref().unwrap().why, "deployed 2m ago");
        assert!(api.is_new(t(0)) && !api.is_new(t(NEW_ALERT_SECS)));
    }
}
