//! Watch-event ingestion: the path from the bytes of a watch stream to the console's state.
//!
//! Per event: parse the watch line (`kube::core::WatchEvent<Pod>`, as kube-runtime does),
//! translate to the compact record, apply to the cluster model; every 100 events (the
//! collector batches every 100 ms) the model's delta is applied through the real reducer
//! (`app::update`). Budget (issue #3): at least 20,000 events/s on one core.
//!
//! Two states: one holding just that cluster, and the same inside the whole L fleet (30 more
//! clusters, 20,000 more pods), so a cost that grows with the fleet would show.
//!
//! Run with `cargo bench --bench ingest`.

#[path = "../support/fleet/mod.rs"]
mod fleet;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::core::WatchEvent;
use opsdeck::app::{Msg, Settings, State, update};
use opsdeck::domain::{ClusterId, ClusterInfo, ClusterState, EnvInfo, FleetLayout, SourceUpdate};
use opsdeck::keymap::Keymap;
use opsdeck::source::kube::model::{ClusterModel, ModelOptions, Record, Resource, Step};
use opsdeck::source::kube::translate;
use std::hint::black_box;
use std::time::Duration;

const PODS: usize = 5_000;
const DEPLOYMENTS: usize = 500;
const EVENTS: usize = 1_000;

fn pod_json(i: usize, restarts: usize) -> String {
    let dep = i % DEPLOYMENTS;
    serde_json::json!({
        "type": "MODIFIED",
        "object": {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": format!("svc-{dep}-7d9f5c8b4-{i:05}"), "namespace": format!("team-{}", dep % 20),
                "uid": format!("0000-{i}"), "resourceVersion": format!("{}", 1000 + i + restarts),
                "creationTimestamp": "2026-11-21T10:00:00Z",
                "labels": {"app": format!("svc-{dep}"), "pod-template-hash": "7d9f5c8b4"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": format!("svc-{dep}-7d9f5c8b4"), "uid": "x", "controller": true}],
                "managedFields": [{"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                    "time": "2026-11-21T10:00:05Z", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {},
                        "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:startTime": {}}}}]
            },
            "spec": {
                "nodeName": format!("ip-10-0-{}-{}.ec2.internal", i % 16, i % 250),
                "containers": [{"name": "app",
                    "image": format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/svc-{dep}:1.4.{}", i % 7),
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
                    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                        "limits": {"cpu": "1", "memory": "512Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}}]
            },
            "status": {
                "phase": "Running", "hostIP": "10.0.1.5", "podIP": "10.0.7.9",
                "startTime": "2026-11-21T10:00:01Z",
                "conditions": [{"type": "Ready", "status": "True",
                    "lastTransitionTime": "2026-11-21T10:00:05Z"}],
                "containerStatuses": [{"name": "app", "ready": true, "restartCount": restarts,
                    "image": "x", "imageID": "y", "started": true,
                    "state": {"running": {"startedAt": "2026-11-21T10:00:03Z"}}}]
            }
        }
    })
    .to_string()
}

fn deployment(i: usize) -> Deployment {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("svc-{i}"), "namespace": format!("team-{}", i % 20),
            "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {"replicas": 10, "selector": {}, "template": {"spec": {"containers": [
            {"name": "app", "image": format!("ecr/svc-{i}:1.4.0")}]}}},
        "status": {"replicas": 10, "readyReplicas": 10, "updatedReplicas": 10,
            "availableReplicas": 10}
    }))
    .unwrap()
}

fn id() -> ClusterId {
    ClusterId::parse("prod", "us-east-1", "prod-use1").unwrap()
}

/// A console state with nothing in it, or with the whole L fleet.
fn base_state(with_l: bool) -> State {
    let settings = Settings {
        read_only: false,
        stale_after_secs: 30,
        demo: false,
        user: "lee".into(),
        policies: Default::default(),
    };
    let now = "2026-11-21T14:30:00Z".parse().unwrap();
    let mut state = State::new(Keymap::default(), settings, now);
    if with_l {
        for u in fleet::initial_updates(&fleet::L, now) {
            update(&mut state, Msg::Source(u));
        }
    }
    state
}

/// `state` and a cluster model after the initial sync of one more, M-sized, cluster.
fn synced(mut state: State) -> (State, ClusterModel) {
    let layout = FleetLayout {
        name: "bench".into(),
        envs: vec![EnvInfo {
            name: "prod".into(),
            production: true,
            read_only: false,
            waves: Vec::new(),
        }],
        regions: vec!["us-east-1".into()],
    };
    // The L fleet's layout already has prod and us-east-1.
    if state.fleet.layout().envs.is_empty() {
        update(&mut state, Msg::Source(SourceUpdate::Layout(layout)));
    }
    let info = ClusterInfo {
        id: id(),
        name: "prod-use1".into(),
        env: "prod".into(),
        region: "us-east-1".into(),
        kubernetes_version: "v1.33.2".into(),
    };
    update(
        &mut state,
        Msg::Source(SourceUpdate::Cluster(Box::new(ClusterState::new(info)))),
    );
    let mut model = ClusterModel::new(id(), ModelOptions::default());
    let all = None;
    for i in 0..DEPLOYMENTS {
        let r = translate::deployment(&deployment(i)).unwrap();
        model.apply(
            Resource::Deployments,
            &all,
            Step::Apply(Record::Workload(r)),
        );
    }
    for i in 0..PODS {
        let ev: WatchEvent<Pod> = serde_json::from_str(&pod_json(i, 0)).unwrap();
        if let WatchEvent::Modified(p) = ev {
            let r = translate::pod(&p).unwrap();
            model.apply(Resource::Pods, &all, Step::Apply(Record::Pod(r)));
        }
    }
    update(
        &mut state,
        Msg::Source(SourceUpdate::ClusterDelta(Box::new(model.flush()))),
    );
    (state, model)
}

fn ingest(c: &mut Criterion) {
    // Pre-rendered watch lines: each one changes a pod (a restart count goes up).
    let lines: Vec<String> = (0..EVENTS)
        .map(|i| pod_json(i * 5 % PODS, 1 + i / PODS))
        .collect();
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.measurement_time(Duration::from_secs(8));
    for (name, others) in [
        ("pod_watch_events_to_state", false),
        ("pod_watch_events_to_state_in_L", true),
    ] {
        let base = base_state(others);
        group.bench_function(name, |b| {
            b.iter_batched(
                || synced(base.clone()),
                |(mut state, mut model)| {
                    let all = None;
                    for (n, line) in lines.iter().enumerate() {
                        let ev: WatchEvent<Pod> = serde_json::from_str(line).unwrap();
                        if let WatchEvent::Modified(p) = ev
                            && let Some(r) = translate::pod(&p)
                        {
                            model.apply(Resource::Pods, &all, Step::Apply(Record::Pod(r)));
                        }
                        if n % 100 == 99 {
                            let delta = model.flush();
                            update(
                                &mut state,
                                Msg::Source(SourceUpdate::ClusterDelta(Box::new(delta))),
                            );
                        }
                    }
                    black_box(state)
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
