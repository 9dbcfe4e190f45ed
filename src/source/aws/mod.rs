//! AWS sources (see docs/aws.md): EKS discovery, CloudWatch alarms and Cost Explorer, per
//! (profile, region). Each runs in its own task and sends owned `SourceUpdate`s; one region or
//! one API failing leaves the others working.
//!
//! - `clients`: SDK configuration per (profile, region), endpoint per service.
//! - `health`: failures → what the console says (throttled, denied, expired, unreachable).
//! - `alarm_map` (pure) and `alarms` (task): CloudWatch alarms.
//! - `cost_query`, `cost_cache`, `cost` (task): Cost Explorer with an on-disk cache.
//! - `metrics` (task): GetMetricData for the sparklines of the open service.
//! - `eks` (task): clusters and nodegroups; `token` (pure): the EKS bearer token.
//! - `nodegroup_scale`: UpdateNodegroupConfig for the release actions' executor.

pub mod alarm_map;
pub mod alarms;
pub mod clients;
pub mod cost;
pub mod cost_cache;
pub mod cost_query;
pub mod eks;
pub mod health;
pub mod metrics;
pub mod nodegroup_scale;
pub mod once;
pub mod sts;
pub mod token;

use crate::app::Msg;
use crate::clock::Clock;
use crate::config::Config;
use alarm_map::{Attribution, KnownCluster};
use clients::{ClientSettings, Scope};
use health::Failure;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Knobs of the AWS collectors. `from_config` gives the real ones; tests shorten them.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub clients: ClientSettings,
    pub alarm_poll: Duration,
    pub eks_poll: Duration,
    /// The open service's metrics are fetched this often.
    pub metrics_poll: Duration,
    /// An unchanged poll sends nothing; a source still reports at least this often so its
    /// data is not shown as stale.
    pub heartbeat: Duration,
    /// Throttled requests are retried this many times, with exponential backoff and jitter.
    pub throttle_retries: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub cost: cost::CostOptions,
    /// The AWS config file's text, to name the command that refreshes expired credentials.
    pub aws_config_text: Option<String>,
    /// A refresh (`ctrl-r`) polls at once, but one poller at most once per this long.
    pub refresh_min_gap: Duration,
}

impl Options {
    pub fn from_config(config: &Config, cache_dir: Option<PathBuf>) -> Options {
        let aws = &config.aws;
        Options {
            clients: ClientSettings {
                endpoints: aws.endpoint_urls.clone(),
                ..ClientSettings::default()
            },
            alarm_poll: Duration::from_secs(aws.alarm_poll_secs),
            eks_poll: Duration::from_secs(aws.eks_poll_secs),
            metrics_poll: Duration::from_secs(aws.metrics.poll_secs),
            heartbeat: Duration::from_secs(aws.alarm_poll_secs.max(300)),
            throttle_retries: 5,
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(20),
            cost: cost::CostOptions {
                ttl: Duration::from_secs(aws.cost_ttl_hours * 3600),
                env_tag: aws.cost_env_tag.clone(),
                service_tag: aws.cost_service_tag.clone(),
                cache_dir: cache_dir.map(|d| d.join("cost-explorer")),
                // Check the cache (free) every few minutes; the TTL decides when to ask AWS.
                recheck: Duration::from_secs(300),
            },
            aws_config_text: None,
            refresh_min_gap: crate::source::refresh::MIN_GAP,
        }
    }

    pub(crate) fn describe(&self, failure: &Failure, what: &str, profile: Option<&str>) -> String {
        health::describe(failure, what, profile, self.aws_config_text.as_deref())
    }

    /// Run `call`, retrying while AWS throttles it (exponential backoff with jitter).
    pub(crate) async fn with_backoff<T, F, Fut>(&self, mut call: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        use backon::BackoffBuilder;
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(self.backoff_min)
            .with_max_delay(self.backoff_max)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.throttle_retries)
            .build();
        loop {
            match call().await {
                Err(Failure::Throttled(why)) => match delays.next() {
                    Some(d) => {
                        tracing::debug!(delay = ?d, %why, "AWS throttled a request; backing off");
                        tokio::time::sleep(d).await;
                    }
                    None => return Err(Failure::Throttled(why)),
                },
                other => return other,
            }
        }
    }
}

