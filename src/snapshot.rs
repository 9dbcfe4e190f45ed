//! `opsdeck snapshot`: the aggregated fleet state once, as JSON or a plain table, for scripts.

use crate::domain::*;
use crate::ui::text::{clean, money};
use serde::Serialize;
use std::fmt::Write;

/// Borrows the fleet's derived rows rather than copying them (hundreds of services on a large
/// fleet).
#[derive(Debug, Serialize)]
pub struct Snapshot<'a> {
    pub fleet: String,
    pub as_of: Timestamp,
    /// Every expected source answered (live, or degraded with some data). False when one
    /// failed, went stale, or never answered: `opsdeck snapshot` then exits non-zero.
    pub complete: bool,
    /// Every source's state: clusters, and the AWS sources (alarms, EKS, metrics, cost).
    pub sources: Vec<SourceState>,
    pub cells: Vec<&'a CellSummary>,
    pub services: &'a [ServiceRow],
    pub firing_alarms: Vec<Alarm>,
    pub gates: Vec<GateSummary>,
    /// None (`null`) when no cost source answered: an unknown spend is never printed as $0.
    pub cost: Option<CostSummary>,
    /// EKS nodegroups of the configured clusters (AWS).
    pub nodegroups: Vec<NodegroupSummary>,
    /// AWS sources (alarms per profile/region, EKS per cluster, cost) that are not live.
    pub aws_problems: Vec<SourceProblem>,
}

#[derive(Debug, Serialize)]
pub struct NodegroupSummary {
    pub cluster: ClusterId,
    pub name: String,
    pub instance_type: String,
    pub min: u32,
    pub desired: u32,
    pub max: u32,
}

#[derive(Debug, Serialize)]
pub struct SourceProblem {
    pub source: String,
    pub status: SourceStatus,
}

/// One source as a script reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceState {
    /// `cluster prod/eu-west-1/prod-euw1`, `alarms acme-prod/eu-west-1`, `EKS <cluster id>`,
    /// `metrics <cluster id>`, `cost`.
    pub source: String,
    /// `cluster`, `alarms`, `eks`, `metrics`, `cost`.
    pub kind: &'static str,
    /// `live`, `degraded`, `stale`, `failed`, `connecting` (started, no answer yet),
    /// `never answered` (no word at all before the timeout), `not asked` (metrics: a snapshot
    /// opens no service).
    pub state: &'static str,
    pub reason: Option<String>,
    pub last_data: Option<Timestamp>,
    /// When a source that is not fully working asks again (its backoff step or next poll).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry: Option<Timestamp>,
}

impl SourceState {
    fn of(source: String, kind: &'static str, health: Option<&SourceHealth>) -> SourceState {
        let (state, reason) = match health.map(|h| &h.status) {
            None => ("never answered", None),
            Some(SourceStatus::Connecting) => ("connecting", None),
            Some(SourceStatus::Live) => ("live", None),
            Some(SourceStatus::Degraded(w)) => ("degraded", Some(w.clone())),
            Some(SourceStatus::Stale(w)) => ("stale", Some(w.clone())),
            Some(SourceStatus::Failed(w)) => ("failed", Some(w.clone())),
        };
        SourceState {
            source,
            kind,
            state,
            reason,
            last_data: health.and_then(|h| h.last_data),
            next_retry: health.and_then(|h| h.next_retry),
        }
    }

    /// Counts against completeness: anything but live or degraded (and metrics not asked).
    pub fn missing(&self) -> bool {
        !matches!(self.state, "live" | "degraded" | "not asked")
    }
}

/// The sources a configured fleet's snapshot waits for, so one that never said a word is
/// still listed (and makes the snapshot incomplete).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    pub clusters: Vec<ClusterId>,
    /// Alarm sources by label (`profile/region`).
    pub alarms: Vec<String>,
    /// Clusters whose nodegroups EKS discovery reports.
    pub eks: Vec<ClusterId>,
    /// Clusters with CloudWatch metrics (not asked by a snapshot).
    pub metrics: Vec<ClusterId>,
    pub cost: bool,
}

