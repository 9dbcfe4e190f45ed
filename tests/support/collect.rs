//! A collector harness shared by the tests that run `kube::spawn` against fake API servers:
//! fast timings, one target per fake server, and the fleet state the collectors' messages build.
//! Include it after `fake_kube`:
//! `#[path = "support/collect.rs"] mod collect;`
#![allow(dead_code)]

use crate::fake_kube::{self, FakeKube};
use opsdeck::app::{Msg, State, update};
use opsdeck::clock::{Clock, SystemClock};
use opsdeck::domain::{
    ClusterId, ClusterInfo, ClusterState, EnvInfo, FleetLayout, FleetState, SourceStatus,
    SourceUpdate,
};
use opsdeck::source::kube::connect::Endpoint;
use opsdeck::source::kube::model::ModelOptions;
use opsdeck::source::kube::{Target, Timings};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const FIXTURE: &str = include_str!("../fixtures/kube/small-cluster.yaml");
pub const ENV: &str = "prod";
pub const REGION: &str = "eu-west-1";

/// Fast timings so outages and recoveries show within a second or two.
pub fn timings() -> Timings {
    Timings {
        connect_timeout: Duration::from_millis(500),
        probe_every: Duration::from_millis(200),
        probe_timeout: Duration::from_millis(500),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        batch_every: Duration::from_millis(50),
        initial_sync_grace: Duration::from_secs(3),
        watch_timeout: Duration::from_secs(60),
        // The fake server sends a bookmark every second (`FakeKube::set_bookmark_interval`).
        stall_after: Duration::from_secs(3),
        answer_timeout: Duration::from_secs(2),
        rediscover_every: Duration::from_secs(2),
        min_refresh_gap: Duration::from_secs(1),
    }
}

pub fn layout() -> FleetLayout {
    FleetLayout {
        name: "fake".into(),
        envs: vec![EnvInfo {
            name: ENV.into(),
            production: true,
            read_only: false,
            waves: Vec::new(),
        }],
        regions: vec![REGION.into()],
    }
}

pub fn target(kubeconfig: &std::path::Path, name: &str, namespaces: &[&str]) -> Target {
    Target {
        info: ClusterInfo {
            id: ClusterId::parse(ENV, REGION, name).unwrap(),
            name: name.into(),
            env: ENV.into(),
            region: REGION.into(),
            kubernetes_version: String::new(),
        },
        endpoint: Endpoint::kubeconfig(Some(kubeconfig.to_path_buf()), Some(name.into())),
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
        model: ModelOptions {
            production: true,
            ..ModelOptions::default()
        },
    }
}

/// Collectors for some fake servers, and the fleet state their messages build.
pub struct Harness {
    pub rx: mpsc::Receiver<Msg>,
    pub fleet: FleetState,
    pub _tasks: Vec<tokio::task::JoinHandle<()>>,
    pub _dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start(servers: &[(&str, &FakeKube)]) -> Harness {
        Harness::start_with(servers, &[], Arc::new(SystemClock)).await
    }

    pub async fn start_with(
        servers: &[(&str, &FakeKube)],
        namespaces: &[&str],
        clock: Arc<dyn Clock>,
    ) -> Harness {
        Harness::start_full(servers, namespaces, clock, timings()).await
    }

    /// All servers, all namespaces, the system clock, and these timings.
    pub async fn start_timed(servers: &[(&str, &FakeKube)], timings: Timings) -> Harness {
        Harness::start_full(servers, &[], Arc::new(SystemClock), timings).await
    }

    pub async fn start_full(
        servers: &[(&str, &FakeKube)],
        namespaces: &[&str],
        clock: Arc<dyn Clock>,
        timings: Timings,
    ) -> Harness {
        Harness::start_refreshable(servers, namespaces, clock, timings, None).await
    }

    /// As `start_full`, with the refresh channel the console's ctrl-r ticks.
    pub async fn start_refreshable(
        servers: &[(&str, &FakeKube)],
        namespaces: &[&str],
        clock: Arc<dyn Clock>,
        timings: Timings,
        refresh: Option<tokio::sync::watch::Receiver<u64>>,
    ) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = fake_kube::write_kubeconfig(dir.path(), servers);
        let targets = servers
            .iter()
            .map(|(n, _)| target(&kubeconfig, n, namespaces))
            .collect();
        let (tx, rx) = mpsc::channel(1024);
        let (tasks, _) =
            opsdeck::source::kube::spawn_refreshable(targets, timings, clock, tx, None, refresh);
        let mut fleet = FleetState::default();
        fleet.apply(SourceUpdate::Layout(layout()));
        Harness {
            rx,
            fleet,
            _tasks: tasks,
            _dir: dir,
        }
    }

    /// Apply messages until `pred` holds; fails with `what` and the cluster states on timeout.
    /// `pred` is asked after every message and every 50 ms (it may look at a server's log).
    pub async fn until(
        &mut self,
        what: &str,
        within: Duration,
        pred: impl Fn(&FleetState) -> bool,
    ) -> Duration {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + within;
        while !pred(&self.fleet) {
            let next = deadline.min(tokio::time::Instant::now() + Duration::from_millis(50));
            match tokio::time::timeout_at(next, self.rx.recv()).await {
                Err(_) if tokio::time::Instant::now() < deadline => {}
                Ok(Some(Msg::Source(u))) => {
                    self.fleet.apply(u);
                }
                Ok(Some(_)) => {}
                Ok(None) => panic!("collectors stopped while waiting for: {what}"),
                Err(_) => panic!(
                    "not within {within:?}: {what}\nclusters: {:#?}",
                    self.fleet
                        .clusters()
                        .values()
                        .map(|c| (&c.info.name, &c.health, c.workloads.len(), c.pods.len()))
                        .collect::<Vec<_>>()
                ),
            }
        }
        started.elapsed()
    }

    /// Collect from one server, as cluster `fake-a`, until it is live.
    pub async fn live(kube: &FakeKube) -> Harness {
        let mut h = Harness::start(&[("fake-a", kube)]).await;
        h.until("cluster live", Duration::from_secs(5), |f| {
            live(f, "fake-a")
        })
        .await;
        h
    }

    pub fn cluster(&self, name: &str) -> &ClusterState {
        &self.fleet.clusters()[&ClusterId::parse(ENV, REGION, name).unwrap()]
    }
}

/// The one cluster of a single-server harness.
pub fn only(f: &FleetState) -> &ClusterState {
    f.clusters().values().next().expect("one cluster")
}

pub fn live(f: &FleetState, name: &str) -> bool {
    f.clusters()
        .get(&ClusterId::parse(ENV, REGION, name).unwrap())
        .is_some_and(|c| c.health.status == SourceStatus::Live)
}

/// A console's state fed with these clusters (as their collectors' updates would), at `now`.
/// Needs `mod support;` in the test file too.
pub fn console_state(fleet: &FleetState, now: jiff::Timestamp) -> State {
    let mut s = crate::support::settings();
    s.demo = false;
    let mut state = State::new(opsdeck::keymap::Keymap::default(), s, now);
    update(&mut state, Msg::Source(SourceUpdate::Layout(layout())));
    for c in fleet.clusters().values() {
        update(
            &mut state,
            Msg::Source(SourceUpdate::Cluster(Box::new(c.clone()))),
        );
    }
    state
}
