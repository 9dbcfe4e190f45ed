//! Capacity per cluster and nodegroup: CPU and memory requested vs allocatable, pending pods,
//! HPAs at their max, nodegroup min/desired/max, and the headroom left.

use super::{ClusterId, ClusterState, FleetState, Stage, WorkloadKey};
use serde::Serialize;
use std::collections::BTreeMap;

/// Requested vs allocatable of one resource (millicores or MiB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub requested: u64,
    pub allocatable: u64,
}

impl Usage {
    /// Requested as a percentage of allocatable (0 when nothing is allocatable).
    pub fn pct(&self) -> u32 {
        self.requested
            .saturating_mul(100)
            .checked_div(self.allocatable)
            .unwrap_or(0)
            .min(u32::MAX as u64) as u32
    }
    pub fn free(&self) -> u64 {
        self.allocatable.saturating_sub(self.requested)
    }
}

/// EKS nodegroup scaling bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bounds {
    pub min: u32,
    pub desired: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodegroupCapacity {
    pub name: String,
    pub instance_type: String,
    /// None for nodes whose nodegroup the source does not describe.
    pub bounds: Option<Bounds>,
    pub nodes: u32,
    pub nodes_ready: u32,
    pub cpu_m: Usage,
    pub mem_mib: Usage,
    /// Allocatable of one node, for what scaling up to `max` would add.
    pub node_cpu_m: u64,
    pub node_mem_mib: u64,
}

