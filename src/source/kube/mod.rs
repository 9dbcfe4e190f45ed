//! Live Kubernetes state through watches (kube-rs): one collector task per configured cluster.
//!
//! - `connect`: kubeconfig + context → a client (exec plugins run non-interactively).
//! - `translate`: API objects → the compact records the console keeps (pure).
//! - `model`: one cluster's records; turns watch events into `ClusterDelta`s (pure).
//! - `health`: per-resource watch status → the cluster's `SourceHealth` (pure).
//! - `collector`: the task: watchers, liveness probe, batching, backoff.

pub mod actions;
pub mod annotations;
pub mod collector;
pub mod connect;
pub mod eks_connect;
pub mod health;
pub mod list_watch;
pub mod model;
pub mod pacing;
pub mod quantity;
pub mod store;
pub mod translate;
pub mod watch;

pub use collector::{Target, Timings};

use crate::app::Msg;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::{ClusterId, ClusterInfo};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Every configured cluster as a collector target, in config order.
pub fn targets(config: &Config) -> Vec<Target> {
    let mut out = Vec::new();
    for env in &config.environments {
        for c in &env.clusters {
            out.push(Target {
                info: ClusterInfo {
                    id: env.cluster_id(c),
                    name: c.name.clone(),
                    env: env.name.clone(),
                    region: c.region.clone(),
                    kubernetes_version: String::new(),
                },
                endpoint: endpoint(config, env, c),
                namespaces: c.namespaces.clone(),
                model: model::ModelOptions {
                    production: env.production,
                    required_approvals: env.policy().approvals,
                    read_only: config.ui.read_only || env.read_only,
                    policy: env.policy(),
                    ..model::ModelOptions::default()
                },
            });
        }
    }
    out
}

/// An EKS cluster named without a kubeconfig or context is reached natively (DescribeCluster
/// and an in-process token), unless `aws.enabled = false`; otherwise through the kubeconfig, as
/// kubectl would.
fn endpoint(
    config: &Config,
    env: &crate::config::EnvironmentConfig,
    c: &crate::config::ClusterConfig,
) -> connect::Endpoint {
    match connect::EksEndpoint::of(config, env, c) {
        Some(eks) if config.aws.enabled && c.context.is_none() && c.kubeconfig.is_none() => {
            connect::Endpoint::Eks(eks)
        }
        _ => connect::Endpoint::kubeconfig(c.kubeconfig.clone(), c.context.clone()),
    }
}

/// Start one collector task per target. Each stops by itself when the console's channel closes.
pub fn spawn(
    targets: Vec<Target>,
    timings: Timings,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
) -> Vec<tokio::task::JoinHandle<()>> {
    spawn_with_actions(targets, timings, clock, tx).0
}

/// Start the collectors, and return for each cluster the channel its actions go to: the
/// collector owns the client, so actions use its connection and its cluster identity.
pub fn spawn_with_actions(
    targets: Vec<Target>,
    timings: Timings,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    std::collections::HashMap<ClusterId, mpsc::Sender<crate::source::ActionJob>>,
) {
    spawn_gated(targets, timings, clock, tx, None)
}

/// As `spawn_with_actions`; clusters reached natively through EKS wait until `aws_gate` says
/// true (the console's first frame: nothing AWS-related runs before it).
pub fn spawn_gated(
    targets: Vec<Target>,
    timings: Timings,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    aws_gate: Option<tokio::sync::watch::Receiver<bool>>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    std::collections::HashMap<ClusterId, mpsc::Sender<crate::source::ActionJob>>,
) {
    spawn_refreshable(targets, timings, clock, tx, aws_gate, None)
}

