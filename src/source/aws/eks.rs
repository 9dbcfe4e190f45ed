//! EKS discovery per (profile, region): clusters (status, Kubernetes version, endpoint, CA) and
//! their nodegroups (min/desired/max, instance types). Configured clusters (matched by
//! `eks_cluster` and region) get their nodegroups through `ClusterDelta::nodegroups`.

use super::alarms::failed_status;
use super::health::{Failure, classify};
use super::{Options, clients};
use crate::app::Msg;
use crate::clock::Clock;
use crate::domain::{
    ClusterDelta, ClusterId, Nodegroup, SourceHealth, SourceStatus, SourceUpdate, Timestamp,
};
use crate::source::refresh::{Refresh, Woke};
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq)]
pub struct EksSource {
    pub scope: clients::Scope,
    pub targets: Vec<EksTarget>,
}

/// A configured cluster that is an EKS cluster of the source's scope.
#[derive(Debug, Clone, PartialEq)]
pub struct EksTarget {
    pub eks_cluster: String,
    pub cluster: ClusterId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EksCluster {
    pub name: String,
    pub status: String,
    pub version: String,
    pub endpoint: String,
    /// The cluster CA, base64 of PEM, as DescribeCluster gives it.
    pub ca_data: Option<String>,
    pub nodegroups: Vec<EksNodegroup>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EksNodegroup {
    pub name: String,
    pub status: String,
    pub min: u32,
    pub desired: u32,
    pub max: u32,
    pub instance_types: Vec<String>,
}

impl EksNodegroup {
    pub fn to_domain(&self) -> Nodegroup {
        Nodegroup {
            name: self.name.clone(),
            instance_type: self.instance_types.join(","),
            min: self.min,
            desired: self.desired,
            max: self.max,
            // EKS does not say; the capacity screen shows no estimate then.
            hourly_usd: 0.0,
        }
    }
}

fn count(n: Option<i32>) -> u32 {
    n.unwrap_or(0).max(0) as u32
}

/// DescribeCluster alone (the native kube connection needs endpoint and CA).
pub async fn describe_cluster(
    client: &aws_sdk_eks::Client,
    name: &str,
) -> Result<EksCluster, Failure> {
    let out = client
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|e| classify(&e, "eks:DescribeCluster"))?;
    let c = out
        .cluster()
        .ok_or_else(|| Failure::Other(format!("EKS cluster {name}: empty answer")))?;
    Ok(EksCluster {
        name: c.name().unwrap_or(name).to_string(),
        status: c
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        version: c.version().unwrap_or_default().to_string(),
        endpoint: c.endpoint().unwrap_or_default().to_string(),
        ca_data: c
            .certificate_authority()
            .and_then(|ca| ca.data())
            .map(String::from),
        nodegroups: Vec::new(),
    })
}

/// Every cluster of the scope with its nodegroups, in name order.
pub async fn discover(client: &aws_sdk_eks::Client) -> Result<Vec<EksCluster>, Failure> {
    let mut names = client
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify(&e, "eks:ListClusters"))?;
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let mut cluster = describe_cluster(client, &name).await?;
        cluster.nodegroups = nodegroups(client, &name).await?;
        out.push(cluster);
    }
    Ok(out)
}

async fn nodegroups(
    client: &aws_sdk_eks::Client,
    cluster: &str,
) -> Result<Vec<EksNodegroup>, Failure> {
    let mut names = client
        .list_nodegroups()
        .cluster_name(cluster)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify(&e, "eks:ListNodegroups"))?;
    names.sort();
    let mut out = Vec::new();
    for name in names {
        out.extend(describe_nodegroup(client, cluster, &name).await?);
    }
    Ok(out)
}