impl NodegroupCapacity {
    /// A group with no nodes counted yet.
    fn empty(name: &str, instance_type: &str, bounds: Option<Bounds>) -> NodegroupCapacity {
        NodegroupCapacity {
            name: name.to_string(),
            instance_type: instance_type.to_string(),
            bounds,
            nodes: 0,
            nodes_ready: 0,
            cpu_m: Usage::default(),
            mem_mib: Usage::default(),
            node_cpu_m: 0,
            node_mem_mib: 0,
        }
    }
    /// Nodes the group may still add.
    pub fn scale_room(&self) -> u32 {
        self.bounds.map_or(0, |b| b.max.saturating_sub(b.desired))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterCapacity {
    pub cluster: ClusterId,
    pub name: String,
    pub stage: Stage,
    pub production: bool,
    pub cpu_m: Usage,
    pub mem_mib: Usage,
    pub pending_pods: u32,
    pub nodes: u32,
    pub nodes_ready: u32,
    pub nodegroups: Vec<NodegroupCapacity>,
    /// Workloads whose HPA is at its max: (workload, current, max).
    pub hpas_at_max: Vec<(WorkloadKey, u32, u32)>,
}

impl ClusterCapacity {
    /// The tighter of CPU and memory, in percent.
    pub fn used_pct(&self) -> u32 {
        self.cpu_m.pct().max(self.mem_mib.pct())
    }
    /// Free CPU now plus what the nodegroups could add by scaling to their max.
    pub fn headroom_cpu_m(&self) -> u64 {
        self.headroom(self.cpu_m, |g| g.node_cpu_m)
    }
    pub fn headroom_mem_mib(&self) -> u64 {
        self.headroom(self.mem_mib, |g| g.node_mem_mib)
    }
    fn headroom(&self, usage: Usage, per_node: fn(&NodegroupCapacity) -> u64) -> u64 {
        let room: u64 = self
            .nodegroups
            .iter()
            .map(|g| g.scale_room() as u64 * per_node(g))
            .sum();
        usage.free() + room
    }
    /// Nodes the cluster may still add across its nodegroups.
    pub fn scale_room(&self) -> u32 {
        self.nodegroups.iter().map(|g| g.scale_room()).sum()
    }
}

/// Every cluster's capacity, in stage order (the layout's), then by cluster name.
pub(crate) fn build_cluster_capacities(fleet: &FleetState) -> Vec<ClusterCapacity> {
    let order: BTreeMap<&Stage, usize> = fleet
        .stages()
        .iter()
        .enumerate()
        .map(|(i, s)| (s, i))
        .collect();
    let mut out: Vec<ClusterCapacity> = fleet
        .clusters()
        .values()
        .map(|c| fleet.cluster_derived(c).capacity(c).clone())
        .collect();
    out.sort_by(|a, b| {
        let pos = |s: &Stage| order.get(s).copied().unwrap_or(usize::MAX);
        pos(&a.stage)
            .cmp(&pos(&b.stage))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

pub fn cluster_capacity(c: &ClusterState, production: bool) -> ClusterCapacity {
    let total = c.capacity();
    // Nodegroups the source describes, then any others the nodes name.
    let mut groups: Vec<NodegroupCapacity> = c
        .nodegroups
        .iter()
        .map(|g| {
            let bounds = Bounds {
                min: g.min,
                desired: g.desired,
                max: g.max,
            };
            NodegroupCapacity::empty(&g.name, &g.instance_type, Some(bounds))
        })
        .collect();
    let mut group_of: BTreeMap<&str, usize> = BTreeMap::new();
    for n in c.nodes.values() {
        let idx = match groups.iter().position(|g| g.name == n.nodegroup) {
            Some(i) => i,
            None => {
                let group = NodegroupCapacity::empty(&n.nodegroup, &n.instance_type, None);
                groups.push(group);
                groups.len() - 1
            }
        };
        group_of.insert(&n.name, idx);
        let g = &mut groups[idx];
        g.nodes += 1;
        g.node_cpu_m = g.node_cpu_m.max(n.allocatable_cpu_m);
        g.node_mem_mib = g.node_mem_mib.max(n.allocatable_mem_mib);
        if n.ready {
            g.nodes_ready += 1;
            g.cpu_m.allocatable += n.allocatable_cpu_m;
            g.mem_mib.allocatable += n.allocatable_mem_mib;
        }
    }
    for p in c.pods.values().filter(|p| c.holds_capacity(p)) {
        if let Some(&idx) = p.node.as_deref().and_then(|n| group_of.get(n)) {
            groups[idx].cpu_m.requested += p.cpu_request_m;
            groups[idx].mem_mib.requested += p.mem_request_mib;
        }
    }
    let hpas_at_max = c
        .workloads
        .values()
        .filter_map(|w| {
            let h = w.hpa.as_ref().filter(|h| h.at_max())?;
            Some((w.key.clone(), h.current, h.max))
        })
        .collect();
    ClusterCapacity {
        cluster: c.info.id.clone(),
        name: c.info.name.clone(),
        stage: Stage {
            env: c.info.env.clone(),
            region: c.info.region.clone(),
        },
        production,
        cpu_m: Usage {
            requested: total.requested_cpu_m,
            allocatable: total.allocatable_cpu_m,
        },
        mem_mib: Usage {
            requested: total.requested_mem_mib,
            allocatable: total.allocatable_mem_mib,
        },
        pending_pods: total.pending_pods,
        nodes: c.nodes.len() as u32,
        nodes_ready: c.nodes.values().filter(|n| n.ready).count() as u32,
        nodegroups: groups,
        hpas_at_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;
    use crate::domain::{Node, Nodegroup, Pod};

    fn node(name: &str, group: &str, ready: bool) -> Node {
        Node {
            name: name.into(),
            nodegroup: group.into(),
            ready,
            instance_type: "m6i.large".into(),
            allocatable_cpu_m: 2000,
            allocatable_mem_mib: 8000,
        }
    }

    fn pod_using(name: &str, node: Option<&str>, cpu: u64) -> Pod {
        Pod {
            cpu_request_m: cpu,
            ..pod("api", name, node)
        }
    }

    /// Which pods hold capacity, in the totals and per nodegroup: a pod on a node that is not
    /// ready does not, one on a node we do not know does (in no group), a finished one does not,
    /// a pending one is counted as pending.
    #[test]
    fn pods_on_odd_nodes_count_as_holds_capacity_says() {
        let mut fleet = fleet();
        add_cluster(
            &mut fleet,
            "prod",
            "eu-west-1",
            vec![workload("ns", "api", "1.0.0")],
        );
        let id = ClusterId::parse("prod", "eu-west-1", "prod-eu-west-1").unwrap();
        let c = fleet.clusters_mut().get_mut(&id).unwrap();
        for n in [node("a", "g", true), node("b", "g", false)] {
            c.nodes.insert(n.name.clone(), n);
        }
        let finished = Pod {
            phase: crate::domain::PodPhase::Succeeded,
            ..pod_using("done", Some("a"), 300)
        };
        for p in [
            pod_using("on-a", Some("a"), 100),
            pod_using("on-b", Some("b"), 200),
            pod_using("on-unknown", Some("zz"), 400),
            pod_using("pending", None, 800),
            finished,
        ] {
            c.pods.insert((p.namespace.clone(), p.name.clone()), p);
        }
        let c = &fleet.clusters()[&id];
        let row = cluster_capacity(c, true);
        assert_eq!(row.cpu_m.requested, 500, "on a and on the unknown node");
        assert_eq!(row.cpu_m.allocatable, 2000, "the ready node only");
        assert_eq!(row.pending_pods, 1);
        assert_eq!(
            row.nodegroups[0].cpu_m.requested, 100,
            "the unknown node has no group"
        );
    }

    #[test]
    fn rows_per_cluster_and_nodegroup_with_headroom() {
        let mut fleet = fleet();
        let mut w = workload("ns", "api", "1.0.0");
        w.hpa = Some(hpa(3, 3, 3));
        add_cluster(&mut fleet, "prod", "eu-west-1", vec![w]);
        add_cluster(&mut fleet, "dev", "us-east-1", vec![]);
        let id = ClusterId::parse("prod", "eu-west-1", "prod-eu-west-1").unwrap();
        let c = fleet.clusters_mut().get_mut(&id).unwrap();
        c.nodegroups.push(Nodegroup {
            name: "general".into(),
            instance_type: "m6i.large".into(),
            min: 1,
            desired: 2,
            max: 5,
            hourly_usd: 0.1,
        });
        for n in [
            node("a", "general", true),
            node("b", "general", false),
            node("c", "spot", true),
        ] {
            c.nodes.insert(n.name.clone(), n);
        }
        for p in [
            pod_using("p1", Some("a"), 1500),
            pod_using("p2", Some("c"), 500),
            pod_using("p3", None, 100),
            // On a node that is not ready: against no allocatable capacity, so not counted.
            pod_using("p4", Some("b"), 700),
        ] {
            c.pods.insert(("ns".into(), p.name.clone()), p);
        }
        let rows = fleet.cluster_capacities();
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["dev-us-east-1", "prod-eu-west-1"], "layout order");
        let prod = &rows[1];
        assert!(prod.production);
        assert_eq!(
            prod.cpu_m,
            Usage {
                requested: 2000,
                allocatable: 4000
            }
        );
        assert_eq!(prod.used_pct(), 50);
        assert_eq!(prod.pending_pods, 1);
        assert_eq!((prod.nodes, prod.nodes_ready), (3, 2));
        assert_eq!(prod.hpas_at_max, [(WorkloadKey::new("ns", "api"), 3, 3)]);
        let general = &prod.nodegroups[0];
        assert_eq!(
            general.cpu_m,
            Usage {
                requested: 1500,
                allocatable: 2000
            }
        );
        assert_eq!(general.cpu_m.pct(), 75);
        assert_eq!(general.scale_room(), 3);
        let spot = &prod.nodegroups[1];
        assert_eq!((spot.name.as_str(), spot.bounds), ("spot", None));
        // 2 cores free now, 3 more general nodes of 2 cores each.
        assert_eq!(prod.headroom_cpu_m(), 2000 + 3 * 2000);
        assert_eq!(
            rows[0].used_pct(),
            0,
            "an empty cluster is 0%, not a division by zero"
        );
    }
}
