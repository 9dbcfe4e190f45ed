//! Aggregations shared by the screens and `opsdeck snapshot`: one place decides what "healthy",
//! "in progress" and "firing" mean for a cell or a service.

use super::{
    Capacity, ClusterId, ClusterState, FleetState, Health, Revision, RolloutState, RunningVersion,
    SourceStatus, WorkloadKey,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A stage is one (environment, region) cell of the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Stage {
    pub env: String,
    pub region: String,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.env, self.region)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellSummary {
    pub stage: Stage,
    pub production: bool,
    pub clusters: Vec<(String, SourceStatus)>,
    pub services_total: u32,
    pub services_healthy: u32,
    pub rollouts_in_progress: u32,
    pub gates_waiting: u32,
    pub failing: u32,
    pub firing_alarms: u32,
    pub capacity: Capacity,
    pub mtd_usd: Option<f64>,
    /// Worst cluster connection state, as a single word for the cell border.
    pub worst_status: Option<SourceStatus>,
}

impl CellSummary {
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }
}

/// Stages in display order (environment rows, then region columns), only those with clusters.
pub(crate) fn build_stages(fleet: &FleetState) -> Vec<Stage> {
    let mut out = Vec::new();
    for env in &fleet.layout().envs {
        for region in &fleet.layout().regions {
            if fleet.clusters_in(&env.name, region).next().is_some() {
                out.push(Stage {
                    env: env.name.clone(),
                    region: region.clone(),
                });
            }
        }
    }
    out
}

/// One summary per env x region of the layout, including empty cells, row by row.
pub(crate) fn build_cell_summaries(fleet: &FleetState) -> Vec<CellSummary> {
    let mut out = Vec::new();
    for env in &fleet.layout().envs {
        for region in &fleet.layout().regions {
            out.push(cell_summary(fleet, &env.name, region));
        }
    }
    out
}

fn cell_summary(fleet: &FleetState, env: &str, region: &str) -> CellSummary {
    let mut s = CellSummary {
        stage: Stage {
            env: env.into(),
            region: region.into(),
        },
        production: fleet.layout().is_production(env),
        clusters: Vec::new(),
        services_total: 0,
        services_healthy: 0,
        rollouts_in_progress: 0,
        gates_waiting: 0,
        failing: 0,
        firing_alarms: 0,
        capacity: Capacity::default(),
        mtd_usd: fleet.cost().mtd_for(env, region),
        worst_status: None,
    };
    for c in fleet.clusters_in(env, region) {
        s.clusters
            .push((c.info.name.clone(), c.health.status.clone()));
        if s.worst_status
            .as_ref()
            .is_none_or(|w| status_rank(&c.health.status) > status_rank(w))
        {
            s.worst_status = Some(c.health.status.clone());
        }
        for w in c.workloads.values() {
            s.services_total += 1;
            match w.health() {
                Health::Healthy => s.services_healthy += 1,
                Health::Failing => s.failing += 1,
                _ => {}
            }
            if w.rollout == RolloutState::Progressing {
                s.rollouts_in_progress += 1;
            }
            if w.gate.is_some() && w.paused {
                s.gates_waiting += 1;
            }
        }
        let cap = fleet.cluster_derived(c).totals(c);
        s.capacity.allocatable_cpu_m += cap.allocatable_cpu_m;
        s.capacity.allocatable_mem_mib += cap.allocatable_mem_mib;
        s.capacity.requested_cpu_m += cap.requested_cpu_m;
        s.capacity.requested_mem_mib += cap.requested_mem_mib;
        s.capacity.pending_pods += cap.pending_pods;
    }
    s.firing_alarms = fleet
        .all_alarms()
        .filter(|a| a.firing() && a.region == region && a.env.as_deref() == Some(env))
        .count() as u32;
    s
}

/// Worse connection states rank higher.
pub fn status_rank(s: &SourceStatus) -> u8 {
    match s {
        SourceStatus::Live => 0,
        SourceStatus::Connecting => 1,
        SourceStatus::Degraded(_) => 2,
        SourceStatus::Stale(_) => 3,
        SourceStatus::Failed(_) => 4,
    }
}

