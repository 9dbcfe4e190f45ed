//! One simulation step: controllers reconcile, pods start and crash, HPAs react, new versions
//! enter the pipeline, alarms flip and cost accrues.

use super::world::{DemoWorld, bump, new_revision};
use crate::domain::*;

impl DemoWorld {
    /// Advance the world to `now` (one tick). Time comes from outside, so tests control it.
    pub fn step(&mut self, now: Timestamp) {
        let elapsed = (now - self.now).get_seconds().max(0) as f64
            + (now - self.now).get_nanoseconds() as f64 / 1e9;
        self.now = now;
        self.tick += 1;
        if self.tick.is_multiple_of(15) {
            self.autoscale();
        }
        if self.tick.is_multiple_of(90) {
            self.start_dev_release();
        }
        if self.tick % 150 == 75 {
            self.promote_to_staging();
        }
        for idx in 0..self.clusters.len() {
            self.run_kubelet(idx);
            let keys: Vec<WorkloadKey> = self.clusters[idx].workloads.keys().cloned().collect();
            for key in &keys {
                self.reconcile(idx, key);
            }
            self.refresh_status(idx);
        }
        self.flip_alarms();
        self.accrue_cost(elapsed);
    }

    /// HPAs follow a wandering CPU figure within their bounds.
    fn autoscale(&mut self) {
        for idx in 0..self.clusters.len() {
            let keys: Vec<WorkloadKey> = self.clusters[idx].workloads.keys().cloned().collect();
            for key in keys {
                let drift = self.dice.range(0, 21) as i64 - 10;
                let w = self.clusters[idx].workloads.get_mut(&key).unwrap();
                let Some(h) = w.hpa.as_mut() else { continue };
                let cpu = (h.current_cpu_pct.unwrap_or(50) as i64 + drift).clamp(15, 140) as u32;
                h.current_cpu_pct = Some(cpu);
                // The HPA formula: desired = ceil(current * currentUtil / targetUtil).
                let want = ((w.desired as u64 * cpu as u64)
                    .div_ceil(h.target_cpu_pct.max(1) as u64)) as u32;
                h.desired = want.clamp(h.min, h.max);
                if h.desired != w.desired && !w.paused {
                    w.desired = h.desired;
                    w.changed_at = self.now;
                    self.dirty_clusters.insert(idx);
                }
            }
        }
    }

    /// A merge to main: some service's next patch version starts rolling out in dev.
    fn start_dev_release(&mut self) {
        let Some(dev) = self.cluster_index("dev-use1") else {
            return;
        };
        let keys: Vec<WorkloadKey> = self.clusters[dev].workloads.keys().cloned().collect();
        let key = self.dice.pick(&keys).clone();
        let w = self.clusters[dev].workloads.get_mut(&key).unwrap();
        if w.rollout != RolloutState::Complete {
            return;
        }
        let next = bump(&w.template_version);
        new_revision(w, &next, self.now);
        self.dirty_clusters.insert(dev);
    }

    /// Staging picks up a version that is healthy in dev.
    fn promote_to_staging(&mut self) {
        let Some(dev) = self.cluster_index("dev-use1") else {
            return;
        };
        let ready: Vec<(WorkloadKey, String)> = self.clusters[dev]
            .workloads
            .values()
            .filter(|w| w.health() == Health::Healthy)
            .map(|w| (w.key.clone(), w.template_version.clone()))
            .collect();
        let now = self.now;
        for idx in 0..self.clusters.len() {
            if self.clusters[idx].info.env != "staging" {
                continue;
            }
            let behind: Vec<&(WorkloadKey, String)> = ready
                .iter()
                .filter(|(k, v)| {
                    self.clusters[idx].workloads.get(k).is_some_and(|w| {
                        &w.template_version != v && w.rollout == RolloutState::Complete
                    })
                })
                .collect();
            if behind.is_empty() {
                continue;
            }
            let (key, version) = (*self.dice.pick(&behind)).clone();
            if let Some(w) = self.clusters[idx].workloads.get_mut(&key) {
                new_revision(w, &version, now);
                self.dirty_clusters.insert(idx);
            }
        }
    }
}
