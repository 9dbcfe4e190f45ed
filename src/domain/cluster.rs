//! Clusters, nodes, nodegroups and the health of the source that feeds them.

use super::{ClusterId, Pod, Timestamp, Workload, WorkloadKey};
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// When the source will try again after a failure, when it knows (the Sources view shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry: Option<Timestamp>,
}

/// What a source's data is worth at a moment: the one rule behind "never connected",
/// "stale, last data 4m ago" and "failed: <fix>", and behind every stale row on every screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// No data has ever arrived: still trying (`failed` None), or failed before any data
    /// (`failed` says why, e.g. a config error or expired credentials).
    NeverConnected { failed: Option<String> },
    /// Data is flowing.
    Live,
    /// Data is flowing, but part of it is missing (e.g. a forbidden resource).
    Degraded(String),
    /// Had data and lost contact: the data shown is `age_secs` old. `why` is the source's
    /// reason; None when the source says nothing but has been silent for too long.
    Stale { age_secs: i64, why: Option<String> },
    /// Cannot collect at all, after data that is now `age_secs` old.
    Failed { why: String, age_secs: i64 },
}

impl Freshness {
    /// The age of data that is shown but no longer current (stale, or failed after data):
    /// rows from such a source are drawn dimmed with this age. None: nothing to mark.
    pub fn stale_age(&self) -> Option<i64> {
        match self {
            Freshness::Stale { age_secs, .. } | Freshness::Failed { age_secs, .. } => {
                Some(*age_secs)
            }
            _ => None,
        }
    }

