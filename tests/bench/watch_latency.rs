//! Watch-event latency: from a write on a fake API server to the change being in the console's
//! fleet state, through the real collector with its default timings (changes are batched every
//! 100 ms). Also counts the requests the collector made. Budget (issue #3): within 1 s; one LIST
//! per resource at start, then watches only.
//!
//! Run with `cargo bench --bench watch_latency`. Prints p50 / p95 / max over 100 changes.

#[path = "../support/fake_kube/mod.rs"]
mod fake_kube;

use fake_kube::{FakeKube, RequestKind};
use opsdeck::app::Msg;
use opsdeck::clock::SystemClock;
use opsdeck::domain::{ClusterId, ClusterInfo, FleetState, SourceStatus, WorkloadKey};
use opsdeck::source::kube::connect::Endpoint;
use opsdeck::source::kube::model::ModelOptions;
use opsdeck::source::kube::{Target, Timings, spawn};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const CHANGES: usize = 100;

#[tokio::main]
async fn main() {
    let kube = FakeKube::start_with_yaml(include_str!("../fixtures/kube/small-cluster.yaml")).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = fake_kube::write_kubeconfig(dir.path(), &[("bench", &kube)]);
    let id = ClusterId::parse("prod", "eu-west-1", "bench").unwrap();
    let target = Target {
        info: ClusterInfo {
            id: id.clone(),
            name: "bench".into(),
            env: "prod".into(),
            region: "eu-west-1".into(),
            kubernetes_version: String::new(),
        },
        endpoint: Endpoint::kubeconfig(Some(kubeconfig), Some("bench".into())),
        namespaces: vec![],
        model: ModelOptions::default(),
    };
    let (tx, mut rx) = mpsc::channel(1024);
    let _tasks = spawn(vec![target], Timings::default(), Arc::new(SystemClock), tx);
    let mut fleet = FleetState::default();
    let key = WorkloadKey::new("payments", "payments-api");
    let wait = async |fleet: &mut FleetState,
                      rx: &mut mpsc::Receiver<Msg>,
                      pred: &dyn Fn(&FleetState) -> bool| {
        while !pred(fleet) {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                Ok(Some(Msg::Source(u))) => {
                    fleet.apply(u);
                }
                Ok(_) => {}
                Err(_) => panic!("no progress within 5 s"),
            }
        }
    };
    let started = Instant::now();
    wait(&mut fleet, &mut rx, &|f: &FleetState| {
        f.clusters()
            .get(&id)
            .is_some_and(|c| c.health.status == SourceStatus::Live)
    })
    .await;
    println!("initial sync: {:?}", started.elapsed());
    let mut latencies = Vec::new();
    for i in 0..CHANGES {
        let replicas = 3 + i as i64;
        let mut d = kube
            .get("apps/v1", "Deployment", Some("payments"), "payments-api")
            .unwrap();
        d["spec"]["replicas"] = serde_json::json!(replicas);
        let t = Instant::now();
        kube.apply(d);
        wait(&mut fleet, &mut rx, &|f: &FleetState| {
            f.clusters()[&id].workloads[&key].desired == replicas as u32
        })
        .await;
        latencies.push(t.elapsed());
        // Spread the changes so each waits for its own batch.
        tokio::time::sleep(Duration::from_millis(37)).await;
    }
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    println!(
        "watch event -> state over {CHANGES} changes: p50 {:?}  p95 {:?}  max {:?}",
        pct(50),
        pct(95),
        latencies.last().unwrap()
    );
    let lists: usize = [
        "deployments",
        "replicasets",
        "pods",
        "nodes",
        "horizontalpodautoscalers",
        "events",
    ]
    .iter()
    .map(|r| kube.count(RequestKind::List, r))
    .sum();
    println!("LIST requests after {CHANGES} changes: {lists} (6 resource types)");
}
