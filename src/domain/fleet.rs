//! The whole fleet: environments x regions, the clusters in each cell, alarms and cost.

use super::derived::{ClusterDerived, Derived};
use super::{
    Alarm, Alert, CellSummary, Change, ChangeLog, ClusterCapacity, ClusterId, ClusterState,
    CostReport, PipelineRow, ServiceRow, SourceHealth, Stage, Timestamp, WorkloadKey,
    alarm_changes, cluster_changes, workload_changes,
};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvInfo {
    pub name: String,
    pub production: bool,
    pub read_only: bool,
    /// The order a release goes through this environment's regions: each wave a set of
    /// regions, every wave after the previous one. Empty: the regions are parallel (none is an
    /// earlier stage of another).
    pub waves: Vec<Vec<String>>,
}

impl EnvInfo {
    /// The wave `region` is in (0 first), None when the waves do not name it.
    pub fn wave_of(&self, region: &str) -> Option<usize> {
        self.waves
            .iter()
            .position(|w| w.iter().any(|r| r == region))
    }
}

/// Rows (environments) and columns (regions) of the overview, in display order.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct FleetLayout {
    pub name: String,
    pub envs: Vec<EnvInfo>,
    pub regions: Vec<String>,
}

impl FleetLayout {
    pub fn env(&self, name: &str) -> Option<&EnvInfo> {
        self.envs.iter().find(|e| e.name == name)
    }
    pub fn is_production(&self, env: &str) -> bool {
        self.env(env).is_some_and(|e| e.production)
    }
}

/// What a source sends. Each message carries owned data; the UI task applies it in `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceUpdate {
    Layout(FleetLayout),
    /// Replace everything known about one cluster.
    Cluster(Box<ClusterState>),
    /// What changed in one cluster since its previous delta (watch-based collectors).
    ClusterDelta(Box<super::ClusterDelta>),
    ClusterHealth {
        cluster: ClusterId,
        health: SourceHealth,
    },
    /// Replace the alarms reported by one alarm source (e.g. one account/region).
    Alarms {
        source: String,
        alarms: Vec<Alarm>,
        health: SourceHealth,
    },
    Cost {
        report: Box<CostReport>,
        health: SourceHealth,
    },
    /// CloudWatch series for some services of one cluster (the sparklines).
    Metrics(Box<super::MetricsUpdate>),
}

/// Aggregated state of the fleet, owned by the UI task.
///
/// The layout, clusters, alarms and cost are read through methods and changed only through
/// `apply` or the `*_mut` methods, because the rows the screens derive from them are kept until
/// they change (`derived`): a change that bypassed those methods would leave stale rows.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FleetState {
    layout: FleetLayout,
    clusters: BTreeMap<ClusterId, ClusterState>,
    /// Alarms by source.
    alarms: BTreeMap<String, Vec<Alarm>>,
    pub alarm_health: BTreeMap<String, SourceHealth>,
    cost: CostReport,
    pub cost_health: Option<SourceHealth>,
    /// What changed since the console started (deploys, scaling, gates, alarms), bounded.
    /// Filled by `apply` from the differences between a source's consecutive reports.
    pub changes: ChangeLog,
    /// Metric series per cluster (sparklines); not in snapshots.
    #[serde(skip)]
    pub metrics: BTreeMap<ClusterId, super::ClusterMetrics>,
    /// Rows derived from the above, kept until it changes (`super::derived`).
    #[serde(skip)]
    derived: Derived,
}

impl FleetState {
    /// Apply one source update. Returns whether anything changed (so the UI can skip a redraw).
    pub fn apply(&mut self, update: SourceUpdate) -> bool {
        let mut reach = Reach::of(&update);
        let changed = self.apply_update(update, &mut reach);
        if changed {
            match reach {
                Reach::Nothing => {}
                Reach::Cells => self.derived.forget_cells(),
                Reach::Cluster(id) => self.derived.forget_cluster(&id),
                Reach::ClusterPods(id) => self.derived.forget_cluster_pods(&id),
                Reach::Fleet => self.derived.forget_fleet(),
                Reach::All => self.derived = Derived::default(),
            }
        }
        changed
    }