/// DescribeNodegroup alone (None when EKS answers without one); scaling reads the sizes before.
pub async fn describe_nodegroup(
    client: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<EksNodegroup>, Failure> {
    let out = client
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
        .map_err(|e| classify(&e, "eks:DescribeNodegroup"))?;
    Ok(out.nodegroup().map(|ng| {
        let scaling = ng.scaling_config();
        EksNodegroup {
            name: name.to_string(),
            status: ng
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            min: count(scaling.and_then(|s| s.min_size())),
            desired: count(scaling.and_then(|s| s.desired_size())),
            max: count(scaling.and_then(|s| s.max_size())),
            instance_types: ng.instance_types().to_vec(),
        }
    }))
}

/// The deltas that give configured clusters their nodegroups. Pure.
pub fn deltas(targets: &[EksTarget], found: &[EksCluster]) -> Vec<ClusterDelta> {
    targets
        .iter()
        .filter_map(|t| {
            let c = found.iter().find(|c| c.name == t.eks_cluster)?;
            let mut d = ClusterDelta::new(t.cluster.clone());
            d.nodegroups = Some(c.nodegroups.iter().map(EksNodegroup::to_domain).collect());
            Some(d)
        })
        .collect()
}

/// What a configured cluster that discovery did not find says: at once, so neither the
/// console nor `snapshot` waits for nodegroups that will never come.
pub fn not_found(eks_cluster: &str, scope: &clients::Scope, found: &[EksCluster]) -> String {
    let there: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    format!(
        "EKS cluster {eks_cluster} not found in {} (AWS profile {}; clusters there: {}): check \
         eks_cluster and region in the config",
        scope.region,
        scope.profile.as_deref().unwrap_or("default"),
        if there.is_empty() {
            "none".to_string()
        } else {
            there.join(", ")
        }
    )
}

/// After a discovery that worked: each target's health (live, or failed naming the missing
/// cluster) and the nodegroups of those found. Pure.
pub fn discovered_deltas(
    targets: &[EksTarget],
    found: &[EksCluster],
    scope: &clients::Scope,
    live: &SourceHealth,
    next_poll: Option<Timestamp>,
) -> Vec<ClusterDelta> {
    let mut out = Vec::new();
    for t in targets {
        let mut d = ClusterDelta::new(t.cluster.clone());
        d.nodegroup_health = Some(if found.iter().any(|c| c.name == t.eks_cluster) {
            live.clone()
        } else {
            SourceHealth {
                status: SourceStatus::Failed(not_found(&t.eks_cluster, scope, found)),
                last_data: None,
                reports_every_secs: live.reports_every_secs,
                // Looked for again at the next discovery.
                next_retry: next_poll,
            }
        });
        out.push(d);
    }
    out.extend(deltas(targets, found));
    out
}

/// The deltas that tell every target how discovery went: `health` for each (the nodegroups
/// stay as they were). Pure.
pub fn health_deltas(targets: &[EksTarget], health: &SourceHealth) -> Vec<ClusterDelta> {
    targets
        .iter()
        .map(|t| {
            let mut d = ClusterDelta::new(t.cluster.clone());
            d.nodegroup_health = Some(health.clone());
            d
        })
        .collect()
}

/// Describe the scope's clusters every `eks_poll` until the console goes away. Applying an
/// unchanged delta changes nothing (no redraw), so each poll sends its deltas: a cluster
/// announced after the first poll still gets its nodegroups. A failure reaches each target's
/// `nodegroup_health` (what failed, and since when the nodegroups are as they are); the next
/// discovery that works clears it.
pub async fn run(
    source: EksSource,
    options: Options,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    refresh: Option<super::Refreshes>,
) {
    let mut refresh = Refresh::new(refresh, options.refresh_min_gap);
    let mut refreshed = false;
    let label = source.scope.label();
    let config = clients::sdk_config(&source.scope, &options.clients).await;
    let client = clients::eks(&config, &options.clients);
    let profile = source.scope.profile.clone();
    let every = Some(options.eks_poll.as_secs());
    let mut last_good: Option<Timestamp> = None;
    // Live health carries the time it became live, so polls that change nothing redraw nothing.
    let mut live_since: Option<Timestamp> = None;
    loop {
        refresh.polled();
        let result = options.with_backoff(|| discover(&client)).await;
        let now = clock.now();
        let mut out = Vec::new();
        match result {
            Ok(found) => {
                last_good = Some(now);
                if refreshed {
                    // Asked for: the screen says this answer's time.
                    live_since = Some(now);
                }
                let since = *live_since.get_or_insert(now);
                let health = SourceHealth {
                    status: SourceStatus::Live,
                    last_data: Some(since),
                    reports_every_secs: every,
                    next_retry: None,
                };
                let next_poll = super::next_poll(now, options.eks_poll);
                out.extend(discovered_deltas(
                    &source.targets,
                    &found,
                    &source.scope,
                    &health,
                    next_poll,
                ));
            }
            Err(failure) => {
                live_since = None;
                let status = failed_status(&options, &failure, "EKS", profile.as_deref());
                tracing::warn!(source = %label, ?status, "EKS discovery failed");
                let health = SourceHealth {
                    next_retry: super::retry_at(&status, now, options.eks_poll),
                    status,
                    last_data: last_good,
                    reports_every_secs: every,
                };
                out.extend(health_deltas(&source.targets, &health));
            }
        }
        for d in out {
            if tx
                .send(Msg::Source(SourceUpdate::ClusterDelta(Box::new(d))))
                .await
                .is_err()
            {
                return;
            }
        }
        tokio::select! {
            woke = refresh.wait(options.eks_poll) => refreshed = woke == Woke::Refresh,
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_clusters_get_their_nodegroups() {
        let found = vec![EksCluster {
            name: "prod-euw1".into(),
            status: "ACTIVE".into(),
            version: "1.31".into(),
            endpoint: "https://x".into(),
            ca_data: None,
            nodegroups: vec![EksNodegroup {
                name: "general".into(),
                status: "ACTIVE".into(),
                min: 2,
                desired: 3,
                max: 6,
                instance_types: vec!["m6i.large".into(), "m6a.large".into()],
            }],
        }];
        let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
        let targets = vec![
            EksTarget {
                eks_cluster: "prod-euw1".into(),
                cluster: id.clone(),
            },
            EksTarget {
                eks_cluster: "gone".into(),
                cluster: ClusterId::parse("prod", "eu-west-1", "gone").unwrap(),
            },
        ];
        let scope = clients::Scope {
            profile: Some("acme-prod".into()),
            region: "eu-west-1".into(),
        };
        let all = discovered_deltas(
            &targets,
            &found,
            &scope,
            &SourceHealth::connecting(),
            Some(jiff::Timestamp::UNIX_EPOCH),
        );
        match &all[1].nodegroup_health.as_ref().unwrap().status {
            SourceStatus::Failed(why) => assert_eq!(
                why,
                "EKS cluster gone not found in eu-west-1 (AWS profile acme-prod; clusters \
                 there: prod-euw1): check eks_cluster and region in the config"
            ),
            s => panic!("{s:?}"),
        }
        assert_eq!(
            all[1].nodegroup_health.as_ref().unwrap().next_retry,
            Some(jiff::Timestamp::UNIX_EPOCH),
            "looked for again at the next discovery"
        );
        let d = deltas(&targets, &found);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].cluster, id);
        let ng = &d[0].nodegroups.as_ref().unwrap()[0];
        assert_eq!((ng.min, ng.desired, ng.max), (2, 3, 6));
        assert_eq!(ng.instance_type, "m6i.large,m6a.large");
    }
}
