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

use super::{Alert, CellSummary, ClusterCapacity, PipelineRow, ServiceRow, Stage, Timestamp};
use std::sync::OnceLock;

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
}

impl Derived {
    /// Forget what depends on the time only.
    pub fn forget_timed(&mut self) {
        self.alerts = OnceLock::new();
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
    use crate::domain::summary::{build_cell_summaries, build_service_rows, build_stages};
    use crate::domain::{
        FleetState, SourceUpdate, alerts::build_alerts, capacity::build_cluster_capacities,
        pipeline::build_pipeline_rows,
    };
    use crate::source::demo::DemoWorld;
    use jiff::{SignedDuration, Timestamp};

    fn assert_fresh(fleet: &FleetState, now: Timestamp, when: &str) {
        assert_eq!(fleet.stages(), build_stages(fleet), "stages {when}");
        assert_eq!(
            fleet.service_rows(),
            build_service_rows(fleet),
            "services {when}"
        );
        assert_eq!(
            fleet.pipeline_rows(),
            build_pipeline_rows(fleet),
            "pipelines {when}"
        );
        assert_eq!(
            fleet.cluster_capacities(),
            build_cluster_capacities(fleet),
            "capacities {when}"
        );
        assert_eq!(
            fleet.cell_summaries(),
            build_cell_summaries(fleet),
            "cells {when}"
        );
        assert_eq!(
            *fleet.alerts(now),
            build_alerts(fleet, now),
            "alerts {when}"
        );
    }

    /// Ten simulated minutes of the live demo (deploys, gates, scaling, alarms flapping, cost),
    /// each second's updates applied as the console applies them, with every derived row read
    /// between seconds: what was kept always equals what would be derived afresh.
    #[test]
    fn what_is_kept_always_equals_a_fresh_derivation_through_a_live_run() {
        let start: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let mut world = DemoWorld::generate(7, start);
        let mut fleet = world.to_fleet_state();
        let mut now = start;
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

    #[test]
    fn changes_in_place_forget_what_was_derived() {
        let start: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let mut fleet = DemoWorld::generate(1, start).to_fleet_state();
        let before = fleet.service_rows()[0].clone();
        let id = before.instances[0].cluster.clone();
        let w = fleet
            .clusters_mut()
            .get_mut(&id)
            .unwrap()
            .workloads
            .get_mut(&before.key)
            .unwrap();
        w.version = "9.9.9-in-place".into();
        let after = &fleet.service_rows()[0];
        assert!(after.versions().contains(&"9.9.9-in-place"), "{after:?}");
        assert_fresh(&fleet, start, "after clusters_mut");

        fleet.alarms_mut().clear();
        fleet.layout_mut().regions.pop();
        assert_fresh(&fleet, start, "after alarms_mut and layout_mut");
    }

    #[test]
    fn alerts_are_derived_for_the_time_asked() {
        let start: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let fleet = DemoWorld::generate(1, start).to_fleet_state();
        let later = start + SignedDuration::from_hours(3);
        // Kept for `start`; asked for `later` without `clock_moved`: still right for `later`.
        let _ = fleet.alerts(start);
        assert_eq!(*fleet.alerts(later), build_alerts(&fleet, later));
        assert_eq!(*fleet.alerts(start), build_alerts(&fleet, start));
    }

    #[test]
    fn a_clone_is_derived_from_its_own_data() {
        let start: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let mut world = DemoWorld::generate(1, start);
        let fleet = world.to_fleet_state();
        let _ = fleet.service_rows();
        let mut copy = fleet.clone();
        copy.apply(SourceUpdate::Layout(Default::default()));
        assert!(copy.stages().is_empty());
        assert!(!fleet.stages().is_empty());
        assert_eq!(fleet, fleet.clone(), "the memo is not part of the value");
    }
}