/// What to collect, from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// One alarm source per (profile, region).
    pub alarms: Vec<AlarmSource>,
    /// One EKS discovery per (profile, region) that has configured EKS clusters.
    pub eks: Vec<eks::EksSource>,
    pub cost: Option<cost::CostSource>,
    /// One metrics source per (profile, region) with configured EKS clusters (sparklines).
    pub metrics: Vec<metrics::MetricsSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSource {
    pub scope: Scope,
    pub attribution: Attribution,
}

/// Does this config use AWS? Only configured fleets that name a profile or an EKS cluster, and
/// never with `aws.enabled = false` (nor in demo mode).
/// When a poller asks again after a poll that did not fully work (failed, stale, degraded): at
/// its next poll. None while it works.
pub(crate) fn retry_at(
    status: &crate::domain::SourceStatus,
    now: crate::domain::Timestamp,
    every: Duration,
) -> Option<crate::domain::Timestamp> {
    use crate::domain::SourceStatus;
    match status {
        SourceStatus::Live | SourceStatus::Connecting => None,
        SourceStatus::Stale(_) | SourceStatus::Degraded(_) | SourceStatus::Failed(_) => {
            next_poll(now, every)
        }
    }
}

/// A poll `every` after `now`.
pub(crate) fn next_poll(
    now: crate::domain::Timestamp,
    every: Duration,
) -> Option<crate::domain::Timestamp> {
    now.checked_add(jiff::SignedDuration::try_from(every).ok()?)
        .ok()
}

pub fn in_use(config: &Config) -> bool {
    config.aws.enabled
        && !config.is_demo()
        && config.environments.iter().any(|e| {
            e.aws_profile.is_some()
                || e.clusters
                    .iter()
                    .any(|c| c.aws_profile.is_some() || c.eks_cluster.is_some())
        })
}

/// The sources a config asks for (empty when AWS is not in use).
pub fn plan(config: &Config) -> Plan {
    let mut out = Plan {
        alarms: Vec::new(),
        eks: Vec::new(),
        cost: None,
        metrics: Vec::new(),
    };
    if !in_use(config) {
        return out;
    }
    // Profiles in config order, each with the environments using it.
    let mut profiles: Vec<(Option<String>, Vec<String>)> = Vec::new();
    let mut add = |p: Option<String>, env: &str| match profiles.iter_mut().find(|(q, _)| *q == p) {
        Some((_, envs)) => {
            if !envs.iter().any(|e| e == env) {
                envs.push(env.to_string());
            }
        }
        None => profiles.push((p, vec![env.to_string()])),
    };
    let mut known = Vec::new();
    for env in &config.environments {
        if env.aws_profile.is_some() || env.clusters.is_empty() {
            add(env.aws_profile.clone(), &env.name);
        }
        for c in &env.clusters {
            add(
                c.aws_profile.clone().or_else(|| env.aws_profile.clone()),
                &env.name,
            );
            if let Some(name) = &c.eks_cluster {
                known.push(KnownCluster {
                    eks_cluster: name.clone(),
                    region: c.region.clone(),
                    env: env.name.clone(),
                });
            }
        }
    }
    let envs: Vec<String> = config.environments.iter().map(|e| e.name.clone()).collect();
    for (profile, profile_envs) in &profiles {
        for region in &config.regions {
            let scope = Scope {
                profile: profile.clone(),
                region: region.clone(),
            };
            let default_env = (profile_envs.len() == 1).then(|| profile_envs[0].clone());
            out.alarms.push(AlarmSource {
                attribution: Attribution::new(
                    scope.label(),
                    region.clone(),
                    config.aws.alarms.clone(),
                    known.clone(),
                    envs.clone(),
                    default_env,
                ),
                scope,
            });
        }
    }
    for env in &config.environments {
        for c in &env.clusters {
            let Some(name) = &c.eks_cluster else { continue };
            let scope = Scope {
                profile: c.aws_profile.clone().or_else(|| env.aws_profile.clone()),
                region: c.region.clone(),
            };
            let target = eks::EksTarget {
                eks_cluster: name.clone(),
                cluster: env.cluster_id(c),
            };
            match out.eks.iter_mut().find(|s| s.scope == scope) {
                Some(s) => s.targets.push(target),
                None => out.eks.push(eks::EksSource {
                    scope,
                    targets: vec![target],
                }),
            }
        }
    }
    if config.aws.metrics.enabled && !config.aws.metrics.series.is_empty() {
        out.metrics = out
            .eks
            .iter()
            .map(|s| metrics::MetricsSource {
                scope: s.scope.clone(),
                targets: s.targets.clone(),
                rules: config.aws.metrics.clone(),
            })
            .collect();
    }
    let cost_profile = config
        .aws
        .cost_profile
        .clone()
        .or_else(|| profiles.first().and_then(|(p, _)| p.clone()));
    out.cost = Some(cost::CostSource {
        scope: Scope {
            profile: cost_profile,
            region: "us-east-1".into(),
        },
        envs,
        regions: config.regions.clone(),
    });
    out
}

