//! Deterministic fleets of a stated size for the benchmarks (issue #7): M (10 clusters, 500
//! deployments, 5,000 pods) and L (30 clusters, 1,500 deployments, 20,000 pods).
//!
//! One description, two forms:
//! - [`cluster_objects`]: the Kubernetes objects of one cluster (Nodes, Deployments, their
//!   ReplicaSets, Pods, HPAs) as `kubectl get -o json` shows them, to load into a `FakeKube`;
//! - [`fleet_state`]: the console's `FleetState` after the initial sync of every cluster, built
//!   from those same objects through the collector's own translation and cluster model, so the
//!   render benchmarks draw exactly what the whole-process run shows.
//!
//! No randomness across runs: every choice is a hash of (seed, indices). Include it with
//! `#[path = "../support/fleet/mod.rs"] mod fleet;` (it needs the fake's `serde_json` only,
//! plus `opsdeck` for `fleet_state`).
#![allow(dead_code)]

mod objects;
mod state;

pub use objects::cluster_objects;
#[allow(unused_imports)]
pub use state::{fleet_state, initial_updates, layout};

/// The size of a generated fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetSize {
    pub name: &'static str,
    pub clusters: usize,
    pub deployments: usize,
    pub pods: usize,
}

pub const M: FleetSize = FleetSize {
    name: "M",
    clusters: 10,
    deployments: 500,
    pods: 5_000,
};

pub const L: FleetSize = FleetSize {
    name: "L",
    clusters: 30,
    deployments: 1_500,
    pods: 20_000,
};

/// A busy fleet's size (issue 16): 20 clusters of 1,000 pods, for the churn benchmark
/// (`process.py --busy`, `fake_fleet churn`).
pub const B: FleetSize = FleetSize {
    name: "B",
    clusters: 20,
    deployments: 1_000,
    pods: 20_000,
};

/// A small fleet of the same shape, for tests that want the real thing in a second.
pub const XS: FleetSize = FleetSize {
    name: "XS",
    clusters: 3,
    deployments: 12,
    pods: 60,
};

pub const SEED: u64 = 1;

/// The environments, in pipeline order: cluster `i` belongs to `ENVS[i % 3]`.
pub const ENVS: [&str; 3] = ["dev", "staging", "prod"];

/// Regions in overview order: cluster `i` is in `REGIONS[i / 3]`.
pub const REGIONS: [&str; 10] = [
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
    "eu-north-1",
    "ap-south-1",
];

/// Where one cluster sits in the fleet and what it is called (also its kubeconfig context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub index: usize,
    pub name: String,
    pub env: &'static str,
    pub region: &'static str,
}

impl FleetSize {
    pub fn cluster(&self, index: usize) -> ClusterSpec {
        assert!(
            index < self.clusters,
            "cluster {index} of {}",
            self.clusters
        );
        let env = ENVS[index % ENVS.len()];
        let region = REGIONS[index / ENVS.len()];
        ClusterSpec {
            index,
            name: format!("{env}-{region}"),
            env,
            region,
        }
    }

    pub fn all_clusters(&self) -> Vec<ClusterSpec> {
        (0..self.clusters).map(|i| self.cluster(i)).collect()
    }

    /// The regions the fleet's clusters use, in overview order.
    pub fn regions(&self) -> Vec<&'static str> {
        REGIONS[..self.clusters.div_ceil(ENVS.len())].to_vec()
    }

    /// Deployments per cluster (every cluster runs the same number).
    pub fn deployments_per_cluster(&self) -> usize {
        assert_eq!(
            self.deployments % self.clusters,
            0,
            "{}: deployments must divide evenly over the clusters",
            self.name
        );
        self.deployments / self.clusters
    }

    /// Pods of one cluster: an even share, the first clusters taking the remainder.
    pub fn pods_in(&self, cluster: usize) -> usize {
        self.pods / self.clusters + usize::from(cluster < self.pods % self.clusters)
    }
}

/// SplitMix64: a well-mixed hash of a seed and a few indices, so every generated detail is a
/// pure function of where it is.
pub fn mix(parts: &[u64]) -> u64 {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for p in parts {
        x ^= p.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
    }
    x
}