/// Every source's state. `expected`: the configured fleet's sources (None: whatever the fleet
/// holds, e.g. the demo's).
pub fn source_states(fleet: &FleetState, expected: Option<&Expected>) -> Vec<SourceState> {
    let mut out = Vec::new();
    let cluster_state = |id: &ClusterId| {
        SourceState::of(
            format!("cluster {id}"),
            "cluster",
            fleet.clusters().get(id).map(|c| &c.health),
        )
    };
    let eks_state = |id: &ClusterId| {
        SourceState::of(
            format!("EKS {id}"),
            "eks",
            fleet
                .clusters()
                .get(id)
                .and_then(|c| c.nodegroup_health.as_ref()),
        )
    };
    let alarm_state =
        |k: &str| SourceState::of(format!("alarms {k}"), "alarms", fleet.alarm_health.get(k));
    match expected {
        Some(e) => {
            out.extend(e.clusters.iter().map(cluster_state));
            out.extend(e.alarms.iter().map(|k| alarm_state(k)));
            out.extend(e.eks.iter().map(eks_state));
            out.extend(e.metrics.iter().map(|id| SourceState {
                source: format!("metrics {id}"),
                kind: "metrics",
                state: "not asked",
                reason: Some(
                    "a snapshot opens no service; the console asks for the open one".into(),
                ),
                last_data: None,
                next_retry: None,
            }));
            if e.cost {
                out.push(SourceState::of(
                    "cost".into(),
                    "cost",
                    fleet.cost_health.as_ref(),
                ));
            }
        }
        None => {
            out.extend(fleet.clusters().keys().map(cluster_state));
            out.extend(fleet.alarm_health.keys().map(|k| alarm_state(k)));
            out.extend(
                fleet
                    .clusters()
                    .values()
                    .filter(|c| c.nodegroup_health.is_some())
                    .map(|c| eks_state(&c.info.id)),
            );
            if let Some(h) = &fleet.cost_health {
                out.push(SourceState::of("cost".into(), "cost", Some(h)));
            }
        }
    }
    out
}

#[derive(Debug, Serialize)]
pub struct GateSummary {
    pub cluster: ClusterId,
    pub service: WorkloadKey,
    pub version: String,
    pub approvals: usize,
    pub required: u32,
    pub requested_by: String,
}

#[derive(Debug, Serialize)]
pub struct CostSummary {
    pub month_to_date_usd: f64,
    pub forecast_month_end_usd: f64,
    pub last_month_usd: f64,
}

/// The snapshot of whatever the fleet holds (the demo fleet).
pub fn build(fleet: &FleetState, now: Timestamp) -> Snapshot<'_> {
    build_expecting(fleet, now, None)
}

/// The snapshot of a configured fleet: `expected` lists the sources it should have heard from.
pub fn build_expecting<'a>(
    fleet: &'a FleetState,
    now: Timestamp,
    expected: Option<&Expected>,
) -> Snapshot<'a> {
    let sources = source_states(fleet, expected);
    let complete = !sources.iter().any(SourceState::missing);
    // Spend is known when the cost source delivered figures (or, without a configured
    // fleet, when the fleet simply has them: the demo).
    let cost_known = match expected {
        None => true,
        Some(e) => e.cost && fleet.cost().as_of.is_some(),
    };
    let mut gates = Vec::new();
    for c in fleet.clusters().values() {
        for w in c.workloads.values() {
            if let Some(g) = &w.gate {
                gates.push(GateSummary {
                    cluster: c.info.id.clone(),
                    service: w.key.clone(),
                    version: g.version.clone(),
                    approvals: g.approvals.len(),
                    required: g.required,
                    requested_by: g.requested_by.clone(),
                });
            }
        }
    }
    let nodegroups = fleet
        .clusters()
        .values()
        .flat_map(|c| {
            c.nodegroups.iter().map(|g| NodegroupSummary {
                cluster: c.info.id.clone(),
                name: g.name.clone(),
                instance_type: g.instance_type.clone(),
                min: g.min,
                desired: g.desired,
                max: g.max,
            })
        })
        .collect();
    let mut aws: Vec<(String, &SourceHealth)> = fleet
        .alarm_health
        .iter()
        .map(|(k, h)| (format!("alarms {k}"), h))
        .collect();
    aws.extend(fleet.clusters().values().filter_map(|c| {
        let h = c.nodegroup_health.as_ref()?;
        Some((format!("EKS {}", c.info.id), h))
    }));
    aws.extend(fleet.cost_health.iter().map(|h| ("cost".to_string(), h)));
    let aws_problems = aws
        .into_iter()
        .filter(|(_, h)| h.status != SourceStatus::Live)
        .map(|(source, h)| SourceProblem {
            source,
            status: h.status.clone(),
        })
        .collect();
    Snapshot {
        complete,
        sources,
        nodegroups,
        aws_problems,
        fleet: fleet.layout().name.clone(),
        as_of: now,
        cells: fleet
            .cell_summaries()
            .iter()
            .filter(|c| !c.is_empty())
            .collect(),
        services: fleet.service_rows(),
        firing_alarms: fleet.all_alarms().filter(|a| a.firing()).cloned().collect(),
        gates,
        cost: cost_known.then(|| CostSummary {
            month_to_date_usd: fleet.cost().mtd_total(),
            forecast_month_end_usd: fleet.cost().forecast_month_end,
            last_month_usd: fleet.cost().last_month,
        }),
    }
}

pub fn to_json(s: &Snapshot) -> String {
    serde_json::to_string_pretty(s).expect("snapshot serialises")
}

