//! Derived lists shared by `update` (selection bounds, what `enter` opens) and `view` (what is
//! drawn), so the two can never disagree about which row is which. Each applies its screen's
//! `/` filter and sort order to a pure derivation from `crate::domain`.

use super::filter::{Fields, ListFilter};
use super::state::{
    AlertSort, CapacitySort, CostSort, PipelineSort, ServiceSort, State, TimelineSort, View,
};
use crate::app::Intent;
use crate::domain::{
    Alert, AlertOrigin, Change, ClusterCapacity, ClusterId, CostRow, CostScope, Freshness,
    PipelineRow, ServiceRow, SourceHealth, SourceStatus, Stage, Timestamp, WorkloadKey, cost_rows,
};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// Services after the `/` filter (fuzzy, over namespace/name and team), in the chosen order.
pub fn visible_services(state: &State) -> Vec<&ServiceRow> {
    let mut rows: Vec<&ServiceRow> = state.fleet.service_rows().iter().collect();
    if let Some(stage) = &state.ui.services_stage {
        rows.retain(|r| r.instance_at(stage).is_some());
    }
    ListFilter::new(&state.ui.services_filter).retain(&mut rows, |r| Fields {
        service: Some(&r.key.name),
        text: format!("{} {}", r.key, r.team.as_deref().unwrap_or("")),
        ..Fields::default()
    });
    match state.ui.services_sort {
        ServiceSort::Name => {}
        ServiceSort::Health => {
            rows.sort_by(|a, b| b.worst.cmp(&a.worst).then_with(|| a.key.cmp(&b.key)))
        }
        ServiceSort::Team => {
            rows.sort_by(|a, b| a.team.cmp(&b.team).then_with(|| a.key.cmp(&b.key)))
        }
        ServiceSort::Restarts => {
            rows.sort_by(|a, b| b.restarts.cmp(&a.restarts).then_with(|| a.key.cmp(&b.key)))
        }
    }
    rows
}

/// Pipelines after the filter (service, namespace, team, versions), in the chosen order.
pub fn visible_pipelines(state: &State) -> Vec<&PipelineRow> {
    let ui = &state.ui.pipelines;
    let mut rows: Vec<&PipelineRow> = state.fleet.pipeline_rows().iter().collect();
    ListFilter::new(&ui.filter).retain(&mut rows, |r| {
        let versions: Vec<&str> = r.present().map(|s| s.version.as_str()).collect();
        Fields {
            service: Some(&r.key.name),
            text: format!(
                "{} {} {}",
                r.key,
                r.team.as_deref().unwrap_or(""),
                versions.join(" ")
            ),
            ..Fields::default()
        }
    });
    match ui.sort {
        PipelineSort::Name => {}
        PipelineSort::Attention => rows.sort_by(|a, b| {
            b.attention()
                .cmp(&a.attention())
                .then_with(|| a.key.cmp(&b.key))
        }),
        PipelineSort::Drift => rows.sort_by(|a, b| {
            b.version_count()
                .cmp(&a.version_count())
                .then_with(|| a.key.cmp(&b.key))
        }),
        PipelineSort::Team => {
            rows.sort_by(|a, b| a.team.cmp(&b.team).then_with(|| a.key.cmp(&b.key)))
        }
    }
    rows
}

/// Alerts after the filter, in the chosen order (the default is the domain's urgency order).
pub fn visible_alerts(state: &State) -> Vec<Alert> {
    let ui = &state.ui.alerts;
    let mut rows = state.fleet.alerts(state.now).into_owned();
    ListFilter::new(&ui.filter).retain(&mut rows, |a| Fields {
        env: a.env.as_deref(),
        region: Some(&a.region),
        service: a.service.as_deref(),
        text: format!(
            "{} {} {} {} {} {}",
            a.severity.label(),
            a.env.as_deref().unwrap_or(""),
            a.region,
            a.service.as_deref().unwrap_or(""),
            a.title,
            a.detail
        ),
    });
    let order = stage_order(state);
    match ui.sort {
        AlertSort::Severity => {}
        AlertSort::Newest => rows.sort_by_key(|a| std::cmp::Reverse(a.since)),
        AlertSort::Stage => rows.sort_by(|a, b| {
            order(a.stage().as_ref())
                .cmp(&order(b.stage().as_ref()))
                .then_with(|| a.service.cmp(&b.service))
                .then(b.severity.cmp(&a.severity))
        }),
        AlertSort::Service => rows.sort_by(|a, b| {
            a.service
                .cmp(&b.service)
                .then_with(|| order(a.stage().as_ref()).cmp(&order(b.stage().as_ref())))
                .then(b.severity.cmp(&a.severity))
        }),
    }
    rows
}

/// Clusters' capacity after the filter (cluster, env/region, nodegroups), in the chosen order.
pub fn visible_capacity(state: &State) -> Vec<&ClusterCapacity> {
    let ui = &state.ui.capacity;
    let mut rows: Vec<&ClusterCapacity> = state.fleet.cluster_capacities().iter().collect();
    ListFilter::new(&ui.filter).retain(&mut rows, |c| {
        let groups: Vec<String> = c
            .nodegroups
            .iter()
            .map(|g| format!("{} {}", g.name, g.instance_type))
            .collect();
        Fields {
            env: Some(&c.stage.env),
            region: Some(&c.stage.region),
            service: None,
            text: format!("{} {} {}", c.name, c.stage, groups.join(" ")),
        }
    });
    match ui.sort {
        CapacitySort::Stage => {}
        CapacitySort::Fullest => rows.sort_by_key(|c| std::cmp::Reverse(c.used_pct())),
        CapacitySort::Pending => rows.sort_by_key(|c| std::cmp::Reverse(c.pending_pods)),
    }
    rows
}

