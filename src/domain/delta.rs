//! Incremental updates of one cluster, as watch-based collectors produce them: only what
//! changed since the last batch, so applying a batch costs in proportion to the change, not
//! to the size of the cluster.

use super::{
    ClusterEvent, ClusterId, ClusterState, Node, Nodegroup, Pod, SourceHealth, Workload,
    WorkloadKey,
};
use std::collections::BTreeMap;
use std::hash::Hash;

/// What changed in one cluster since the previous delta. `None` in an entry means removed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDelta {
    pub cluster: ClusterId,
    pub kubernetes_version: Option<String>,
    pub health: Option<SourceHealth>,
    pub workloads: Vec<(WorkloadKey, Option<Workload>)>,
    /// Pods by (namespace, name).
    pub pods: Vec<((String, String), Option<Pod>)>,
    pub nodes: Vec<(String, Option<Node>)>,
    /// The recent events, replaced as a whole (the list is short and bounded by the source).
    pub events: Option<Vec<ClusterEvent>>,
    /// The cluster's nodegroups (EKS: min/desired/max, instance type), replaced as a whole.
    pub nodegroups: Option<Vec<Nodegroup>>,
    /// The health of the EKS discovery behind `nodegroups`.
    pub nodegroup_health: Option<SourceHealth>,
}

impl ClusterDelta {
    pub fn new(cluster: ClusterId) -> ClusterDelta {
        ClusterDelta {
            cluster,
            kubernetes_version: None,
            health: None,
            workloads: Vec::new(),
            pods: Vec::new(),
            nodes: Vec::new(),
            events: None,
            nodegroups: None,
            nodegroup_health: None,
        }
    }

    /// Whether the delta says nothing but the cluster's (or its EKS discovery's) health.
    pub fn only_health(&self) -> bool {
        self.kubernetes_version.is_none()
            && self.workloads.is_empty()
            && self.pods.is_empty()
            && self.nodes.is_empty()
            && self.events.is_none()
            && self.nodegroups.is_none()
    }

    pub fn is_empty(&self) -> bool {
        self.only_health() && self.health.is_none() && self.nodegroup_health.is_none()
    }
}

impl ClusterState {
    /// Apply a delta. Returns whether anything visible changed.
    ///
    /// `on_workload` sees every workload entry that actually changed, with its old and new
    /// value, so the caller can record what changed (deploys, scaling, approvals).
    pub fn apply_delta(
        &mut self,
        delta: ClusterDelta,
        mut on_workload: impl FnMut(Option<&Workload>, Option<&Workload>),
    ) -> bool {
        let mut changed = false;
        if let Some(v) = delta.kubernetes_version
            && v != self.info.kubernetes_version
        {
            self.info.kubernetes_version = v;
            changed = true;
        }
        if let Some(h) = delta.health
            && h != self.health
        {
            self.health = h;
            changed = true;
        }
        for (key, new) in delta.workloads {
            let old = self.workloads.get(&key);
            if old == new.as_ref() {
                continue;
            }
            on_workload(old, new.as_ref());
            changed = true;
            match new {
                Some(w) => {
                    self.workloads.insert(key, w);
                }
                None => {
                    self.workloads.remove(&key);
                }
            }
        }
        changed |= upsert_all(&mut self.pods, delta.pods);
        changed |= upsert_all(&mut self.nodes, delta.nodes);
        if let Some(events) = delta.events
            && events != self.events
        {
            self.events = events;
            changed = true;
        }
        if let Some(groups) = delta.nodegroups
            && groups != self.nodegroups
        {
            self.nodegroups = groups;
            changed = true;
        }
        if let Some(h) = delta.nodegroup_health
            && self.nodegroup_health.as_ref() != Some(&h)
        {
            self.nodegroup_health = Some(h);
            changed = true;
        }
        changed
    }
}

fn upsert_all<K: Ord + Hash, V: PartialEq>(
    map: &mut BTreeMap<K, V>,
    entries: Vec<(K, Option<V>)>,
) -> bool {
    let mut changed = false;
    for (key, value) in entries {
        match value {
            Some(v) => {
                if map.get(&key) != Some(&v) {
                    map.insert(key, v);
                    changed = true;
                }
            }
            None => changed |= map.remove(&key).is_some(),
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClusterInfo;

    #[test]
    fn nodegroups_replace_as_a_whole_and_only_change_once() {
        let id = ClusterId::parse("prod", "us-east-1", "c1").unwrap();
        let mut c = ClusterState::new(ClusterInfo {
            id: id.clone(),
            name: "c1".into(),
            env: "prod".into(),
            region: "us-east-1".into(),
            kubernetes_version: String::new(),
        });
        let ng = Nodegroup {
            name: "general".into(),
            instance_type: "m6i.large".into(),
            min: 2,
            desired: 3,
            max: 6,
            hourly_usd: 0.0,
        };
        let mut d = ClusterDelta::new(id.clone());
        d.nodegroups = Some(vec![ng.clone()]);
        assert!(!d.is_empty());
        assert!(c.apply_delta(d.clone(), |_, _| {}));
        assert_eq!(c.nodegroups, vec![ng]);
        assert!(!c.apply_delta(d, |_, _| {}), "same nodegroups: no change");
    }
}