/// A plain-text table (no colours, no box drawing) that reads well in logs and over SSH.
pub fn to_table(s: &Snapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fleet {} at {}",
        s.fleet,
        s.as_of.strftime("%Y-%m-%d %H:%M:%SZ")
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<26} {:>9} {:>7} {:>6} {:>6} {:>5} {:>10}",
        "STAGE", "SERVICES", "ROLLING", "GATES", "ALARMS", "CAP%", "MTD"
    );
    for c in &s.cells {
        let stage = format!("{}{}", c.stage, if c.production { " (prod)" } else { "" });
        let _ = writeln!(
            out,
            "{:<26} {:>9} {:>7} {:>6} {:>6} {:>5} {:>10}",
            stage,
            format!("{}/{}", c.services_healthy, c.services_total),
            c.rollouts_in_progress,
            c.gates_waiting,
            c.firing_alarms,
            c.capacity.used_pct(),
            c.mtd_usd.map(money).unwrap_or_else(|| "-".into())
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<34} {:<10} {:<9} VERSIONS (by stage)",
        "SERVICE", "TEAM", "HEALTH"
    );
    for r in s.services {
        let versions: Vec<String> = r
            .instances
            .iter()
            .map(|i| format!("{}={}", i.stage, i.version))
            .collect();
        let _ = writeln!(
            out,
            "{:<34} {:<10} {:<9} {}",
            r.key.to_string(),
            r.team.as_deref().unwrap_or("-"),
            r.worst.label(),
            versions.join(" ")
        );
    }
    let _ = writeln!(out);
    let not_live: Vec<String> = s
        .cells
        .iter()
        .flat_map(|c| &c.clusters)
        .filter(|(_, status)| *status != SourceStatus::Live)
        .map(|(name, status)| match status {
            SourceStatus::Connecting => format!("  {name}: connecting"),
            SourceStatus::Live => unreachable!("filtered"),
            SourceStatus::Stale(why) => format!("  {name}: stale: {why}"),
            SourceStatus::Degraded(why) => format!("  {name}: degraded: {why}"),
            SourceStatus::Failed(why) => format!("  {name}: failed: {why}"),
        })
        .collect();
    if !not_live.is_empty() {
        let _ = writeln!(out, "CLUSTERS NOT LIVE");
        for line in not_live {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "FIRING ALARMS");
    if s.firing_alarms.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for a in &s.firing_alarms {
        let _ = writeln!(
            out,
            "  {} {} {}: {}",
            a.region,
            a.env.as_deref().unwrap_or("-"),
            a.name,
            a.reason
        );
    }
    let _ = writeln!(out, "GATES WAITING");
    if s.gates.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for g in &s.gates {
        let _ = writeln!(
            out,
            "  {} {} {} approvals {}/{} requested by {}",
            g.cluster, g.service, g.version, g.approvals, g.required, g.requested_by
        );
    }
    if !s.nodegroups.is_empty() {
        let _ = writeln!(out, "NODEGROUPS (min/desired/max)");
        for g in &s.nodegroups {
            let _ = writeln!(
                out,
                "  {} {} {} {}/{}/{}",
                g.cluster, g.name, g.instance_type, g.min, g.desired, g.max
            );
        }
    }
    if !s.aws_problems.is_empty() {
        let _ = writeln!(out, "AWS SOURCES NOT LIVE");
        for p in &s.aws_problems {
            let text = match &p.status {
                SourceStatus::Connecting => "no answer yet".to_string(),
                SourceStatus::Live => "live".to_string(),
                SourceStatus::Stale(w) => format!("stale: {w}"),
                SourceStatus::Degraded(w) => format!("degraded: {w}"),
                SourceStatus::Failed(w) => format!("failed: {w}"),
            };
            let _ = writeln!(out, "  {}: {text}", p.source);
        }
    }
    let missing: Vec<&SourceState> = s.sources.iter().filter(|x| x.missing()).collect();
    if !missing.is_empty() {
        let _ = writeln!(out, "INCOMPLETE: SOURCES WITHOUT AN ANSWER");
        for x in missing {
            match &x.reason {
                Some(why) => {
                    let _ = writeln!(out, "  {}: {}: {why}", x.source, x.state);
                }
                None => {
                    let _ = writeln!(out, "  {}: {}", x.source, x.state);
                }
            }
        }
    }
    match &s.cost {
        Some(c) => {
            let _ = writeln!(
                out,
                "COST month to date {} · forecast {} · last month {}",
                money(c.month_to_date_usd),
                money(c.forecast_month_end_usd),
                money(c.last_month_usd)
            );
        }
        None => {
            let why = s
                .sources
                .iter()
                .find(|x| x.kind == "cost")
                .map_or("no cost source".to_string(), |x| x.state.to_string());
            let _ = writeln!(out, "COST unknown ({why})");
        }
    }
    // Names, versions and reasons come from clusters and AWS: clean every line, as the screens do.
    out.lines().map(|l| clean(l) + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected {
            clusters: vec![ClusterId::parse("prod", "eu-west-1", "a").unwrap()],
            alarms: vec!["prod/eu-west-1".into()],
            eks: Vec::new(),
            metrics: vec![ClusterId::parse("prod", "eu-west-1", "a").unwrap()],
            cost: true,
        }
    }

    #[test]
    fn sources_that_never_answered_make_it_incomplete_and_cost_unknown() {
        let now: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let fleet = FleetState::default();
        let snap = build_expecting(&fleet, now, Some(&expected()));
        assert!(!snap.complete);
        assert!(snap.cost.is_none(), "never $0 for an unknown spend");
        let states: Vec<(&str, &str)> = snap
            .sources
            .iter()
            .map(|x| (x.source.as_str(), x.state))
            .collect();
        assert_eq!(
            states,
            [
                ("cluster prod/eu-west-1/a", "never answered"),
                ("alarms prod/eu-west-1", "never answered"),
                ("metrics prod/eu-west-1/a", "not asked"),
                ("cost", "never answered"),
            ]
        );
        let json: serde_json::Value = serde_json::from_str(&to_json(&snap)).unwrap();
        assert_eq!(json["complete"], false);
        assert_eq!(json["cost"], serde_json::Value::Null);
        let table = to_table(&snap);
        assert!(table.contains("COST unknown (never answered)"), "{table}");
        assert!(!table.contains("$0"), "{table}");
        assert!(
            table.contains("alarms prod/eu-west-1: never answered"),
            "{table}"
        );
    }

    #[test]
    fn a_fleet_whose_sources_all_answered_is_complete() {
        let now: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let mut fleet = FleetState::default();
        let mut cluster = ClusterState::new(ClusterInfo {
            id: ClusterId::parse("prod", "eu-west-1", "a").unwrap(),
            name: "a".into(),
            env: "prod".into(),
            region: "eu-west-1".into(),
            kubernetes_version: String::new(),
        });
        cluster.health = SourceHealth::live(now);
        fleet.apply(SourceUpdate::Cluster(Box::new(cluster)));
        fleet.apply(SourceUpdate::Alarms {
            source: "prod/eu-west-1".into(),
            alarms: Vec::new(),
            health: SourceHealth::live(now),
        });
        let report = CostReport {
            as_of: Some(now),
            ..CostReport::default()
        };
        fleet.apply(SourceUpdate::Cost {
            report: Box::new(report),
            health: SourceHealth::live(now),
        });
        let snap = build_expecting(&fleet, now, Some(&expected()));
        assert!(snap.complete, "{:?}", snap.sources);
        assert!(snap.cost.is_some());
    }

    #[test]
    fn a_failing_source_says_when_it_is_asked_again() {
        let now: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let mut fleet = FleetState::default();
        fleet.apply(SourceUpdate::Alarms {
            source: "prod/eu-west-1".into(),
            alarms: Vec::new(),
            health: SourceHealth {
                status: SourceStatus::Stale("CloudWatch alarms unreachable".into()),
                last_data: Some(now - jiff::SignedDuration::from_secs(120)),
                reports_every_secs: Some(60),
                next_retry: Some(now + jiff::SignedDuration::from_secs(30)),
            },
        });
        let snap = build_expecting(&fleet, now, Some(&expected()));
        let json: serde_json::Value = serde_json::from_str(&to_json(&snap)).unwrap();
        let alarms = &json["sources"][1];
        assert_eq!(alarms["source"], "alarms prod/eu-west-1");
        assert_eq!(alarms["state"], "stale");
        assert_eq!(alarms["next_retry"], "2026-11-21T14:30:30Z");
        assert!(
            json["sources"][0].get("next_retry").is_none(),
            "never answered: no retry known"
        );
    }

    #[test]
    fn the_table_never_carries_escape_sequences_from_the_data() {
        let now: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let mut fleet = FleetState::default();
        let alarm = Alarm {
            name: "evil\x1b]0;owned\x07".into(),
            account: "1".into(),
            region: "us-east-1".into(),
            state: AlarmState::Alarm,
            reason: "boom\x1b[2J".into(),
            since: now,
            metric: "m".into(),
            enabled: true,
            env: Some("prod".into()),
            service: None,
        };
        fleet.apply(SourceUpdate::Alarms {
            source: "a".into(),
            alarms: vec![alarm],
            health: SourceHealth::live(now),
        });
        let table = to_table(&build(&fleet, now));
        assert!(table.contains("boom"), "{table}");
        assert!(
            !table.chars().any(|c| c.is_control() && c != '\n'),
            "{table:?}"
        );
    }
}
