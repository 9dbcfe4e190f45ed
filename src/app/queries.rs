//! Derivations shared by `update` and `view`, so the two can never disagree: the release shown,
//! the service a name means, what a source's data is worth, the palette's matches. The list
//! screens' rows are in `super::screens`, one module per screen.

use super::state::{State, View};
use crate::app::Intent;
use crate::domain::{
    Alert, AlertOrigin, ClusterId, Freshness, PipelineRow, SourceHealth, SourceStatus, Stage,
    Timestamp, WorkloadKey,
};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// The release shown by the release detail, and its selected stage (an index into the row's
/// present stages): the user's choice, else the stage the release is about.
pub fn release(state: &State) -> Option<(&PipelineRow, usize)> {
    let View::Release(key) = state.view() else {
        return None;
    };
    let row = state.fleet.pipeline_row(key)?;
    let len = row.present().count();
    let index = match state.ui.release_selected {
        Some(i) => selected_index(i, len)?,
        None => row.focus(),
    };
    Some((row, index))
}

/// A stored selection as an index into a list of `len` rows: the list may have shrunk since the
/// selection was made (data changed), so it is clamped where it is read. None for an empty list.
pub fn selected_index(selected: usize, len: usize) -> Option<usize> {
    (len > 0).then(|| selected.min(len - 1))
}

/// The service shown by the detail screen, if it still exists.
pub fn detail_key(state: &State) -> Option<&WorkloadKey> {
    match state.view() {
        View::ServiceDetail(key) => Some(key),
        _ => None,
    }
}

/// The workload a service name (and namespace, when known) refers to, and the index of its
/// instance in `stage` (for opening the service detail there).
pub fn find_service(
    state: &State,
    namespace: Option<&str>,
    name: &str,
    stage: Option<&Stage>,
) -> Option<(WorkloadKey, usize)> {
    let row = state
        .fleet
        .service_rows()
        .iter()
        .find(|r| r.key.name == name && namespace.is_none_or(|ns| r.key.namespace == ns))?;
    let index = stage
        .and_then(|s| row.instances.iter().position(|i| &i.stage == s))
        .unwrap_or(0);
    Some((row.key.clone(), index))
}

/// What a source's data is worth now (`SourceHealth::freshness` at the state's clock and
/// `stale_after_secs`).
pub fn freshness(state: &State, health: &SourceHealth) -> Freshness {
    health.freshness(state.now, state.settings.stale_after_secs)
}

/// The one question every list screen asks of a row's cluster: is what we show of it no longer
/// current (stale, or failed after data), and how old is it? None: current, or unknown cluster.
pub fn cluster_stale_age(state: &State, cluster: &ClusterId) -> Option<i64> {
    let c = state.fleet.clusters().get(cluster)?;
    freshness(state, &c.health).stale_age()
}

/// The oldest stale data among a stage's clusters (see [`cluster_stale_age`]).
pub fn stage_stale_age(state: &State, stage: &Stage) -> Option<i64> {
    state
        .fleet
        .clusters_in(&stage.env, &stage.region)
        .filter_map(|c| cluster_stale_age(state, &c.info.id))
        .max()
}

/// An alert's staleness: its cluster's, or for an alarm the alarm sources' of its account and
/// region (see [`cluster_stale_age`]).
pub fn alert_stale_age(state: &State, alert: &Alert) -> Option<i64> {
    match &alert.origin {
        AlertOrigin::Cluster { cluster } => cluster_stale_age(state, cluster),
        AlertOrigin::Alarm { .. } => state
            .fleet
            .alarms()
            .iter()
            .filter(|(_, alarms)| {
                alarms
                    .iter()
                    .any(|a| a.name == alert.title && a.region == alert.region)
            })
            .filter_map(|(source, _)| state.fleet.alarm_health.get(source))
            .filter_map(|h| freshness(state, h).stale_age())
            .max(),
    }
}

/// One row of the Sources view: a source the console reads, and what its data is worth.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// `cluster`, `EKS`, `alarms`, `metrics`, `cost`.
    pub kind: &'static str,
    pub name: String,
    pub freshness: Freshness,
    pub last_data: Option<Timestamp>,
    pub next_retry: Option<Timestamp>,
}

