//! Metric sparklines: CloudWatch `GetMetricData` for the service instances the console shows,
//! per (profile, region). The console publishes which instances it shows (the open service
//! detail's, see `app::metric_targets`) on a watch channel; the task asks for the last hour of
//! each configured metric of those instances, every `metrics.poll_secs` and at once when the
//! set changes. Queries are batched (up to 500 per request, all pages).
//!
//! Only the open service is asked for, not every service: GetMetricData is billed per metric
//! asked (USD 0.01 per 1,000), and 200 services × 3 metrics every minute would cost a console
//! about USD 260 a month; one open service costs cents.

use super::alarms::failed_status;
use super::eks::EksTarget;
use super::health::{Failure, classify};
use super::{Options, clients, timestamp};
use crate::app::Msg;
use crate::clock::Clock;
use crate::config::{MetricRules, MetricSpec};
use crate::domain::{
    ClusterId, MetricSeries, MetricsUpdate, ServiceMetrics, SourceHealth, SourceStatus,
    SourceUpdate, Timestamp, WorkloadKey,
};
use crate::source::refresh::{Refresh, Woke};
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// GetMetricData takes at most this many queries per request.
pub const MAX_QUERIES: usize = 500;

/// The service instances whose metrics the console shows now.
pub type Watched = Vec<(ClusterId, WorkloadKey)>;

/// One metrics task: the EKS clusters of one (profile, region).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSource {
    pub scope: clients::Scope,
    pub targets: Vec<EksTarget>,
    pub rules: MetricRules,
}

/// One query of a request: which instance and which configured series it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub id: String,
    pub cluster: ClusterId,
    pub service: WorkloadKey,
    /// Index into `MetricRules::series`.
    pub series: usize,
    pub namespace: String,
    pub metric: String,
    pub stat: String,
    pub dimensions: Vec<(String, String)>,
}

/// `{name}` placeholders replaced from `vars`; an unknown one is an error.
pub fn expand(template: &str, vars: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| "a `{` without its `}`".to_string())?
            + start;
        let name = &rest[start + 1..end];
        let value = vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<String> = vars.iter().map(|(k, _)| format!("{{{k}}}")).collect();
                format!(
                    "unknown placeholder `{{{name}}}` (use {})",
                    known.join(", ")
                )
            })?;
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The placeholders of one instance, in the order the docs list them.
fn vars<'a>(
    target: &'a EksTarget,
    region: &'a str,
    service: &'a WorkloadKey,
) -> [(&'a str, &'a str); 6] {
    [
        ("eks_cluster", target.eks_cluster.as_str()),
        ("cluster", target.cluster.name.as_str()),
        ("env", target.cluster.env.as_str()),
        ("region", region),
        ("namespace", service.namespace.as_str()),
        ("service", service.name.as_str()),
    ]
}

/// Placeholder names a template may use (for config validation).
pub const PLACEHOLDERS: [&str; 6] = [
    "eks_cluster",
    "cluster",
    "env",
    "region",
    "namespace",
    "service",
];

/// Whether `stat` is one CloudWatch accepts: a statistic or a percentile `p0`..`p100`.
pub fn valid_stat(stat: &str) -> bool {
    matches!(
        stat,
        "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount"
    ) || stat
        .strip_prefix('p')
        .and_then(|p| p.parse::<f64>().ok())
        .is_some_and(|p| (0.0..=100.0).contains(&p))
}

/// Every query for the watched instances of this source's clusters, in order. Pure.
pub fn queries(source: &MetricsSource, watched: &[(ClusterId, WorkloadKey)]) -> Vec<Query> {
    let mut out = Vec::new();
    for (cluster, service) in watched {
        let Some(target) = source.targets.iter().find(|t| &t.cluster == cluster) else {
            continue;
        };
        let vars = vars(target, &source.scope.region, service);
        for (i, spec) in source.rules.series.iter().enumerate() {
            let dimensions: Result<Vec<(String, String)>, String> = spec
                .dimensions
                .iter()
                .map(|(k, v)| Ok((k.clone(), expand(v, &vars)?)))
                .collect();
            // Config validation rejects bad templates; a bad one here is skipped, not fatal.
            let Ok(dimensions) = dimensions else { continue };
            out.push(Query {
                id: format!("q{}", out.len()),
                cluster: cluster.clone(),
                service: service.clone(),
                series: i,
                namespace: spec.namespace.clone(),
                metric: spec.metric.clone(),
                stat: spec.stat.clone(),
                dimensions,
            });
        }
    }
    out
}