    /// Apply the update; narrows `reach` to what it really changed where that is known only
    /// after applying it (a delta whose workloads all equal the ones held).
    fn apply_update(&mut self, update: SourceUpdate, reach: &mut Reach) -> bool {
        match update {
            SourceUpdate::Layout(layout) => replace(&mut self.layout, layout),
            SourceUpdate::Cluster(cluster) => {
                let id = cluster.info.id.clone();
                // A cluster's first data is a baseline, not a list of changes.
                let changes = match self.clusters.get(&id) {
                    Some(old) if old.health.last_data.is_some() => {
                        let at = cluster.health.last_data.or(old.health.last_data);
                        at.map(|at| cluster_changes(old, &cluster, at))
                            .unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                let changed = match self.clusters.get_mut(&id) {
                    Some(existing) => replace(existing, *cluster),
                    None => {
                        self.clusters.insert(id, *cluster);
                        true
                    }
                };
                self.record_changes(changes);
                changed
            }
            SourceUpdate::ClusterDelta(delta) => {
                // A delta for a cluster never announced: the source is confused; ignore it
                // rather than invent a cluster without its env and region.
                let Some(c) = self.clusters.get_mut(&delta.cluster) else {
                    return false;
                };
                // As for whole clusters, the first data is a baseline, not changes.
                let baseline = c.health.last_data;
                let at = delta.health.as_ref().and_then(|h| h.last_data).or(baseline);
                let id = delta.cluster.clone();
                let mut changes = Vec::new();
                let mut workloads_changed = false;
                let changed = c.apply_delta(*delta, |old, new| {
                    workloads_changed = true;
                    if let (Some(_), Some(at)) = (baseline, at) {
                        changes.extend(workload_changes(&id, old, new, at));
                    }
                });
                if !workloads_changed && matches!(reach, Reach::Cluster(_)) {
                    *reach = Reach::ClusterPods(id.clone());
                }
                self.record_changes(changes);
                changed
            }
            SourceUpdate::ClusterHealth { cluster, health } => {
                match self.clusters.get_mut(&cluster) {
                    Some(c) => replace(&mut c.health, health),
                    None => false,
                }
            }
            SourceUpdate::Alarms {
                source,
                alarms,
                health,
            } => {
                let a = match self.alarms.get_mut(&source) {
                    Some(existing) => {
                        let changes = alarm_changes(existing, &alarms);
                        let changed = replace(existing, alarms);
                        self.record_changes(changes);
                        changed
                    }
                    None => {
                        self.alarms.insert(source.clone(), alarms);
                        true
                    }
                };
                let h = replace(
                    self.alarm_health
                        .entry(source)
                        .or_insert_with(SourceHealth::connecting),
                    health,
                );
                a || h
            }
            SourceUpdate::Cost { report, health } => {
                let r = replace(&mut self.cost, *report);
                let h = self.cost_health.as_ref() != Some(&health);
                self.cost_health = Some(health);
                r || h
            }
            SourceUpdate::Metrics(update) => {
                let super::MetricsUpdate {
                    cluster,
                    services,
                    health,
                } = *update;
                match self.metrics.get_mut(&cluster) {
                    Some(m) => m.merge(services, health),
                    None => {
                        self.metrics
                            .insert(cluster, super::ClusterMetrics { services, health });
                        true
                    }
                }
            }
        }
    }

    /// Append changes to the log, placing workload changes in their cluster's env and region.
    /// Sources that apply deltas call this with `workload_changes` for each workload they touch,
    /// once the cluster has delivered data before (its first data is a baseline, not changes:
    /// `health.last_data` is None until then).
    pub fn record_changes(&mut self, changes: Vec<Change>) {
        for mut c in changes {
            if let Some(info) = c.cluster.as_ref().and_then(|id| self.clusters.get(id)) {
                c.env.get_or_insert_with(|| info.info.env.clone());
                c.region.get_or_insert_with(|| info.info.region.clone());
            }
            self.changes.push(c);
        }
    }

    pub fn layout(&self) -> &FleetLayout {
        &self.layout
    }

    pub fn clusters(&self) -> &BTreeMap<ClusterId, ClusterState> {
        &self.clusters
    }

    /// Alarms by source.
    pub fn alarms(&self) -> &BTreeMap<String, Vec<Alarm>> {
        &self.alarms
    }

    pub fn cost(&self) -> &CostReport {
        &self.cost
    }

    /// The clusters, to change in place (tests, tools); what was derived from them is forgotten.
    pub fn clusters_mut(&mut self) -> &mut BTreeMap<ClusterId, ClusterState> {
        self.derived = Derived::default();
        &mut self.clusters
    }

    /// The layout, to change in place; what was derived from it is forgotten.
    pub fn layout_mut(&mut self) -> &mut FleetLayout {
        self.derived = Derived::default();
        &mut self.layout
    }

    /// The alarms by source, to change in place; what was derived from them is forgotten.
    pub fn alarms_mut(&mut self) -> &mut BTreeMap<String, Vec<Alarm>> {
        self.derived = Derived::default();
        &mut self.alarms
    }

    /// The cost report, to change in place; what was derived from it is forgotten.
    pub fn cost_mut(&mut self) -> &mut CostReport {
        self.derived = Derived::default();
        &mut self.cost
    }

    /// The console's clock moved: alerts (which depend on the time) are derived again on use.
    pub fn clock_moved(&mut self) {
        self.derived.forget_timed();
    }

    /// One cluster's share of the derived rows (its capacity, its workloads' pod counts).
    pub fn cluster_derived(&self, c: &ClusterState) -> Arc<ClusterDerived> {
        self.derived
            .cluster(c, self.layout.is_production(&c.info.env))
    }

    /// Stages in display order (environment rows, then region columns), only those with
    /// clusters.
    pub fn stages(&self) -> &[Stage] {
        self.derived
            .stages
            .get_or_init(|| super::summary::build_stages(self))
    }

    /// Every service in the fleet, sorted by namespace/name.
    pub fn service_rows(&self) -> &[ServiceRow] {
        self.derived
            .services
            .get_or_init(|| super::summary::build_service_rows(self))
    }

    /// One service's row.
    pub fn service_row(&self, key: &WorkloadKey) -> Option<&ServiceRow> {
        find_sorted(self.service_rows(), key, |r| &r.key)
    }

    /// One service's pipeline row.
    pub fn pipeline_row(&self, key: &WorkloadKey) -> Option<&PipelineRow> {
        find_sorted(self.pipeline_rows(), key, |r| &r.key)
    }

    /// How many distinct services the fleet runs.
    pub fn service_count(&self) -> usize {
        self.service_rows().len()
    }

    /// A pipeline row per service, sorted by namespace/name.
    pub fn pipeline_rows(&self) -> &[PipelineRow] {
        self.derived
            .pipelines
            .get_or_init(|| super::pipeline::build_pipeline_rows(self))
    }

    /// Every cluster's capacity, in stage order.
    pub fn cluster_capacities(&self) -> &[ClusterCapacity] {
        self.derived
            .capacities
            .get_or_init(|| super::capacity::build_cluster_capacities(self))
    }

    /// One summary per env x region of the layout, including empty cells, row by row.
    pub fn cell_summaries(&self) -> &[CellSummary] {
        self.derived
            .cells
            .get_or_init(|| super::summary::build_cell_summaries(self))
    }

    /// The summary of one cell of the layout.
    pub fn cell_summary(&self, env: &str, region: &str) -> Option<&CellSummary> {
        self.cell_summaries()
            .iter()
            .find(|c| c.stage.env == env && c.stage.region == region)
    }

    /// Every alert in the fleet at `now`, most urgent first (see `alerts::build_alerts`).
    pub fn alerts(&self, now: Timestamp) -> Cow<'_, [Alert]> {
        let (at, alerts) = self
            .derived
            .alerts
            .get_or_init(|| (now, super::alerts::build_alerts(self, now)));
        if *at == now {
            Cow::Borrowed(alerts)
        } else {
            // Asked for another time than the one kept (the clock moved without
            // `clock_moved`): derive afresh rather than answer for the wrong time.
            Cow::Owned(super::alerts::build_alerts(self, now))
        }
    }

    pub fn all_alarms(&self) -> impl Iterator<Item = &Alarm> {
        self.alarms.values().flatten()
    }

    /// Clusters in one overview cell.
    pub fn clusters_in<'a>(
        &'a self,
        env: &'a str,
        region: &'a str,
    ) -> impl Iterator<Item = &'a ClusterState> + 'a {
        self.clusters
            .values()
            .filter(move |c| c.info.env == env && c.info.region == region)
    }

