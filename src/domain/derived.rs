//! What the screens derive from the fleet's data (stages, service and pipeline rows, cluster
//! capacities, overview cells, alerts), computed on first use and kept until the data changes.
//!
//! Why: deriving them walks every workload and pod of every cluster. On a 30-cluster,
//! 20,000-pod fleet that cost 2.5–6 ms a frame, paid again for every key press and clock tick
//! although nothing had changed (issue #7: p99 key-to-frame 22 ms against a 16 ms budget). The
//! data changes only in `FleetState`'s mutating methods, and each of them forgets what was
//! derived (`FleetState::apply`, `clusters_mut`, ...), so a frame that follows a key reads the
//! rows instead of rebuilding them.
//!
//! The memo is not part of the state's value: a clone starts empty and equality ignores it.

use super::{
    Alert, Capacity, CellSummary, ClusterCapacity, ClusterId, ClusterState, Instance, PipelineRow,
    ServiceRow, Stage, Timestamp, WorkloadKey,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Default)]
pub(super) struct Derived {
    pub stages: OnceLock<Vec<Stage>>,
    pub services: OnceLock<Vec<ServiceRow>>,
    pub pipelines: OnceLock<Vec<PipelineRow>>,
    pub capacities: OnceLock<Vec<ClusterCapacity>>,
    /// Every cell of the layout, row by row.
    pub cells: OnceLock<Vec<CellSummary>>,
    /// Alerts depend on the time as well (event windows, rollback ages): kept with theirs, and
    /// forgotten when the console's clock moves (`FleetState::clock_moved`).
    pub alerts: OnceLock<(Timestamp, Vec<Alert>)>,
    /// What each cluster contributes (its pods walked once), kept until that cluster changes:
    /// a delta on one cluster of thirty re-walks one cluster's pods, not all of them.
    pub clusters: Mutex<BTreeMap<ClusterId, Arc<ClusterDerived>>>,
}

/// One cluster's share of the derived rows: what needs a walk over its pods. Each part is
/// derived on first use (the Services screen needs the pod counts, not the capacity), from the
/// cluster passed in, which must be the one this share was taken for
/// (`FleetState::cluster_derived(c)`).
#[derive(Debug, Default)]
pub struct ClusterDerived {
    production: bool,
    totals: OnceLock<Capacity>,
    capacity: OnceLock<ClusterCapacity>,
    pods: OnceLock<HashMap<WorkloadKey, PodCounts>>,
    /// Its workloads as service instances, in key order: what the fleet's service rows are
    /// assembled from (sharing each instance, not copying it). They depend on the workloads
    /// alone, so a change of pods, nodes or events keeps them (`Derived::forget_cluster_pods`).
    instances: OnceLock<Arc<Vec<ClusterInstance>>>,
}

/// One workload of a cluster as an instance of its service.
#[derive(Debug)]
pub struct ClusterInstance {
    pub key: WorkloadKey,
    pub team: Option<String>,
    pub instance: Arc<Instance>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodCounts {
    pub restarts: u32,
    /// Ready pods running the workload's current version.
    pub updated_ready: u32,
}

impl ClusterDerived {
    /// Requested vs allocatable and pending pods (the overview cell's figures).
    pub fn totals(&self, c: &ClusterState) -> Capacity {
        *self.totals.get_or_init(|| c.capacity())
    }

    /// The capacity screen's row for the cluster, with its nodegroups.
    pub fn capacity(&self, c: &ClusterState) -> &ClusterCapacity {
        self.capacity
            .get_or_init(|| super::capacity::cluster_capacity(c, self.production))
    }

    /// The cluster's workloads as service instances, in key order.
    pub fn instances(&self, c: &ClusterState) -> &[ClusterInstance] {
        self.instances
            .get_or_init(|| Arc::new(super::summary::cluster_instances(c)))
    }

