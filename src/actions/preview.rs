//! The preview of an action, shown to the person before they confirm it: what each target goes
//! from and to, the blast radius (clusters, regions, replicas), the estimated monthly cost
//! change, and whether production's typed confirmation applies. Pure: read from the fleet state
//! the console holds.

use super::{Action, Target, TargetKind};
use crate::domain::{ClusterState, FleetState, Workload};

/// Hours in an average month, for monthly cost estimates.
const HOURS_PER_MONTH: f64 = 730.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub title: String,
    pub targets: Vec<Target>,
    /// What each target that can go ahead goes from and to, in target order: the audit
    /// entry's `before` comes from here.
    pub changes: Vec<TargetChange>,
    /// Lines for the confirmation dialog: one per target (with its notes), then totals.
    pub lines: Vec<String>,
    pub production: bool,
    /// Production: the person types this (the service name) to confirm.
    pub confirm_word: Option<String>,
    /// Why it cannot go ahead as asked (the dialog shows it and will not confirm).
    pub blocked: Option<String>,
}

/// One target's change as the confirmation states it, e.g. `3 replicas` → `5 replicas`, in the
/// words the sources use for an outcome's before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetChange {
    pub target: Target,
    pub before: String,
    pub after: String,
}

impl Preview {
    /// The state `target` is in before the action, for its audit entry ("" when the preview
    /// has no change for it, e.g. a cluster a production-wide rollback leaves alone).
    pub fn before(&self, target: &Target) -> String {
        self.changes
            .iter()
            .find(|c| &c.target == target)
            .map_or_else(String::new, |c| c.before.clone())
    }
}

