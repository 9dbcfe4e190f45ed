//! One round of the AWS sources for `opsdeck snapshot`: alarms, EKS nodegroups and cost,
//! collected until each source has answered once (with data or a failure) or the deadline.
//! Metrics are not asked for: a snapshot has no open service.

use super::{Options, Plan, spawn};
use crate::app::Msg;
use crate::clock::Clock;
use crate::domain::{ClusterId, SourceStatus, SourceUpdate};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Run `plan`'s alarm, EKS and cost sources until each answered or `deadline` passed; the
/// updates they sent, in order (apply them after the clusters are known: nodegroups are
/// deltas of known clusters).
pub async fn collect(
    mut plan: Plan,
    options: Options,
    clock: Arc<dyn Clock>,
    deadline: Duration,
) -> Vec<SourceUpdate> {
    plan.metrics.clear();
    let mut alarms: BTreeSet<String> = plan.alarms.iter().map(|a| a.scope.label()).collect();
    let mut clusters: BTreeSet<ClusterId> = plan
        .eks
        .iter()
        .flat_map(|s| s.targets.iter().map(|t| t.cluster.clone()))
        .collect();
    let mut cost = plan.cost.is_some();
    let (tx, mut rx) = mpsc::channel(256);
    let tasks = spawn(plan, options, clock, tx);
    let mut out = Vec::new();
    let until = tokio::time::Instant::now() + deadline;
    while !(alarms.is_empty() && clusters.is_empty() && !cost) {
        let msg = tokio::select! {
            m = rx.recv() => m,
            _ = tokio::time::sleep_until(until) => None,
        };
        let Some(Msg::Source(update)) = msg else {
            break;
        };
        match &update {
            SourceUpdate::Alarms { source, .. } => {
                alarms.remove(source);
            }
            SourceUpdate::ClusterDelta(d) => {
                // An answer: nodegroups, or a discovery that failed (not the live health that
                // comes just before the nodegroups).
                let failed = d
                    .nodegroup_health
                    .as_ref()
                    .is_some_and(|h| h.status != SourceStatus::Live);
                if d.nodegroups.is_some() || failed {
                    clusters.remove(&d.cluster);
                }
            }
            SourceUpdate::Cost { .. } => cost = false,
            _ => {}
        }
        out.push(update);
    }
    for t in tasks {
        t.abort();
    }
    out
}
