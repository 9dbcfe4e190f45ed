//! The benchmark fleets (tests/support/fleet/) are what docs/benchmarks.md says they are: the
//! stated numbers of clusters, deployments and pods, as Kubernetes objects and after the
//! collector's translation, and the same on every run.

#[path = "support/fleet/mod.rs"]
mod fleet;

use fleet::{FleetSize, L, M, XS};
use std::collections::BTreeMap;

fn t0() -> jiff::Timestamp {
    "2026-11-21T14:30:00Z".parse().unwrap()
}

/// Objects per kind over every cluster of the fleet.
fn kinds(size: &FleetSize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for c in 0..size.clusters {
        for o in fleet::cluster_objects(size, c) {
            *out.entry(o["kind"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[test]
fn the_fleets_have_their_stated_sizes_as_objects() {
    for size in [XS, M, L] {
        let k = kinds(&size);
        assert_eq!(k["Deployment"], size.deployments, "{}", size.name);
        assert_eq!(k["Pod"], size.pods, "{}", size.name);
        assert_eq!(k["ReplicaSet"], 2 * size.deployments, "{}", size.name);
        assert!(k["Node"] >= size.pods / 25, "{}: {k:?}", size.name);
        assert!(k["HorizontalPodAutoscaler"] > 0, "{}", size.name);
        let names: std::collections::BTreeSet<String> =
            size.all_clusters().into_iter().map(|c| c.name).collect();
        assert_eq!(
            names.len(),
            size.clusters,
            "{}: cluster names are unique",
            size.name
        );
    }
}

#[test]
fn the_console_state_of_m_holds_every_object() {
    let f = fleet::fleet_state(&M, t0());
    assert_eq!(f.clusters().len(), 10);
    let workloads: usize = f.clusters().values().map(|c| c.workloads.len()).sum();
    let pods: usize = f.clusters().values().map(|c| c.pods.len()).sum();
    let desired: u32 = f
        .clusters()
        .values()
        .flat_map(|c| c.workloads.values())
        .map(|w| w.desired)
        .sum();
    assert_eq!((workloads, pods, desired as usize), (500, 5_000, 5_000));
    // Every pod found its workload, and some are unhealthy (the alerts screen has rows).
    for c in f.clusters().values() {
        for p in c.pods.values() {
            let key = opsdeck::domain::WorkloadKey::new(p.namespace.clone(), p.workload.clone());
            assert!(c.workloads.contains_key(&key), "{} has no workload", p.name);
        }
    }
    assert!(
        f.clusters()
            .values()
            .flat_map(|c| c.pods.values())
            .any(|p| p.reason.as_deref() == Some("CrashLoopBackOff"))
    );
    assert_eq!(f.layout().regions.len(), 4);
}

#[test]
fn the_fleets_are_the_same_on_every_run() {
    assert_eq!(fleet::cluster_objects(&M, 7), fleet::cluster_objects(&M, 7));
    assert_eq!(fleet::fleet_state(&XS, t0()), fleet::fleet_state(&XS, t0()));
    assert_ne!(fleet::cluster_objects(&M, 1), fleet::cluster_objects(&M, 2));
}