    /// The state in one or two words: `never connected`, `live`, `degraded`, `stale`, `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            Freshness::NeverConnected { failed: None } => "never connected",
            Freshness::NeverConnected { failed: Some(_) } | Freshness::Failed { .. } => "failed",
            Freshness::Live => "live",
            Freshness::Degraded(_) => "degraded",
            Freshness::Stale { .. } => "stale",
        }
    }

    /// The source's own words about what is wrong (the fix, where it names one).
    pub fn why(&self) -> Option<&str> {
        match self {
            Freshness::NeverConnected { failed: Some(w) }
            | Freshness::Degraded(w)
            | Freshness::Failed { why: w, .. }
            | Freshness::Stale { why: Some(w), .. } => Some(w),
            _ => None,
        }
    }

    /// Whether the source has troubles to show (anything but live, and still connecting).
    pub fn is_trouble(&self) -> bool {
        !matches!(
            self,
            Freshness::Live | Freshness::NeverConnected { failed: None }
        )
    }
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
            next_retry: None,
        }
    }
    pub fn live(at: Timestamp) -> SourceHealth {
        SourceHealth {
            status: SourceStatus::Live,
            last_data: Some(at),
            reports_every_secs: None,
            next_retry: None,
        }
    }
    /// Age of the data in whole seconds at `now` (never negative, even with clock skew).
    pub fn age_secs(&self, now: Timestamp) -> Option<i64> {
        self.last_data
            .map(|t| (now.as_second() - t.as_second()).max(0))
    }
    /// What the data is worth at `now` (see [`Freshness`]). A source that is live (or degraded,
    /// or reconnecting) but silent for longer than `stale_after_secs` — for a polling source,
    /// twice its reporting interval if that is longer — is stale too.
    pub fn freshness(&self, now: Timestamp, stale_after_secs: u64) -> Freshness {
        let Some(age_secs) = self.age_secs(now) else {
            return Freshness::NeverConnected {
                failed: match &self.status {
                    SourceStatus::Failed(why) => Some(why.clone()),
                    _ => None,
                },
            };
        };
        let allowed = stale_after_secs.max(self.reports_every_secs.unwrap_or(0) * 2);
        let silent = age_secs as u64 > allowed;
        match &self.status {
            SourceStatus::Failed(why) => Freshness::Failed {
                why: why.clone(),
                age_secs,
            },
            SourceStatus::Stale(why) => Freshness::Stale {
                age_secs,
                why: Some(why.clone()),
            },
            _ if silent => Freshness::Stale {
                age_secs,
                why: None,
            },
            SourceStatus::Degraded(why) => Freshness::Degraded(why.clone()),
            SourceStatus::Live | SourceStatus::Connecting => Freshness::Live,
        }
    }

    /// Failed (before or after data), or showing data that is no longer current.
    pub fn is_stale(&self, now: Timestamp, stale_after_secs: u64) -> bool {
        matches!(
            self.freshness(now, stale_after_secs),
            Freshness::Stale { .. }
                | Freshness::Failed { .. }
                | Freshness::NeverConnected { failed: Some(_) }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn health(status: SourceStatus, last_data: Option<i64>) -> SourceHealth {
        SourceHealth {
            status,
            last_data: last_data.map(at),
            ..SourceHealth::connecting()
        }
    }

    #[test]
    fn never_connected_stale_and_failed_are_told_apart() {
        let now = at(300);
        let f = |h: SourceHealth| h.freshness(now, 30);
        assert_eq!(
            f(health(SourceStatus::Connecting, None)),
            Freshness::NeverConnected { failed: None }
        );
        assert_eq!(
            f(health(
                SourceStatus::Failed("run aws sso login".into()),
                None
            )),
            Freshness::NeverConnected {
                failed: Some("run aws sso login".into())
            }
        );
        assert_eq!(f(health(SourceStatus::Live, Some(290))), Freshness::Live);
        assert_eq!(
            f(health(
                SourceStatus::Stale("connection refused".into()),
                Some(60)
            )),
            Freshness::Stale {
                age_secs: 240,
                why: Some("connection refused".into())
            }
        );
        assert_eq!(
            f(health(SourceStatus::Failed("401".into()), Some(60))),
            Freshness::Failed {
                why: "401".into(),
                age_secs: 240
            }
        );
        // Live, degraded or reconnecting, but silent past the allowance: stale with no reason.
        for status in [
            SourceStatus::Live,
            SourceStatus::Degraded("pods forbidden".into()),
            SourceStatus::Connecting,
        ] {
            let got = f(health(status.clone(), Some(200)));
            assert_eq!(
                got,
                Freshness::Stale {
                    age_secs: 100,
                    why: None
                },
                "{status:?}"
            );
            assert_eq!(got.stale_age(), Some(100));
        }
        assert_eq!(
            f(health(
                SourceStatus::Degraded("pods forbidden".into()),
                Some(290)
            )),
            Freshness::Degraded("pods forbidden".into())
        );
    }

    #[test]
    fn a_polling_source_is_not_stale_within_twice_its_interval() {
        let h = SourceHealth {
            reports_every_secs: Some(300),
            ..SourceHealth::live(at(0))
        };
        assert_eq!(h.freshness(at(599), 30), Freshness::Live);
        assert_eq!(h.freshness(at(601), 30).stale_age(), Some(601));
        assert!(h.is_stale(at(601), 30));
        assert!(!h.is_stale(at(599), 30));
    }

    #[test]
    fn only_data_no_longer_current_marks_rows() {
        let now = at(300);
        assert_eq!(
            health(SourceStatus::Failed("x".into()), None)
                .freshness(now, 30)
                .stale_age(),
            None,
            "no data, no rows to mark"
        );
        assert_eq!(SourceHealth::live(now).freshness(now, 30).stale_age(), None);
        // Clock skew never gives a negative age.
        let ahead = SourceHealth::live(now + SignedDuration::from_secs(60));
        assert_eq!(ahead.freshness(now, 30), Freshness::Live);
    }

    #[test]
    fn next_retry_is_left_out_of_json_when_unknown() {
        let h = SourceHealth::live(at(0));
        assert!(!serde_json::to_string(&h).unwrap().contains("next_retry"));
        let h = SourceHealth {
            next_retry: Some(at(5)),
            ..h
        };
        assert!(serde_json::to_string(&h).unwrap().contains("next_retry"));
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