    /// A workload's pod counts (zero when it has no pods).
    pub fn pods_of(&self, c: &ClusterState, key: &WorkloadKey) -> PodCounts {
        self.pods
            .get_or_init(|| pod_counts(c))
            .get(key)
            .copied()
            .unwrap_or_default()
    }
}

/// Every workload's pod counts in one pass over the pods. Pods are keyed by namespace and name,
/// and a workload's pods are named after it, so runs of one workload's pods are found by
/// comparing with the previous pod rather than hashing each one.
fn pod_counts(c: &ClusterState) -> HashMap<WorkloadKey, PodCounts> {
    let mut out: HashMap<WorkloadKey, PodCounts> = HashMap::with_capacity(c.workloads.len());
    let mut run: Option<(&str, &str, Option<&str>, PodCounts)> = None;
    let mut close = |run: Option<(&str, &str, Option<&str>, PodCounts)>| {
        if let Some((ns, name, Some(_), n)) = run {
            let e = out.entry(WorkloadKey::new(ns, name)).or_default();
            e.restarts = e.restarts.saturating_add(n.restarts);
            e.updated_ready += n.updated_ready;
        }
    };
    for p in c.pods.values() {
        let same = run
            .as_ref()
            .is_some_and(|(ns, name, _, _)| *ns == p.namespace && *name == p.workload);
        if !same {
            close(run.take());
            // The workload's version, or None for a pod whose workload we do not know.
            let version = c
                .workloads
                .get(&WorkloadKey::new(p.namespace.as_str(), p.workload.as_str()))
                .map(|w| w.template_version.as_str());
            run = Some((&p.namespace, &p.workload, version, PodCounts::default()));
        }
        if let Some((_, _, Some(version), n)) = run.as_mut() {
            n.restarts = n.restarts.saturating_add(p.restarts);
            if p.ready && p.version == *version {
                n.updated_ready += 1;
            }
        }
    }
    close(run);
    out
}

impl Derived {
    /// Forget what depends on the time only.
    pub fn forget_timed(&mut self) {
        self.alerts = OnceLock::new();
    }

    /// Forget what is derived across clusters; keep each cluster's share.
    pub fn forget_fleet(&mut self) {
        *self = Derived {
            clusters: std::mem::take(&mut self.clusters),
            ..Derived::default()
        };
    }

    /// One cluster's data changed: forget its share and everything across clusters.
    pub fn forget_cluster(&mut self, id: &ClusterId) {
        self.clusters
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        self.forget_fleet();
    }

    /// One cluster's pods, nodes or events changed but none of its workloads: its share keeps
    /// its service instances (a busy cluster's pods change many times a second); everything
    /// across clusters is forgotten.
    pub fn forget_cluster_pods(&mut self, id: &ClusterId) {
        let map = self.clusters.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = map.remove(id) {
            let kept = ClusterDerived {
                production: old.production,
                instances: old
                    .instances
                    .get()
                    .cloned()
                    .map_or_else(OnceLock::new, OnceLock::from),
                ..ClusterDerived::default()
            };
            map.insert(id.clone(), Arc::new(kept));
        }
        self.forget_fleet();
    }

    /// Only what the overview cells alone show changed (connection states, cost).
    pub fn forget_cells(&mut self) {
        self.cells = OnceLock::new();
    }

    /// One cluster's share, derived on first use.
    pub fn cluster(&self, c: &ClusterState, production: bool) -> Arc<ClusterDerived> {
        let mut map = self.clusters.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(c.info.id.clone())
            .or_insert_with(|| {
                Arc::new(ClusterDerived {
                    production,
                    ..ClusterDerived::default()
                })
            })
            .clone()
    }
}

impl Clone for Derived {
    fn clone(&self) -> Self {
        // A clone is usually about to be changed through its own methods; starting empty is
        // always correct and costs one derivation.
        Derived::default()
    }
}

impl PartialEq for Derived {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derived { .. }")
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{
        ClusterDelta, ClusterState, FleetState, SourceHealth, SourceStatus, SourceUpdate,
    };
    use crate::source::demo::DemoWorld;
    use jiff::{SignedDuration, Timestamp};
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn start() -> Timestamp {
        "2026-11-21T14:30:00Z".parse().unwrap()
    }

    /// Every kept row equals the same row derived from nothing kept (a clone keeps nothing).
    fn assert_fresh(fleet: &FleetState, now: Timestamp, when: &str) {
        let fresh = fleet.clone();
        assert_eq!(fleet.stages(), fresh.stages(), "stages {when}");
        assert_eq!(
            fleet.service_rows(),
            fresh.service_rows(),
            "services {when}"
        );
        assert_eq!(
            fleet.pipeline_rows(),
            fresh.pipeline_rows(),
            "pipelines {when}"
        );
        assert_eq!(
            fleet.cluster_capacities(),
            fresh.cluster_capacities(),
            "capacities {when}"
        );
        assert_eq!(
            fleet.cell_summaries(),
            fresh.cell_summaries(),
            "cells {when}"
        );
        assert_eq!(*fleet.alerts(now), *fresh.alerts(now), "alerts {when}");
    }