fn to_sdk(q: &Query, period: i32) -> MetricDataQuery {
    let mut metric = Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.metric);
    for (k, v) in &q.dimensions {
        metric = metric.dimensions(Dimension::builder().name(k).value(v).build());
    }
    MetricDataQuery::builder()
        .id(&q.id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric.build())
                .period(period)
                .stat(&q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// Ask for `queries` over [start, end), in requests of at most `MAX_QUERIES`, every page.
/// Returns each query id's points in time order.
pub async fn fetch(
    client: &aws_sdk_cloudwatch::Client,
    queries: &[Query],
    period_secs: u32,
    start: Timestamp,
    end: Timestamp,
) -> Result<BTreeMap<String, Vec<(Timestamp, f64)>>, Failure> {
    let mut out: BTreeMap<String, Vec<(Timestamp, f64)>> = BTreeMap::new();
    let time = |t: Timestamp| aws_smithy_types::DateTime::from_secs(t.as_second());
    for batch in queries.chunks(MAX_QUERIES) {
        let mut request = client
            .get_metric_data()
            .start_time(time(start))
            .end_time(time(end))
            .scan_by(ScanBy::TimestampAscending);
        for q in batch {
            request = request.metric_data_queries(to_sdk(q, period_secs as i32));
        }
        let mut pages = request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e, "cloudwatch:GetMetricData"))?;
            for r in page.metric_data_results() {
                let points = out
                    .entry(r.id().unwrap_or_default().to_string())
                    .or_default();
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    if let Some(t) = timestamp(t)
                        && v.is_finite()
                    {
                        points.push((t, *v));
                    }
                }
            }
        }
    }
    for points in out.values_mut() {
        points.sort_by_key(|(t, _)| *t);
        points.dedup_by_key(|(t, _)| *t);
    }
    Ok(out)
}

/// The answers, as series per (cluster, service). Pure.
pub fn series_of(
    rules: &MetricRules,
    queries: &[Query],
    mut answers: BTreeMap<String, Vec<(Timestamp, f64)>>,
    fetched: Timestamp,
) -> BTreeMap<ClusterId, BTreeMap<WorkloadKey, ServiceMetrics>> {
    let mut out: BTreeMap<ClusterId, BTreeMap<WorkloadKey, ServiceMetrics>> = BTreeMap::new();
    for q in queries {
        let spec: &MetricSpec = &rules.series[q.series];
        let entry = out
            .entry(q.cluster.clone())
            .or_default()
            .entry(q.service.clone())
            .or_insert_with(|| ServiceMetrics {
                series: Vec::new(),
                fetched,
            });
        entry.series.push(MetricSeries {
            label: spec.label.clone(),
            unit: spec.unit.clone(),
            points: answers.remove(&q.id).unwrap_or_default(),
        });
    }
    out
}

/// The hour before `now`, ending at the last whole period (CloudWatch aligns periods).
pub fn window(now: Timestamp, period_secs: u32) -> (Timestamp, Timestamp) {
    let p = period_secs.max(1) as i64;
    let end = now.as_second().div_euclid(p) * p;
    let at = |s: i64| Timestamp::from_second(s).unwrap_or(now);
    (at(end - 3600), at(end))
}

/// What a cluster was last sent: its series per service (without fetch times), status and next
/// retry.
type Sent = (
    Vec<(WorkloadKey, Vec<MetricSeries>)>,
    SourceStatus,
    Option<Timestamp>,
);