/// Preview `action` on `targets`. Targets that no longer exist are reported, not dropped silently.
pub fn preview(fleet: &FleetState, targets: &[Target], action: &Action) -> Preview {
    let service = targets
        .first()
        .map(|t| t.workload.name.clone())
        .unwrap_or_default();
    let production = targets
        .iter()
        .any(|t| fleet.layout().is_production(env_of(fleet, t)));
    let mut lines = Vec::new();
    let mut changes = Vec::new();
    let mut change = |t: &Target, before: String, after: String| {
        changes.push(TargetChange {
            target: t.clone(),
            before,
            after,
        })
    };
    let mut blocked = None;
    let mut replicas_moved = 0u32;
    let mut cost_delta = Some(0.0f64);
    let mut nodes_moved = 0u32;
    let mut shrinks = false;
    for t in targets {
        if let Action::ScaleNodegroup {
            min, desired, max, ..
        } = action
        {
            let sizes = (*min, *desired, *max);
            match preview_nodegroup(fleet, t, sizes) {
                Ok((line, before, delta, per_node)) => {
                    lines.push(line);
                    change(t, before, format!("{min}/{desired}/{max}"));
                    nodes_moved += delta.unsigned_abs() as u32;
                    shrinks |= delta < 0;
                    cost_delta = cost_delta.zip(per_node).map(|(c, p)| c + p * delta as f64);
                }
                Err(why) => {
                    lines.push(format!("{}: {why}", t.cluster));
                    blocked.get_or_insert(why);
                }
            }
            continue;
        }
        let Some((cluster, w)) = find(fleet, t) else {
            lines.push(format!("{}: {} not found", t.cluster, t.workload));
            blocked
                .get_or_insert_with(|| format!("{} no longer runs in {}", t.workload, t.cluster));
            continue;
        };
        let name = &cluster.info.name;
        match action {
            Action::Approve { .. } => match &w.gate {
                Some(g) => {
                    let n = g.approvals.len() as u32 + 1;
                    let effect = if n >= g.required {
                        format!(
                            "the rollout resumes: {} → {}",
                            w.running_version(),
                            g.version
                        )
                    } else {
                        format!("still waiting for {} more", g.required - n)
                    };
                    lines.push(format!(
                        "{name}: approvals {}/{} → {n}/{}: {effect}",
                        n - 1,
                        g.required,
                        g.required
                    ));
                    change(
                        t,
                        format!("{} held: {}/{} approvals", g.version, n - 1, g.required),
                        format!("{n}/{} approvals: {effect}", g.required),
                    );
                    if n >= g.required {
                        replicas_moved += w.desired;
                    }
                }
                None => {
                    blocked.get_or_insert_with(|| {
                        format!("{} is not waiting at a gate in {name}", t.workload)
                    });
                }
            },
            Action::Reject { .. } => match &w.gate {
                Some(g) => {
                    let back = match w.rollback_target() {
                        Some(r) => format!("{} (rev {})", r.version, r.number),
                        None => w.running_version().to_string(),
                    };
                    lines.push(format!(
                        "{name}: reject {} — {}",
                        g.version,
                        match t.kind {
                            TargetKind::Rollout => format!(
                                "the Rollout is aborted: back to the stable {back}, the gate closes"
                            ),
                            _ => format!("back to {back} that the pods run, resumed"),
                        }
                    ));
                    change(t, format!("gate for {}", g.version), back);
                    replicas_moved += moved_to(w, w.running_version());
                }
                None => {
                    blocked.get_or_insert_with(|| {
                        format!("{} is not waiting at a gate in {name}", t.workload)
                    });
                }
            },
            Action::Rollback {
                to_revision,
                from_version,
                ..
            } => {
                if let Err(why) =
                    super::scope::still_on(from_version.as_deref(), &w.template_version)
                {
                    lines.push(format!("{name}: {why}"));
                    continue;
                }
                let target = match to_revision {
                    Some(n) => w
                        .history
                        .iter()
                        .find(|r| r.number == *n && r.number != w.revision),
                    None => w.rollback_target(),
                };
                match target {
                    Some(r) => {
                        let from = match w.pending_version() {
                            Some(p) => format!(
                                "runs {} (template {p}, rev {})",
                                w.running_label(),
                                w.revision
                            ),
                            None => format!("{} (rev {})", w.template_version, w.revision),
                        };
                        let resumes = if w.paused && t.kind == TargetKind::Deployment {
                            "; the deployment resumes, the gate closes"
                        } else {
                            ""
                        };
                        lines.push(format!(
                            "{name}: {from} → {} (rev {}), {} replicas{resumes}",
                            r.version, r.number, w.desired
                        ));
                        change(t, from, format!("{} (rev {})", r.version, r.number));
                        replicas_moved += moved_to(w, &r.version);
                    }
                    None => {
                        blocked.get_or_insert_with(|| {
                            format!("no earlier revision of {} in {name}", t.workload)
                        });
                    }
                }
            }
            Action::Scale { replicas, .. } => {
                lines.push(format!("{name}: replicas {} → {replicas}", w.desired));
                change(
                    t,
                    format!("{} replicas", w.desired),
                    format!("{replicas} replicas"),
                );
                if let Some(h) = &w.hpa {
                    lines.push(format!(
                        "  note: an HPA ({}..{}) manages it and will pull replicas back within its bounds",
                        h.min, h.max
                    ));
                }
                let delta = *replicas as i64 - w.desired as i64;
                replicas_moved += delta.unsigned_abs() as u32;
                cost_delta = cost_delta
                    .zip(replica_monthly_usd(cluster, w))
                    .map(|(c, per)| c + per * delta as f64);
            }
            Action::ScaleHpa { min, max, .. } => {
                if min > max || *min == 0 {
                    blocked.get_or_insert_with(|| {
                        format!("HPA bounds must be 1 ≤ min ≤ max, not {min}..{max}")
                    });
                }
                match &w.hpa {
                    Some(h) => {
                        lines.push(format!("{name}: HPA {}..{} → {min}..{max}", h.min, h.max));
                        change(
                            t,
                            format!("HPA {}..{}", h.min, h.max),
                            format!("HPA {min}..{max}"),
                        );
                        let per = replica_monthly_usd(cluster, w);
                        cost_delta = cost_delta
                            .zip(per)
                            .map(|(c, per)| c + per * (*max as f64 - h.max as f64));
                    }
                    None => {
                        blocked
                            .get_or_insert_with(|| format!("{} has no HPA in {name}", t.workload));
                    }
                }
            }
            Action::TickChecklist { item, version, .. } => {
                lines.push(format!("{name}: tick \"{item}\" for {version}"));
                change(
                    t,
                    format!("\"{item}\" open for {version}"),
                    format!("\"{item}\" ticked for {version}"),
                );
            }
            // Previewed above, before the workload lookup.
            Action::ScaleNodegroup { .. } => {}
        }
    }
    if let Action::Rollback {
        from_version: Some(v),
        ..
    } = action
    {
        // A production-wide rollback names the prod clusters it leaves alone, and why.
        lines.extend(unchanged_lines(fleet, targets, v));
    }
    let regions: std::collections::BTreeSet<&str> = targets
        .iter()
        .filter_map(|t| {
            fleet
                .clusters()
                .get(&t.cluster)
                .map(|c| c.info.region.as_str())
        })
        .collect();
    if let Action::ScaleNodegroup { .. } = action {
        lines.push(format!(
            "blast radius: {} cluster{} in {} region{}, {nodes_moved} node{} change",
            targets.len(),
            plural(targets.len()),
            regions.len(),
            plural(regions.len()),
            plural(nodes_moved as usize)
        ));
        if shrinks {
            lines.push("  pods on the removed nodes are evicted and rescheduled".into());
        }
    } else if action.is_destructive()
        || matches!(action, Action::Approve { .. } | Action::Reject { .. })
    {
        lines.push(format!(
            "blast radius: {} cluster{} in {} region{}, {replicas_moved} replica{} change",
            targets.len(),
            plural(targets.len()),
            regions.len(),
            plural(regions.len()),
            plural(replicas_moved as usize)
        ));
    }
    if matches!(
        action,
        Action::Scale { .. } | Action::ScaleHpa { .. } | Action::ScaleNodegroup { .. }
    ) {
        lines.push(match cost_delta {
            Some(c) => format!(
                "estimated cost change: {}{}/month",
                if c < 0.0 { "-" } else { "+" },
                money(c.abs())
            ),
            None => "estimated cost change: unknown (no nodegroup prices for this cluster)".into(),
        });
    }
    Preview {
        title: format!("{} {service}", action.name()),
        targets: targets.to_vec(),
        changes,
        lines,
        production,
        // Typed confirmation guards what changes production, not a checklist tick.
        confirm_word: (production && !matches!(action, Action::TickChecklist { .. }))
            .then_some(service),
        blocked,
    }
}