    /// Every health record, for the header: clusters, alarm sources and cost.
    pub fn source_healths(&self) -> Vec<(String, &SourceHealth)> {
        let mut v: Vec<(String, &SourceHealth)> = self
            .clusters
            .values()
            .map(|c| (c.info.name.clone(), &c.health))
            .collect();
        v.extend(
            self.alarm_health
                .iter()
                .map(|(k, h)| (format!("alarms {k}"), h)),
        );
        if let Some(h) = &self.cost_health {
            v.push(("cost".to_string(), h));
        }
        v
    }

    /// Newest data time across sources.
    pub fn newest_data(&self) -> Option<Timestamp> {
        self.source_healths()
            .iter()
            .filter_map(|(_, h)| h.last_data)
            .max()
    }
}

/// What an update can change among the derived rows, so `apply` forgets no more than that.
enum Reach {
    /// Metric series: the sparklines read them directly.
    Nothing,
    /// Connection states and cost: only the overview cells show them.
    Cells,
    /// One cluster's data: its share, and everything across clusters.
    Cluster(ClusterId),
    /// One cluster's pods, nodes or events, none of its workloads: its share but for its
    /// service instances, and everything across clusters.
    ClusterPods(ClusterId),
    /// Alarms: service rows, cells and alerts, but no cluster's share.
    Fleet,
    /// The layout: stages, production flags, everything.
    All,
}

impl Reach {
    fn of(update: &SourceUpdate) -> Reach {
        match update {
            SourceUpdate::Layout(_) => Reach::All,
            SourceUpdate::Cluster(c) => Reach::Cluster(c.info.id.clone()),
            // A collector's health-only delta (its liveness probe) arrives every few seconds
            // per cluster; it must not cost a re-derivation of the fleet.
            SourceUpdate::ClusterDelta(d) if d.only_health() => Reach::Cells,
            SourceUpdate::ClusterDelta(d) => Reach::Cluster(d.cluster.clone()),
            SourceUpdate::ClusterHealth { .. } | SourceUpdate::Cost { .. } => Reach::Cells,
            SourceUpdate::Alarms { .. } => Reach::Fleet,
            SourceUpdate::Metrics(_) => Reach::Nothing,
        }
    }
}

/// The row with `key` in rows sorted by it.
fn find_sorted<'a, T>(
    rows: &'a [T],
    key: &WorkloadKey,
    key_of: impl Fn(&T) -> &WorkloadKey,
) -> Option<&'a T> {
    let i = rows.binary_search_by(|r| key_of(r).cmp(key)).ok()?;
    Some(&rows[i])
}

fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        false
    } else {
        *slot = value;
        true
    }
}
