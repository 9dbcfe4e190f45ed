//! The console's view of a generated fleet after every cluster's initial sync, built the way
//! the Kubernetes collector builds it: each object through `translate`, into a `ClusterModel`
//! (LIST begin, objects, synced), then one `ClusterDelta` per cluster.

use super::{ENVS, FleetSize, cluster_objects};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Node, Pod};
use opsdeck::domain::{
    ClusterId, ClusterInfo, ClusterState, EnvInfo, FleetLayout, FleetState, SourceHealth,
    SourceUpdate,
};
use opsdeck::source::kube::model::{ClusterModel, ModelOptions, Record, Resource, Step};
use opsdeck::source::kube::translate;
use serde_json::Value;

/// The fleet's environments (prod is production) and regions, as the config would give them.
pub fn layout(size: &FleetSize) -> FleetLayout {
    FleetLayout {
        name: format!("bench fleet {}", size.name),
        envs: ENVS
            .iter()
            .map(|e| EnvInfo {
                name: e.to_string(),
                production: *e == "prod",
                read_only: false,
                waves: Vec::new(),
            })
            .collect(),
        regions: size.regions().iter().map(|r| r.to_string()).collect(),
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).expect("a generated object deserialises")
}

/// The record the collector would make of one object, and the watcher it comes from.
fn record(obj: &Value) -> Option<(Resource, Record)> {
    let r = match obj["kind"].as_str()? {
        "Deployment" => (
            Resource::Deployments,
            Record::Workload(translate::deployment(&parse::<Deployment>(obj))?),
        ),
        "ReplicaSet" => (
            Resource::ReplicaSets,
            Record::ReplicaSet(translate::replicaset(&parse::<ReplicaSet>(obj))?),
        ),
        "Pod" => (
            Resource::Pods,
            Record::Pod(translate::pod(&parse::<Pod>(obj))?),
        ),
        "Node" => (
            Resource::Nodes,
            Record::Node(translate::node(&parse::<Node>(obj))?),
        ),
        "HorizontalPodAutoscaler" => (
            Resource::Hpas,
            Record::Hpa(translate::hpa(&parse::<HorizontalPodAutoscaler>(obj))?),
        ),
        _ => return None,
    };
    Some(r)
}

/// Every source update the collectors would send for the fleet's initial sync at `now`: the
/// layout, then per cluster its (empty) state and one delta with everything in it.
pub fn initial_updates(size: &FleetSize, now: Timestamp) -> Vec<SourceUpdate> {
    let mut out = vec![SourceUpdate::Layout(layout(size))];
    for c in size.all_clusters() {
        let id = ClusterId::parse(c.env, c.region, &c.name).unwrap();
        let info = ClusterInfo {
            id: id.clone(),
            name: c.name.clone(),
            env: c.env.to_string(),
            region: c.region.to_string(),
            kubernetes_version: "v1.33.1".into(),
        };
        out.push(SourceUpdate::Cluster(Box::new(ClusterState::new(info))));
        let opts = ModelOptions {
            production: c.env == "prod",
            ..ModelOptions::default()
        };
        let mut model = ClusterModel::new(id, opts);
        let all = None;
        let resources = [
            Resource::Deployments,
            Resource::ReplicaSets,
            Resource::Pods,
            Resource::Nodes,
            Resource::Hpas,
            Resource::Events,
        ];
        for r in resources {
            model.apply(r, &all, Step::Begin);
        }
        for obj in cluster_objects(size, c.index) {
            if let Some((r, rec)) = record(&obj) {
                model.apply(r, &all, Step::Apply(rec));
            }
        }
        for r in resources {
            model.apply(r, &all, Step::Synced);
        }
        let mut delta = model.flush();
        delta.health = Some(SourceHealth::live(now));
        out.push(SourceUpdate::ClusterDelta(Box::new(delta)));
    }
    out
}

/// The fleet as the console holds it once every cluster has synced.
pub fn fleet_state(size: &FleetSize, now: Timestamp) -> FleetState {
    let mut fleet = FleetState::default();
    for u in initial_updates(size, now) {
        fleet.apply(u);
    }
    fleet
}
