//! Clusters, nodes, nodegroups and the health of the source that feeds them.

use super::{Pod, Timestamp, Workload, WorkloadKey};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Stable identity of a cluster: `env/region/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct ClusterId(pub String);

impl ClusterId {
    pub fn new(env: &str, region: &str, name: &str) -> ClusterId {
        ClusterId(format!("{env}/{region}/{name}"))
    }
    /// The environment part of `env/region/name`.
    pub fn env(&self) -> &str {
        self.0.split('/').next().unwrap_or("")
    }
    /// The cluster's name, the last part of `env/region/name`.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for ClusterId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterInfo {
    pub id: ClusterId,
    pub name: String,
    pub env: String,
    pub region: String,
    pub kubernetes_version: String,
}

/// How fresh and how healthy a source's data is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHealth {
    pub status: SourceStatus,
    /// When the source last delivered data (None: never).
    pub last_data: Option<Timestamp>,
    /// A polling source (e.g. CloudWatch alarms, Cost Explorer) that reports at least this
    /// often, in seconds: it is not stale before twice this long has passed. None: streaming
    /// sources, judged by `stale_after_secs` alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports_every_secs: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum SourceStatus {
    Connecting,
    Live,
    /// Lost contact; showing the last data. The string says why.
    Stale(String),
    /// Partly working: some resources are unavailable (e.g. forbidden).
    Degraded(String),
    /// Not able to collect at all.
    Failed(String),
}

impl SourceHealth {
    pub fn connecting() -> SourceHealth {
        SourceHealth {
            status: SourceStatus::Connecting,
            last_data: None,
            reports_every_secs: None,
        }
    }
    pub fn live(at: Timestamp) -> SourceHealth {
        SourceHealth {
            status: SourceStatus::Live,
            last_data: Some(at),
            reports_every_secs: None,
        }
    }
    /// Age of the data in whole seconds at `now` (never negative, even with clock skew).
    pub fn age_secs(&self, now: Timestamp) -> Option<i64> {
        self.last_data
            .map(|t| (now.as_second() - t.as_second()).max(0))
    }
    /// Live but silent for longer than `stale_after` counts as stale too.
    pub fn is_stale(&self, now: Timestamp, stale_after_secs: u64) -> bool {
        match &self.status {
            SourceStatus::Stale(_) | SourceStatus::Failed(_) => true,
            SourceStatus::Connecting => false,
            _ => {
                let allowed = stale_after_secs.max(self.reports_every_secs.unwrap_or(0) * 2);
                self.age_secs(now).is_some_and(|a| a as u64 > allowed)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub name: String,
    pub nodegroup: String,
    pub ready: bool,
    pub instance_type: String,
    pub allocatable_cpu_m: u64,
    pub allocatable_mem_mib: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nodegroup {
    pub name: String,
    pub instance_type: String,
    pub min: u32,
    pub desired: u32,
    pub max: u32,
    /// On-demand price per instance-hour in USD, for cost estimates of scaling.
    pub hourly_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum EventKind {
    Normal,
    Warning,
}

/// A Kubernetes event, kept short: the console shows recent ones per service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterEvent {
    pub at: Timestamp,
    pub kind: EventKind,
    pub namespace: String,
    /// `Kind/name` of the object, e.g. `Pod/checkout-api-7d9f-x2x`.
    pub object: String,
    pub reason: String,
    pub message: String,
}

/// Everything the console keeps about one cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterState {
    pub info: ClusterInfo,
    pub health: SourceHealth,
    pub workloads: BTreeMap<WorkloadKey, Workload>,
    /// Pods by (namespace, name).
    pub pods: BTreeMap<(String, String), Pod>,
    pub nodes: BTreeMap<String, Node>,
    pub nodegroups: Vec<Nodegroup>,
    /// The EKS discovery that feeds `nodegroups` (None: the cluster has no `eks_cluster`).
    /// Failing, it says what failed; `last_data` is then the last successful discovery.
    pub nodegroup_health: Option<SourceHealth>,
    /// Most recent last, bounded by the source.
    pub events: Vec<ClusterEvent>,
}

impl ClusterState {
    pub fn new(info: ClusterInfo) -> ClusterState {
        ClusterState {
            info,
            health: SourceHealth::connecting(),
            workloads: BTreeMap::new(),
            pods: BTreeMap::new(),
            nodes: BTreeMap::new(),
            nodegroups: Vec::new(),
            nodegroup_health: None,
            events: Vec::new(),
        }
    }

    /// Pods owned by a workload, in name order.
    ///
    /// Only the workload's namespace is scanned (pods are keyed by namespace first): views
    /// call this for every workload, and scanning every pod made a frame on a 20,000-pod
    /// fleet cost workloads × pods.
    pub fn pods_of<'a>(&'a self, key: &'a WorkloadKey) -> impl Iterator<Item = &'a Pod> + 'a {
        self.pods
            .range((key.namespace.clone(), String::new())..)
            .take_while(move |((ns, _), _)| *ns == key.namespace)
            .map(|(_, p)| p)
            .filter(move |p| p.workload == key.name)
    }

    /// Whether a pod's requests count against allocatable capacity: it is scheduled, not
    /// finished, and its node is ready (a node we do not know, e.g. nodes forbidden, counts).
    pub fn holds_capacity(&self, p: &Pod) -> bool {
        let finished = matches!(
            p.phase,
            super::PodPhase::Succeeded | super::PodPhase::Failed
        );
        p.node
            .as_ref()
            .is_some_and(|n| !finished && self.nodes.get(n).is_none_or(|n| n.ready))
    }

    /// CPU and memory requested by running pods vs allocatable on ready nodes.
    pub fn capacity(&self) -> Capacity {
        let mut c = Capacity::default();
        for n in self.nodes.values().filter(|n| n.ready) {
            c.allocatable_cpu_m += n.allocatable_cpu_m;
            c.allocatable_mem_mib += n.allocatable_mem_mib;
        }
        for p in self.pods.values() {
            if p.node.is_none() {
                c.pending_pods += 1;
            } else if self.holds_capacity(p) {
                c.requested_cpu_m += p.cpu_request_m;
                c.requested_mem_mib += p.mem_request_mib;
            }
        }
        c
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Capacity {
    pub allocatable_cpu_m: u64,
    pub allocatable_mem_mib: u64,
    pub requested_cpu_m: u64,
    pub requested_mem_mib: u64,
    pub pending_pods: u32,
}

impl Capacity {
    /// The higher of CPU and memory use, in percent (0 when nothing is allocatable).
    pub fn used_pct(&self) -> u32 {
        let pct = |used: u64, total: u64| used.saturating_mul(100).checked_div(total).unwrap_or(0);
        pct(self.requested_cpu_m, self.allocatable_cpu_m)
            .max(pct(self.requested_mem_mib, self.allocatable_mem_mib))
            .min(u32::MAX as u64) as u32
    }
}