/// One running copy of a service in one cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    pub stage: Stage,
    pub cluster: ClusterId,
    pub health: Health,
    pub ready: u32,
    pub desired: u32,
    /// What the pods run (the stable version while a rollout or gate is under way).
    pub version: String,
    /// Every version that runs, with its available pods, newest revision first.
    pub running: Vec<RunningVersion>,
    /// The template's version while it is not yet what runs: held at a gate or rolling out.
    pub pending_version: Option<String>,
    /// Known revisions, newest first: what a rollback could go to.
    pub revisions: Vec<Revision>,
    pub gated: bool,
}

/// A service across the fleet: its instances in stage order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRow {
    pub key: WorkloadKey,
    pub team: Option<String>,
    /// Shared with the cluster's derived share (`ClusterDerived::instances`): rebuilding the
    /// rows after one cluster changed copies no other cluster's instance.
    pub instances: Vec<Arc<Instance>>,
    pub worst: Health,
    pub firing_alarms: u32,
    pub restarts: u32,
}

impl ServiceRow {
    pub fn instance_at(&self, stage: &Stage) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| &i.stage == stage)
            .map(|i| &**i)
    }
    /// Distinct versions, in stage order: more than one means drift between stages.
    pub fn versions(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for i in &self.instances {
            if !v.contains(&i.version.as_str()) {
                v.push(&i.version);
            }
        }
        v
    }
}

/// One cluster's workloads as service instances, in key order.
pub(crate) fn cluster_instances(c: &ClusterState) -> Vec<super::derived::ClusterInstance> {
    let stage = Stage {
        env: c.info.env.clone(),
        region: c.info.region.clone(),
    };
    c.workloads
        .values()
        .map(|w| super::derived::ClusterInstance {
            key: w.key.clone(),
            team: w.team.clone(),
            instance: Arc::new(Instance {
                stage: stage.clone(),
                cluster: c.info.id.clone(),
                health: w.health(),
                ready: w.ready,
                desired: w.desired,
                version: w.running_version().to_string(),
                running: w.running.clone(),
                pending_version: w.pending_version().map(str::to_string),
                revisions: w.history.clone(),
                gated: w.gate.is_some() && w.paused,
            }),
        })
        .collect()
}

/// Every service in the fleet, sorted by namespace/name: assembled from each cluster's
/// instances (`ClusterDerived::instances`, kept until that cluster's workloads change).
pub(crate) fn build_service_rows(fleet: &FleetState) -> Vec<ServiceRow> {
    let order: BTreeMap<&Stage, usize> = fleet
        .stages()
        .iter()
        .enumerate()
        .map(|(i, s)| (s, i))
        .collect();
    let shares: Vec<_> = fleet
        .clusters()
        .values()
        .map(|c| (c, fleet.cluster_derived(c)))
        .collect();
    let mut rows: BTreeMap<&WorkloadKey, ServiceRow> = BTreeMap::new();
    for (c, share) in &shares {
        for ci in share.instances(c) {
            let row = rows.entry(&ci.key).or_insert_with(|| ServiceRow {
                key: ci.key.clone(),
                team: ci.team.clone(),
                instances: Vec::new(),
                worst: Health::Healthy,
                firing_alarms: 0,
                restarts: 0,
            });
            row.worst = row.worst.max(ci.instance.health);
            row.restarts = row
                .restarts
                .saturating_add(share.pods_of(c, &ci.key).restarts);
            row.instances.push(ci.instance.clone());
        }
    }
    let mut out: Vec<ServiceRow> = rows.into_values().collect();
    for row in &mut out {
        row.instances
            .sort_by_key(|i| order.get(&i.stage).copied().unwrap_or(usize::MAX));
        row.firing_alarms = fleet
            .all_alarms()
            .filter(|a| a.firing() && a.service.as_deref() == Some(row.key.name.as_str()))
            .count() as u32;
    }
    out
}