/// Every source in the state: each cluster, then each cluster's EKS discovery and metrics,
/// the alarm sources and cost; in that order, by name within each kind.
pub fn source_rows(state: &State) -> Vec<SourceRow> {
    let fleet = &state.fleet;
    let row = |kind, name: String, h: &SourceHealth| SourceRow {
        kind,
        name,
        freshness: freshness(state, h),
        last_data: h.last_data,
        next_retry: h.next_retry,
    };
    let mut out: Vec<SourceRow> = fleet
        .clusters()
        .values()
        .map(|c| row("cluster", c.info.name.clone(), &c.health))
        .collect();
    out.extend(fleet.clusters().values().filter_map(|c| {
        let h = c.nodegroup_health.as_ref()?;
        Some(row("EKS", c.info.name.clone(), h))
    }));
    out.extend(fleet.metrics.iter().map(|(id, m)| {
        let name = fleet
            .clusters()
            .get(id)
            .map_or_else(|| id.to_string(), |c| c.info.name.clone());
        row("metrics", name, &m.health)
    }));
    out.extend(
        fleet
            .alarm_health
            .iter()
            .map(|(name, h)| row("alarms", name.clone(), h)),
    );
    out.extend(
        fleet
            .cost_health
            .iter()
            .map(|h| row("cost", "Cost Explorer".into(), h)),
    );
    out
}

/// Kinds of source a screen reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Clusters,
    Alarms,
    Cost,
}

/// One source a screen reads, as the screen reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    pub kind: SourceKind,
    pub name: String,
    pub health: SourceHealth,
    /// Failed, stale, degraded, or live but silent for longer than `stale_after_secs`.
    pub trouble: bool,
}

/// The sources of the given kinds, for a screen's data-age line and its loading / error states.
pub fn source_reports(state: &State, kinds: &[SourceKind]) -> Vec<SourceReport> {
    let fleet = &state.fleet;
    let mut out = Vec::new();
    let mut add = |kind, name: String, health: &SourceHealth| {
        let trouble = health.is_stale(state.now, state.settings.stale_after_secs)
            || matches!(health.status, SourceStatus::Degraded(_));
        out.push(SourceReport {
            kind,
            name,
            health: health.clone(),
            trouble,
        });
    };
    for kind in kinds {
        match kind {
            SourceKind::Clusters => {
                for c in fleet.clusters().values() {
                    add(*kind, c.info.name.clone(), &c.health);
                }
            }
            SourceKind::Alarms => {
                for (name, h) in &fleet.alarm_health {
                    add(*kind, format!("alarms {name}"), h);
                }
            }
            SourceKind::Cost => {
                if let Some(h) = &fleet.cost_health {
                    add(*kind, "cost".into(), h);
                }
            }
        }
    }
    out
}

/// A palette entry: an action and how well it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    pub action: Intent,
    pub score: u32,
}

/// Palette actions matching the query by name or alias (fuzzy), best first.
pub fn palette_items(keymap: &crate::keymap::Keymap, query: &str) -> Vec<PaletteItem> {
    let candidates = Intent::ALL
        .iter()
        .copied()
        .filter(|a| keymap.about(*a).palette);
    let query = query.trim();
    if query.is_empty() {
        return candidates
            .map(|action| PaletteItem { action, score: 0 })
            .collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut items: Vec<PaletteItem> = candidates
        .filter_map(|action| {
            let aliases = keymap.about(action).aliases.iter().map(String::as_str);
            let names = std::iter::once(action.name()).chain(aliases);
            let best = names
                .filter_map(|n| {
                    // An exact alias outranks any fuzzy hit.
                    if n == query {
                        Some(u32::MAX)
                    } else {
                        pattern.score(Utf32Str::new(n, &mut buf), &mut matcher)
                    }
                })
                .max()?;
            Some(PaletteItem {
                action,
                score: best,
            })
        })
        .collect();
    items.sort_by(|a, b| b.score.cmp(&a.score).then(a.action.cmp(&b.action)));
    items
}

/// The service instances whose metrics the console shows: every cluster running the open
/// service detail's workload (none elsewhere). The metrics collectors ask CloudWatch for these.
pub fn metric_targets(state: &State) -> Vec<(crate::domain::ClusterId, WorkloadKey)> {
    let Some(key) = detail_key(state) else {
        return Vec::new();
    };
    state
        .fleet
        .clusters()
        .values()
        .filter(|c| c.workloads.contains_key(key))
        .map(|c| (c.info.id.clone(), key.clone()))
        .collect()
}
