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
    pub cells: Vec<&'a CellSummary>,
    pub services: &'a [ServiceRow],
    pub firing_alarms: Vec<Alarm>,
    pub gates: Vec<GateSummary>,
    pub cost: CostSummary,
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

pub fn build(fleet: &FleetState, now: Timestamp) -> Snapshot<'_> {
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
        cost: CostSummary {
            month_to_date_usd: fleet.cost().mtd_total(),
            forecast_month_end_usd: fleet.cost().forecast_month_end,
            last_month_usd: fleet.cost().last_month,
        },
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
    let _ = writeln!(
        out,
        "COST month to date {} · forecast {} · last month {}",
        money(s.cost.month_to_date_usd),
        money(s.cost.forecast_month_end_usd),
        money(s.cost.last_month_usd)
    );
    // Names, versions and reasons come from clusters and AWS: clean every line, as the screens do.
    out.lines().map(|l| clean(l) + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