/// As `spawn_gated`; every tick of `refresh` (ctrl-r) makes every collector relist (see
/// `collector::run_refreshable`).
pub fn spawn_refreshable(
    targets: Vec<Target>,
    timings: Timings,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    aws_gate: Option<tokio::sync::watch::Receiver<bool>>,
    refresh: Option<tokio::sync::watch::Receiver<u64>>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    std::collections::HashMap<ClusterId, mpsc::Sender<crate::source::ActionJob>>,
) {
    let mut senders = std::collections::HashMap::new();
    let tasks = targets
        .into_iter()
        .map(|t| {
            let (job_tx, job_rx) = mpsc::channel(16);
            senders.insert(t.info.id.clone(), job_tx);
            let gate = matches!(t.endpoint, connect::Endpoint::Eks(_))
                .then(|| aws_gate.clone())
                .flatten();
            let (timings, clock, tx) = (timings.clone(), clock.clone(), tx.clone());
            let refresh = refresh.clone();
            tokio::spawn(async move {
                if let Some(mut gate) = gate
                    && gate.wait_for(|open| *open).await.is_err()
                {
                    return;
                }
                collector::run_refreshable(t, timings, clock, tx, job_rx, refresh).await
            })
        })
        .collect();
    (tasks, senders)
}

/// Collect from every target until each has settled (delivered its first data or failed), or
/// until `deadline`; for one-shot uses such as `opsdeck snapshot`.
pub async fn settle(
    layout: crate::domain::FleetLayout,
    targets: Vec<Target>,
    timings: Timings,
    clock: Arc<dyn Clock>,
    deadline: std::time::Duration,
) -> crate::domain::FleetState {
    let mut fleet = crate::domain::FleetState::default();
    fleet.apply(crate::domain::SourceUpdate::Layout(layout));
    let expected = targets.len();
    let (tx, mut rx) = mpsc::channel(1024);
    let tasks = spawn(targets, timings, clock, tx);
    settle_into(&mut fleet, &mut rx, expected, deadline).await;
    for t in tasks {
        t.abort();
    }
    fleet
}

/// Apply the collectors' messages to `fleet` until `expected` clusters have each settled (none
/// still connecting), or until `deadline`. The collectors keep running.
pub async fn settle_into(
    fleet: &mut crate::domain::FleetState,
    rx: &mut mpsc::Receiver<Msg>,
    expected: usize,
    deadline: std::time::Duration,
) {
    use crate::domain::SourceStatus;
    let _ = tokio::time::timeout(deadline, async {
        while let Some(msg) = rx.recv().await {
            if let Msg::Source(update) = msg {
                fleet.apply(update);
                if fleet.clusters().len() == expected
                    && fleet
                        .clusters()
                        .values()
                        .all(|c| c.health.status != SourceStatus::Connecting)
                {
                    return;
                }
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(enabled: bool) -> Config {
        let text = format!(
            r#"
regions = ["eu-west-1"]
[aws]
enabled = {enabled}
[aws.endpoint_urls]
eks = "http://127.0.0.1:1"
[[environments]]
name = "prod"
[[environments.clusters]]
name = "eks-native"
region = "eu-west-1"
eks_cluster = "prod-euw1"
[[environments.clusters]]
name = "kubeconfig"
region = "eu-west-1"
context = "prod"
"#
        );
        crate::config::parse(&text, "t.toml").unwrap()
    }

    #[test]
    fn eks_clusters_without_a_context_connect_natively_unless_aws_is_off() {
        let t = targets(&config(true));
        assert!(matches!(t[0].endpoint, connect::Endpoint::Eks(_)));
        assert!(matches!(
            t[1].endpoint,
            connect::Endpoint::Kubeconfig { .. }
        ));
        let t = targets(&config(false));
        assert!(matches!(
            t[0].endpoint,
            connect::Endpoint::Kubeconfig { .. }
        ));
    }

    #[tokio::test]
    async fn clusters_reached_through_eks_wait_for_the_gate() {
        let (gate, gate_rx) = tokio::sync::watch::channel(false);
        let (tx, mut rx) = mpsc::channel(16);
        let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
        let mut t = targets(&config(true));
        t.truncate(1);
        let (tasks, _) = spawn_gated(t, Timings::default(), clock, tx, Some(gate_rx));
        let early = tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await;
        assert!(early.is_err(), "nothing before the gate opens: {early:?}");
        gate.send(true).unwrap();
        let first = tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv())
            .await
            .expect("the collector starts once the gate opens");
        assert!(matches!(
            first,
            Some(Msg::Source(crate::domain::SourceUpdate::Cluster(_)))
        ));
        for t in tasks {
            t.abort();
        }
    }
}