/// One nodegroup's line, its sizes before (`min/desired/max`), the change in nodes (desired),
/// and a node's monthly price when known.
fn preview_nodegroup(
    fleet: &FleetState,
    t: &Target,
    (min, desired, max): (u32, u32, u32),
) -> Result<(String, String, i64, Option<f64>), String> {
    if !(min <= desired && desired <= max) || max == 0 {
        return Err(format!(
            "nodegroup sizes must be min ≤ desired ≤ max (max ≥ 1), not {min}/{desired}/{max}"
        ));
    }
    let c = fleet
        .clusters()
        .get(&t.cluster)
        .ok_or_else(|| format!("{} is gone", t.cluster))?;
    let name = &t.workload.name;
    let ng = c
        .nodegroups
        .iter()
        .find(|g| &g.name == name)
        .ok_or_else(|| format!("{} has no nodegroup {name} that EKS describes", c.info.name))?;
    let line = format!(
        "{}: {name} nodes min/desired/max {}/{}/{} → {min}/{desired}/{max}",
        c.info.name, ng.min, ng.desired, ng.max
    );
    let before = format!("{}/{}/{}", ng.min, ng.desired, ng.max);
    let per_node = (ng.hourly_usd > 0.0).then_some(ng.hourly_usd * HOURS_PER_MONTH);
    Ok((line, before, desired as i64 - ng.desired as i64, per_node))
}

fn env_of<'a>(fleet: &'a FleetState, t: &'a Target) -> &'a str {
    fleet
        .clusters()
        .get(&t.cluster)
        .map_or("", |c| c.info.env.as_str())
}

fn find<'a>(fleet: &'a FleetState, t: &Target) -> Option<(&'a ClusterState, &'a Workload)> {
    let c = fleet.clusters().get(&t.cluster)?;
    Some((c, c.workloads.get(&t.workload)?))
}

/// The production clusters running the targets' service that a rollback of `version` leaves
/// alone: `prod-euw1: unchanged (runs 1.28.8)`.
fn unchanged_lines(fleet: &FleetState, targets: &[Target], version: &str) -> Vec<String> {
    let Some(key) = targets.first().map(|t| &t.workload) else {
        return Vec::new();
    };
    let mut lines = vec![format!("rolling back {version} only where it is deployed:")];
    lines.extend(
        fleet
            .clusters()
            .values()
            .filter(|c| fleet.layout().is_production(&c.info.env))
            .filter(|c| !targets.iter().any(|t| t.cluster == c.info.id))
            .filter_map(|c| {
                let w = c.workloads.get(key)?;
                Some(format!(
                    "{}: unchanged (runs {})",
                    c.info.name,
                    w.running_label()
                ))
            }),
    );
    if lines.len() == 1 {
        lines[0] = format!("rolling back {version} in every production cluster that runs it");
    }
    lines
}

/// Pods that change when `w` goes to `version`: every one not already running it.
fn moved_to(w: &Workload, version: &str) -> u32 {
    let there = w
        .running
        .iter()
        .filter(|r| r.version == version)
        .map(|r| r.pods)
        .sum::<u32>();
    w.desired.saturating_sub(there)
}

/// A replica's monthly cost: its share of a node (the larger of CPU and memory) times the
/// node's price. None when the cluster has no priced nodegroup.
fn replica_monthly_usd(c: &ClusterState, w: &Workload) -> Option<f64> {
    let ng = c.nodegroups.iter().find(|g| g.hourly_usd > 0.0)?;
    let node = c
        .nodes
        .values()
        .find(|n| n.nodegroup == ng.name && n.allocatable_cpu_m > 0 && n.allocatable_mem_mib > 0)?;
    let share = (w.cpu_request_m as f64 / node.allocatable_cpu_m as f64)
        .max(w.mem_request_mib as f64 / node.allocatable_mem_mib as f64);
    Some(share * ng.hourly_usd * HOURS_PER_MONTH)
}

fn money(v: f64) -> String {
    if v >= 100.0 {
        format!("${v:.0}")
    } else {
        format!("${v:.2}")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