/// Start every AWS task; each stops when the console's channel closes. The console calls this
/// after its first frame, so nothing AWS-related runs before it.
pub fn spawn(
    plan: Plan,
    options: Options,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
) -> Vec<tokio::task::JoinHandle<()>> {
    spawn_with_refresh(plan, options, clock, tx, None)
}

/// As `spawn`; each poller also polls at once when `refresh` changes (`ctrl-r`: the console's
/// `Executor::refresh`), at most once per `options.refresh_min_gap`.
pub fn spawn_with_refresh(
    plan: Plan,
    options: Options,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    refresh: Option<Refreshes>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for source in plan.alarms {
        let (o, c, t, r) = (options.clone(), clock.clone(), tx.clone(), refresh.clone());
        tasks.push(tokio::spawn(alarms::run(source, o, c, t, r)));
    }
    for source in plan.eks {
        let (o, c, t, r) = (options.clone(), clock.clone(), tx.clone(), refresh.clone());
        tasks.push(tokio::spawn(eks::run(source, o, c, t, r)));
    }
    if let Some(source) = plan.cost {
        tasks.push(tokio::spawn(cost::run(source, options, clock, tx, refresh)));
    }
    tasks
}

/// The refresh signal every poller subscribes to (see `source::refresh`).
pub type Refreshes = tokio::sync::watch::Receiver<u64>;

/// Start the metrics tasks (sparklines); `watched` says which service instances the console
/// shows. Each stops when the console's channel closes.
pub fn spawn_metrics(
    sources: Vec<metrics::MetricsSource>,
    options: Options,
    clock: Arc<dyn Clock>,
    watched: tokio::sync::watch::Receiver<metrics::Watched>,
    tx: mpsc::Sender<Msg>,
    refresh: Option<Refreshes>,
) -> Vec<tokio::task::JoinHandle<()>> {
    sources
        .into_iter()
        .map(|source| {
            let (o, c, w, t) = (options.clone(), clock.clone(), watched.clone(), tx.clone());
            tokio::spawn(metrics::run(source, o, c, w, t, refresh.clone()))
        })
        .collect()
}

/// An SDK timestamp as the domain's.
pub(crate) fn timestamp(t: &aws_smithy_types::DateTime) -> Option<crate::domain::Timestamp> {
    jiff::Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_and_kubeconfig_only_fleets_never_call_aws() {
        assert!(plan(&Config::default()).alarms.is_empty());
        let text = r#"
regions = ["us-east-1"]
[[environments]]
name = "dev"
[[environments.clusters]]
name = "dev-use1"
region = "us-east-1"
context = "dev"
"#;
        let config = crate::config::parse(text, "t.toml").unwrap();
        assert!(!in_use(&config));
    }

    #[test]
    fn one_alarm_source_per_profile_and_region() {
        let text = r#"
regions = ["us-east-1", "eu-west-1"]
[[environments]]
name = "dev"
aws_profile = "acme-dev"
[[environments.clusters]]
name = "dev-use1"
region = "us-east-1"
eks_cluster = "dev-use1"
[[environments]]
name = "prod"
aws_profile = "acme-prod"
[[environments.clusters]]
name = "prod-euw1"
region = "eu-west-1"
eks_cluster = "prod-euw1"
"#;
        let config = crate::config::parse(text, "t.toml").unwrap();
        let plan = plan(&config);
        let labels: Vec<String> = plan.alarms.iter().map(|a| a.scope.label()).collect();
        assert_eq!(
            labels,
            [
                "acme-dev/us-east-1",
                "acme-dev/eu-west-1",
                "acme-prod/us-east-1",
                "acme-prod/eu-west-1"
            ]
        );
        assert_eq!(
            plan.alarms[0].attribution.default_env.as_deref(),
            Some("dev")
        );
        assert_eq!(plan.eks.len(), 2);
        assert_eq!(plan.eks[1].targets[0].eks_cluster, "prod-euw1");
        let cost = plan.cost.unwrap();
        assert_eq!(cost.scope.profile.as_deref(), Some("acme-dev"));
    }
}
