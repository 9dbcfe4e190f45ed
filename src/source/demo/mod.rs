//! The embedded demo fleet: a seeded simulator that behaves like a small multi-region estate,
//! published to the console exactly like any other source.

mod alarms;
mod catalog;
mod cost;
mod dice;
mod metrics;
mod ops;
mod pods;
mod runner;
mod sim;
mod world;

pub use alarms::{CANARY_ALARM, FLAPPING_ALARM};
pub use cost::ANOMALY_SERVICE;
pub use ops::OpError;
pub use runner::{DemoControl, DemoHandle, run, spawn};
pub use world::{DemoWorld, Fault, GATE_CLUSTER, GATE_SERVICE};

use crate::domain::*;

impl DemoWorld {
    /// Everything that changed since the last call, as source updates (the layout first time).
    pub fn take_updates(&mut self, include_layout: bool) -> Vec<SourceUpdate> {
        let mut out = Vec::new();
        if include_layout {
            out.push(SourceUpdate::Layout(self.layout.clone()));
        }
        let dirty = std::mem::take(&mut self.dirty_clusters);
        for idx in dirty {
            let mut c = self.clusters[idx].clone();
            c.health = SourceHealth::live(self.now);
            out.push(SourceUpdate::Cluster(Box::new(c)));
        }
        if std::mem::take(&mut self.alarms_dirty) {
            for (source, alarms) in &self.alarms {
                out.push(SourceUpdate::Alarms {
                    source: source.clone(),
                    alarms: alarms.clone(),
                    health: SourceHealth::live(self.now),
                });
            }
        }
        if std::mem::take(&mut self.cost_dirty) {
            out.push(SourceUpdate::Cost {
                report: Box::new(self.cost.clone()),
                health: SourceHealth::live(self.now),
            });
        }
        let minute = self.now.as_second().div_euclid(60);
        if self.metrics_minute != Some(minute) {
            self.metrics_minute = Some(minute);
            for c in &self.clusters {
                out.push(SourceUpdate::Metrics(Box::new(metrics::cluster_update(
                    c, self.now,
                ))));
            }
        }
        out
    }

    /// Mark everything for republishing (after a refresh request).
    pub fn mark_all_dirty(&mut self) {
        self.dirty_clusters = (0..self.clusters.len()).collect();
        self.alarms_dirty = true;
        self.cost_dirty = true;
        self.metrics_minute = None;
    }

    /// A fleet state as the console would hold it after the first sync.
    pub fn to_fleet_state(&mut self) -> FleetState {
        self.mark_all_dirty();
        let mut fleet = FleetState::default();
        for u in self.take_updates(true) {
            fleet.apply(u);
        }
        fleet
    }
}