/// The capacity screen's lines: each cluster, then its nodegroups. `(cluster, nodegroup)`
/// indices into `visible_capacity`; the selection moves over these.
pub fn capacity_lines(clusters: &[&ClusterCapacity]) -> Vec<(usize, Option<usize>)> {
    clusters
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            std::iter::once((i, None)).chain((0..c.nodegroups.len()).map(move |g| (i, Some(g))))
        })
        .collect()
}

/// Cost rows after the filter, in the chosen order.
pub fn visible_cost_rows(state: &State) -> Vec<CostRow> {
    let ui = &state.ui.cost;
    let mut rows = cost_rows(state.fleet.cost(), state.fleet.layout());
    ListFilter::new(&ui.filter).retain(&mut rows, |r| {
        let (env, region, service) = match &r.scope {
            CostScope::Env { env } => (Some(env.as_str()), None, None),
            CostScope::Cell { env, region } => (Some(env.as_str()), Some(region.as_str()), None),
            CostScope::Service { name } => (None, None, Some(name.as_str())),
            CostScope::Fleet => (None, None, None),
        };
        Fields {
            env,
            region,
            service,
            text: r.scope.to_string(),
        }
    });
    let desc = |f: fn(&CostRow) -> f64| move |a: &CostRow, b: &CostRow| f(b).total_cmp(&f(a));
    match ui.sort {
        CostSort::Scope => {}
        CostSort::Spend => rows.sort_by(desc(|r| r.mtd)),
        CostSort::Forecast => rows.sort_by(desc(|r| r.forecast_month_end)),
        CostSort::Change => rows.sort_by(desc(|r| r.change7().unwrap_or(0.0).abs())),
    }
    rows
}

/// The timeline: changes within the time window, after the filter, in the chosen order.
pub fn visible_changes(state: &State) -> Vec<&Change> {
    let ui = &state.ui.timeline;
    let window = state.ui.timeline_window.secs();
    let mut rows: Vec<&Change> = state
        .fleet
        .changes
        .iter()
        .filter(|c| window.is_none_or(|w| (state.now - c.at).get_seconds() <= w))
        .collect();
    ListFilter::new(&ui.filter).retain(&mut rows, |c| Fields {
        env: c.env.as_deref(),
        region: c.region.as_deref(),
        service: c.service.as_deref(),
        text: format!(
            "{} {} {} {} {}",
            c.env.as_deref().unwrap_or(""),
            c.region.as_deref().unwrap_or(""),
            c.service.as_deref().unwrap_or(""),
            c.kind.label(),
            c.kind.describe()
        ),
    });
    // Newest first is the base order; a stable sort keeps it within groups.
    rows.sort_by_key(|c| std::cmp::Reverse(c.at));
    match ui.sort {
        TimelineSort::Newest => {}
        TimelineSort::Oldest => rows.reverse(),
        TimelineSort::Service => rows.sort_by(|a, b| a.service.cmp(&b.service)),
        TimelineSort::Kind => rows.sort_by_key(|c| c.kind.label()),
    }
    rows
}

/// Position of a stage in the layout's order (unknown stages last), for grouping.
fn stage_order(state: &State) -> impl Fn(Option<&Stage>) -> usize {
    let order = state.fleet.stages();
    move |s| {
        s.and_then(|s| order.iter().position(|o| o == s))
            .unwrap_or(usize::MAX)
    }
}

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

/// How many rows the current view's list has (for moving the selection).
pub fn list_len(state: &State) -> usize {
    match state.view() {
        View::Overview => 0,
        View::Services => visible_services(state).len(),
        View::ServiceDetail(key) => state
            .fleet
            .service_row(key)
            .map_or(0, |r| r.instances.len()),
        View::Pipelines => visible_pipelines(state).len(),
        View::Release(_) => release(state).map_or(0, |(r, _)| r.present().count()),
        View::Alerts => visible_alerts(state).len(),
        View::Capacity => capacity_lines(&visible_capacity(state)).len(),
        View::Cost => visible_cost_rows(state).len(),
        View::Timeline => visible_changes(state).len(),
        View::Activity => super::activity::activity_rows(state).len(),
        View::Sources => source_rows(state).len(),
    }
}

/// The current view's `/` filter, for views that have a filtered list.
pub fn list_filter(state: &State) -> Option<&str> {
    let ui = &state.ui;
    let filter = match state.view() {
        View::Services => &ui.services_filter,
        View::Pipelines => &ui.pipelines.filter,
        View::Alerts => &ui.alerts.filter,
        View::Capacity => &ui.capacity.filter,
        View::Cost => &ui.cost.filter,
        View::Timeline => &ui.timeline.filter,
        View::Overview
        | View::ServiceDetail(_)
        | View::Release(_)
        | View::Activity
        | View::Sources => {
            return None;
        }
    };
    Some(filter)
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