/// Fetch the watched instances' metrics until the console goes away.
pub async fn run(
    source: MetricsSource,
    options: Options,
    clock: Arc<dyn Clock>,
    mut watched: watch::Receiver<Watched>,
    tx: mpsc::Sender<Msg>,
    refresh: Option<super::Refreshes>,
) {
    let mut refresh = Refresh::new(refresh, options.refresh_min_gap);
    let label = source.scope.label();
    let profile = source.scope.profile.clone();
    let config = clients::sdk_config(&source.scope, &options.clients).await;
    let client = clients::cloudwatch(&config, &options.clients);
    let poll = options.metrics_poll;
    let mut last_good: Option<Timestamp> = None;
    let mut sent: BTreeMap<ClusterId, Sent> = BTreeMap::new();
    // Loading, until the first answer.
    for t in &source.targets {
        let update = MetricsUpdate {
            cluster: t.cluster.clone(),
            services: BTreeMap::new(),
            health: SourceHealth::connecting(),
        };
        if tx
            .send(Msg::Source(SourceUpdate::Metrics(Box::new(update))))
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        let wanted: Watched = watched.borrow_and_update().clone();
        let queries = queries(&source, &wanted);
        refresh.polled();
        if !queries.is_empty() {
            let now = clock.now();
            let (start, end) = window(now, source.rules.period_secs);
            let result = options
                .with_backoff(|| fetch(&client, &queries, source.rules.period_secs, start, end))
                .await;
            let (by_cluster, status) = match result {
                Ok(answers) => {
                    last_good = Some(now);
                    (
                        series_of(&source.rules, &queries, answers, now),
                        SourceStatus::Live,
                    )
                }
                Err(failure) => {
                    tracing::warn!(source = %label, ?failure, "CloudWatch metrics failed");
                    let status =
                        failed_status(&options, &failure, "CloudWatch metrics", profile.as_deref());
                    (BTreeMap::new(), status)
                }
            };
            for t in &source.targets {
                let services = by_cluster.get(&t.cluster).cloned().unwrap_or_default();
                let asked = queries.iter().any(|q| q.cluster == t.cluster);
                if !asked {
                    continue;
                }
                let shape: Vec<(WorkloadKey, Vec<MetricSeries>)> = services
                    .iter()
                    .map(|(k, m)| (k.clone(), m.series.clone()))
                    .collect();
                let next_retry = super::retry_at(&status, now, poll);
                let now_sent = (shape, status.clone(), next_retry);
                if sent.get(&t.cluster) == Some(&now_sent) {
                    continue; // nothing new: no update, no redraw
                }
                sent.insert(t.cluster.clone(), now_sent);
                let update = MetricsUpdate {
                    cluster: t.cluster.clone(),
                    services,
                    health: SourceHealth {
                        status: status.clone(),
                        last_data: last_good,
                        reports_every_secs: Some(poll.as_secs()),
                        next_retry,
                    },
                };
                if tx
                    .send(Msg::Source(SourceUpdate::Metrics(Box::new(update))))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        tokio::select! {
            woke = refresh.wait(poll) => if woke == Woke::Refresh {
                // Asked for: the answer is sent even when unchanged (the screen says when).
                sent.clear();
            },
            changed = watched.changed() => if changed.is_err() { return },
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> MetricsSource {
        MetricsSource {
            scope: clients::Scope {
                profile: None,
                region: "eu-west-1".into(),
            },
            targets: vec![EksTarget {
                eks_cluster: "acme-prod-euw1".into(),
                cluster: ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
            }],
            rules: MetricRules::default(),
        }
    }

    #[test]
    fn templates_expand_and_unknown_placeholders_are_errors() {
        let vars = [("service", "web"), ("namespace", "shop")];
        assert_eq!(
            expand("tg/{namespace}-{service}", &vars).unwrap(),
            "tg/shop-web"
        );
        assert_eq!(expand("plain", &vars).unwrap(), "plain");
        let err = expand("{team}", &vars).unwrap_err();
        assert!(err.contains("unknown placeholder `{team}`"), "{err}");
        assert!(expand("{service", &vars).is_err());
    }

    #[test]
    fn the_default_queries_name_the_instance() {
        let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
        let other = ClusterId::parse("prod", "us-east-1", "prod-use1").unwrap();
        let web = WorkloadKey::new("shop", "web");
        let q = queries(
            &source(),
            &[(id.clone(), web.clone()), (other, web.clone())],
        );
        // Only this source's cluster; one query per configured series.
        assert_eq!(q.len(), 3);
        assert_eq!(
            q.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
            ["q0", "q1", "q2"]
        );
        assert_eq!(q[0].metric, "pod_cpu_utilization");
        assert_eq!(
            q[0].dimensions,
            [
                ("ClusterName".to_string(), "acme-prod-euw1".to_string()),
                ("Namespace".into(), "shop".into()),
                ("Service".into(), "web".into())
            ]
        );
        assert_eq!(q[2].stat, "p95");
        assert_eq!(
            q[2].dimensions,
            [(
                "TargetGroup".to_string(),
                "targetgroup/acme-prod-euw1-shop-web".to_string()
            )]
        );
        assert!(q.iter().all(|q| q.cluster == id && q.service == web));
    }

    #[test]
    fn answers_become_series_in_config_order_and_missing_answers_are_empty() {
        let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
        let web = WorkloadKey::new("shop", "web");
        let q = queries(&source(), &[(id.clone(), web.clone())]);
        let t: Timestamp = "2026-11-21T14:00:00Z".parse().unwrap();
        let answers = BTreeMap::from([("q0".to_string(), vec![(t, 41.5)])]);
        let out = series_of(&source().rules, &q, answers, t);
        let m = &out[&id][&web];
        assert_eq!(m.series.len(), 3);
        assert_eq!(
            (m.series[0].label.as_str(), m.series[0].latest()),
            ("CPU", Some(41.5))
        );
        assert!(m.series[1].points.is_empty());
        assert!(!m.is_empty());
    }

    #[test]
    fn stats_and_windows() {
        for ok in ["Average", "Sum", "p95", "p99.9", "p0", "SampleCount"] {
            assert!(valid_stat(ok), "{ok}");
        }
        for bad in ["avg", "p", "p101", "P95", ""] {
            assert!(!valid_stat(bad), "{bad}");
        }
        let now: Timestamp = "2026-11-21T14:30:42Z".parse().unwrap();
        let (start, end) = window(now, 60);
        assert_eq!(end, "2026-11-21T14:30:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(start, "2026-11-21T13:30:00Z".parse::<Timestamp>().unwrap());
    }
}