    /// Ten simulated minutes of the live demo (deploys, gates, scaling, alarms flapping, cost),
    /// each second's updates applied as the console applies them, with every derived row read
    /// between seconds: what was kept always equals what would be derived afresh.
    #[test]
    fn what_is_kept_always_equals_a_fresh_derivation_through_a_live_run() {
        let mut world = DemoWorld::generate(7, start());
        let mut fleet = world.to_fleet_state();
        let mut now = start();
        let mut changes = 0;
        for second in 0..600 {
            assert_fresh(&fleet, now, &format!("at second {second}"));
            now += SignedDuration::from_secs(1);
            fleet.clock_moved();
            world.step(now);
            for u in world.take_updates(false) {
                changes += usize::from(fleet.apply(u));
            }
        }
        assert!(
            changes > 100,
            "the run must change the fleet often: {changes}"
        );
    }

    /// A whole-cluster update as a watch-based collector sends it: only what differs from
    /// `old`. None when the cluster's description itself changed (a delta cannot say that).
    fn delta_between(old: &ClusterState, new: &ClusterState) -> Option<ClusterDelta> {
        fn diff<K: Ord + Clone, V: PartialEq + Clone>(
            old: &BTreeMap<K, V>,
            new: &BTreeMap<K, V>,
        ) -> Vec<(K, Option<V>)> {
            let changed = new
                .iter()
                .filter(|(k, v)| old.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), Some(v.clone())));
            let removed = old
                .keys()
                .filter(|k| !new.contains_key(*k))
                .map(|k| (k.clone(), None));
            changed.chain(removed).collect()
        }
        let mut info = old.info.clone();
        info.kubernetes_version
            .clone_from(&new.info.kubernetes_version);
        if info != new.info || (old.nodegroup_health.is_some() && new.nodegroup_health.is_none()) {
            return None;
        }
        Some(ClusterDelta {
            cluster: new.info.id.clone(),
            kubernetes_version: (old.info.kubernetes_version != new.info.kubernetes_version)
                .then(|| new.info.kubernetes_version.clone()),
            health: (old.health != new.health).then(|| new.health.clone()),
            workloads: diff(&old.workloads, &new.workloads),
            pods: diff(&old.pods, &new.pods),
            nodes: diff(&old.nodes, &new.nodes),
            events: (old.events != new.events).then(|| new.events.clone()),
            nodegroups: (old.nodegroups != new.nodegroups).then(|| new.nodegroups.clone()),
            nodegroup_health: (old.nodegroup_health != new.nodegroup_health)
                .then(|| new.nodegroup_health.clone())
                .flatten(),
        })
    }

    /// A liveness probe's answer for one cluster: health only, its own or its EKS discovery's,
    /// stale or live by turns.
    fn probe(fleet: &FleetState, n: usize) -> SourceUpdate {
        let c = fleet
            .clusters()
            .values()
            .nth(n % fleet.clusters().len())
            .unwrap();
        let status = if n.is_multiple_of(2) {
            SourceStatus::Stale("probe timed out".into())
        } else {
            SourceStatus::Live
        };
        let mut delta = ClusterDelta::new(c.info.id.clone());
        let health = SourceHealth {
            status,
            ..c.health.clone()
        };
        if n.is_multiple_of(3) {
            delta.nodegroup_health = Some(health);
        } else {
            delta.health = Some(health);
        }
        assert!(delta.only_health(), "{delta:?}");
        SourceUpdate::ClusterDelta(Box::new(delta))
    }

    /// The same ten minutes on the watch path: each whole-cluster update arrives as the delta a
    /// Kubernetes collector would send (`ClusterDelta`), and between them liveness probes send
    /// health-only deltas (the shortcut that re-derives only the cells). What was kept always
    /// equals a fresh derivation, and the clusters end as the whole updates leave them.
    #[test]
    fn what_is_kept_always_equals_a_fresh_derivation_on_the_watch_path() {
        let mut world = DemoWorld::generate(7, start());
        let mut fleet = world.to_fleet_state();
        let mut whole = fleet.clone();
        let mut now = start();
        let (mut deltas, mut probes, mut changes) = (0, 0, 0);
        for second in 0..600usize {
            assert_fresh(&fleet, now, &format!("at second {second}"));
            now += SignedDuration::from_secs(1);
            fleet.clock_moved();
            whole.clock_moved();
            world.step(now);
            for update in world.take_updates(false) {
                let as_watched = match &update {
                    SourceUpdate::Cluster(new) => fleet
                        .clusters()
                        .get(&new.info.id)
                        .and_then(|old| delta_between(old, new))
                        .map(|d| SourceUpdate::ClusterDelta(Box::new(d))),
                    _ => None,
                };
                deltas += usize::from(as_watched.is_some());
                changes += usize::from(fleet.apply(as_watched.unwrap_or_else(|| update.clone())));
                whole.apply(update);
            }
            assert_eq!(fleet.clusters(), whole.clusters(), "at second {second}");
            if second.is_multiple_of(2) {
                let p = probe(&fleet, second / 2);
                probes += usize::from(fleet.apply(p.clone()));
                whole.apply(p);
                assert_fresh(&fleet, now, &format!("after a probe at second {second}"));
            }
        }
        assert!(deltas > 100, "the run must go through deltas: {deltas}");
        assert!(changes > 100, "the deltas must change the fleet: {changes}");
        assert!(probes > 100, "the probes must change the health: {probes}");
    }

    #[test]
    fn changes_in_place_forget_what_was_derived() {
        let mut fleet = DemoWorld::generate(1, start()).to_fleet_state();
        let before = fleet.service_rows()[0].clone();
        let id = before.instances[0].cluster.clone();
        let w = fleet
            .clusters_mut()
            .get_mut(&id)
            .unwrap()
            .workloads
            .get_mut(&before.key)
            .unwrap();
        w.template_version = "9.9.9-in-place".into();
        w.running.clear();
        let after = &fleet.service_rows()[0];
        assert!(after.versions().contains(&"9.9.9-in-place"), "{after:?}");
        assert_fresh(&fleet, start(), "after clusters_mut");

        fleet.alarms_mut().clear();
        fleet.layout_mut().regions.pop();
        assert_fresh(&fleet, start(), "after alarms_mut and layout_mut");
    }

    /// A liveness probe's health-only delta keeps the service rows and every cluster's share;
    /// the overview cells show the new connection state.
    #[test]
    fn a_health_only_delta_rederives_only_the_cells() {
        let mut fleet = DemoWorld::generate(1, start()).to_fleet_state();
        let rows = fleet.service_rows().as_ptr();
        let c = fleet.clusters().values().next().unwrap().clone();
        let share = fleet.cluster_derived(&c);
        let _ = fleet.cell_summaries();
        let mut delta = ClusterDelta::new(c.info.id.clone());
        delta.health = Some(SourceHealth {
            status: SourceStatus::Stale("probe timed out".into()),
            ..c.health.clone()
        });
        assert!(fleet.apply(SourceUpdate::ClusterDelta(Box::new(delta))));
        assert!(std::ptr::eq(fleet.service_rows().as_ptr(), rows));
        assert!(Arc::ptr_eq(&share, &fleet.cluster_derived(&c)));
        let cell = fleet.cell_summary(&c.info.env, &c.info.region).unwrap();
        assert!(
            matches!(cell.worst_status, Some(SourceStatus::Stale(_))),
            "{cell:?}"
        );
        assert_fresh(&fleet, start(), "after a health-only delta");
    }

    /// A pod change in one cluster re-walks that cluster's pods only.
    #[test]
    fn a_delta_on_one_cluster_rederives_only_its_share() {
        let mut fleet = DemoWorld::generate(1, start()).to_fleet_state();
        let mut clusters = fleet.clusters().values().cloned();
        let (a, b) = (clusters.next().unwrap(), clusters.next().unwrap());
        let (share_a, share_b) = (fleet.cluster_derived(&a), fleet.cluster_derived(&b));
        let _ = fleet.service_rows();
        let (pod_key, pod) = a.pods.iter().next().unwrap();
        let mut crashing = pod.clone();
        crashing.restarts += 41;
        let key = crate::domain::WorkloadKey::new(pod.namespace.clone(), pod.workload.clone());
        let before = share_a.pods_of(&a, &key).restarts;
        let mut delta = ClusterDelta::new(a.info.id.clone());
        delta.pods = vec![(pod_key.clone(), Some(crashing))];
        assert!(fleet.apply(SourceUpdate::ClusterDelta(Box::new(delta))));
        let a_now = fleet.clusters()[&a.info.id].clone();
        assert_eq!(
            fleet.cluster_derived(&a_now).pods_of(&a_now, &key).restarts,
            before + 41
        );
        assert!(Arc::ptr_eq(&share_b, &fleet.cluster_derived(&b)));
        assert_fresh(&fleet, start(), "after a pod delta");
    }

    /// Issue 16 (5): a delta of pods alone keeps the cluster's service instances (the rows are
    /// re-assembled from shared instances, none copied); a workload's change replaces them.
    #[test]
    fn a_pod_only_delta_keeps_the_service_instances_and_a_workload_delta_does_not() {
        let mut fleet = DemoWorld::generate(1, start()).to_fleet_state();
        let a = fleet.clusters().values().next().unwrap().clone();
        let (pod_key, pod) = a.pods.iter().next().unwrap();
        let key = crate::domain::WorkloadKey::new(pod.namespace.clone(), pod.workload.clone());
        let instance_of = |fleet: &FleetState| {
            let row = fleet.service_row(&key).unwrap();
            let i = row
                .instances
                .iter()
                .find(|i| i.cluster == a.info.id)
                .unwrap();
            (i.clone(), row.restarts)
        };
        let (before, restarts) = instance_of(&fleet);
        let mut crashing = pod.clone();
        crashing.restarts += 41;
        let mut delta = ClusterDelta::new(a.info.id.clone());
        delta.pods = vec![(pod_key.clone(), Some(crashing))];
        // A collector re-sends the workload it assembled even when it did not change.
        delta.workloads = vec![(key.clone(), a.workloads.get(&key).cloned())];
        assert!(fleet.apply(SourceUpdate::ClusterDelta(Box::new(delta))));
        let (after, restarts_after) = instance_of(&fleet);
        assert!(
            Arc::ptr_eq(&before, &after),
            "the instance is shared, not rebuilt"
        );
        assert_eq!(restarts_after, restarts + 41, "the row's restarts are new");
        assert_fresh(&fleet, start(), "after a pod-only delta");

        let mut w = a.workloads[&key].clone();
        w.ready = w.ready.saturating_sub(1);
        let mut delta = ClusterDelta::new(a.info.id.clone());
        delta.workloads = vec![(key.clone(), Some(w))];
        assert!(fleet.apply(SourceUpdate::ClusterDelta(Box::new(delta))));
        let (rebuilt, _) = instance_of(&fleet);
        assert!(
            !Arc::ptr_eq(&after, &rebuilt),
            "a workload change rebuilds it"
        );
        assert_fresh(&fleet, start(), "after a workload delta");
    }

    #[test]
    fn alerts_are_derived_for_the_time_asked() {
        let fleet = DemoWorld::generate(1, start()).to_fleet_state();
        let later = start() + SignedDuration::from_hours(3);
        // Kept for `start`; asked for `later` without `clock_moved`: still right for `later`.
        let _ = fleet.alerts(start());
        assert_eq!(*fleet.alerts(later), *fleet.clone().alerts(later));
        assert_eq!(*fleet.alerts(start()), *fleet.clone().alerts(start()));
        // The kept alerts answer only for their own time.
        assert!(matches!(fleet.alerts(start()), Cow::Borrowed(_)));
        assert!(matches!(fleet.alerts(later), Cow::Owned(_)));
    }

    #[test]
    fn a_clone_is_derived_from_its_own_data() {
        let fleet = DemoWorld::generate(1, start()).to_fleet_state();
        let _ = fleet.service_rows();
        let mut copy = fleet.clone();
        copy.apply(SourceUpdate::Layout(Default::default()));
        assert!(copy.stages().is_empty());
        assert!(!fleet.stages().is_empty());
        assert_eq!(fleet, fleet.clone(), "the memo is not part of the value");
    }
}
