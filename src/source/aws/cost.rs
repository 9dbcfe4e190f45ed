//! The Cost Explorer source: asks the queries of `cost_query` at most once per TTL each (the
//! disk cache remembers across restarts), sequentially, and sends the assembled `CostReport`
//! when it changed. A failing query keeps its last cached answer on screen with its age, and
//! the cost panel says what failed; the other sources never notice.

use super::cost_cache::CostCache;
use super::cost_query::{self, CostAnswer, CostQuery, DailyGroups, RawAnomaly};
use super::health::{Failure, classify};
use super::{Options, clients};
use crate::app::Msg;
use crate::clock::Clock;
use crate::domain::{CostReport, SourceHealth, SourceStatus, SourceUpdate, Timestamp};
use crate::source::refresh::{Refresh, Woke};
use aws_sdk_costexplorer::types::{
    AnomalyDateInterval, DateInterval, Granularity, GroupDefinition, GroupDefinitionType, Metric,
};
use jiff::civil::Date;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq)]
pub struct CostOptions {
    pub ttl: Duration,
    pub env_tag: String,
    pub service_tag: String,
    /// None: no cache folder known; answers are then kept in memory only, for this run.
    pub cache_dir: Option<PathBuf>,
    /// How often the source looks whether an answer's TTL ran out (reading the cache is free).
    pub recheck: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostSource {
    pub scope: super::clients::Scope,
    pub envs: Vec<String>,
    pub regions: Vec<String>,
}

fn bad_request(e: impl std::fmt::Display) -> Failure {
    Failure::Other(format!("building the request: {e}"))
}

/// Ask Cost Explorer one query (all pages).
pub async fn fetch(
    client: &aws_sdk_costexplorer::Client,
    query: &CostQuery,
) -> Result<CostAnswer, Failure> {
    match query {
        CostQuery::Usage {
            start,
            end,
            group_by,
        } => {
            let period = DateInterval::builder()
                .start(start.to_string())
                .end(end.to_string())
                .build()
                .map_err(bad_request)?;
            let mut groups = Vec::new();
            for g in group_by {
                let (kind, key) = g.split_once(':').unwrap_or(("DIMENSION", g));
                let kind = if kind == "TAG" {
                    GroupDefinitionType::Tag
                } else {
                    GroupDefinitionType::Dimension
                };
                groups.push(GroupDefinition::builder().r#type(kind).key(key).build());
            }
            let mut days: DailyGroups = Vec::new();
            let mut token = None;
            loop {
                let page = client
                    .get_cost_and_usage()
                    .time_period(period.clone())
                    .granularity(Granularity::Daily)
                    .metrics("UnblendedCost")
                    .set_group_by(Some(groups.clone()))
                    .set_next_page_token(token.take())
                    .send()
                    .await
                    .map_err(|e| classify(&e, "ce:GetCostAndUsage"))?;
                for r in page.results_by_time() {
                    let Some(date) = r.time_period().and_then(|p| p.start().parse::<Date>().ok())
                    else {
                        continue;
                    };
                    let amounts: Vec<(Vec<String>, f64)> = r
                        .groups()
                        .iter()
                        .map(|g| {
                            let keys = g
                                .keys()
                                .iter()
                                .map(|k| cost_query::group_value(k))
                                .collect();
                            let usd = g
                                .metrics()
                                .and_then(|m| m.get("UnblendedCost"))
                                .and_then(|v| v.amount())
                                .and_then(|a| a.parse().ok())
                                .unwrap_or(0.0);
                            (keys, usd)
                        })
                        .collect();
                    match days.iter_mut().find(|(d, _)| *d == date) {
                        Some((_, v)) => v.extend(amounts),
                        None => days.push((date, amounts)),
                    }
                }
                token = page.next_page_token().map(String::from);
                if token.is_none() {
                    break;
                }
            }
            Ok(CostAnswer::Usage { days })
        }
        CostQuery::Forecast { start, end } => {
            let period = DateInterval::builder()
                .start(start.to_string())
                .end(end.to_string())
                .build()
                .map_err(bad_request)?;
            let out = client
                .get_cost_forecast()
                .time_period(period)
                .metric(Metric::UnblendedCost)
                .granularity(Granularity::Monthly)
                .send()
                .await
                .map_err(|e| classify(&e, "ce:GetCostForecast"))?;
            let usd = out
                .total()
                .and_then(|t| t.amount())
                .and_then(|a| a.parse().ok())
                .unwrap_or(0.0);
            Ok(CostAnswer::Forecast { usd })
        }
        CostQuery::Anomalies { start, end } => {
            let interval = AnomalyDateInterval::builder()
                .start_date(start.to_string())
                .end_date(end.to_string())
                .build()
                .map_err(bad_request)?;
            let mut anomalies = Vec::new();
            let mut token = None;
            loop {
                let page = client
                    .get_anomalies()
                    .date_interval(interval.clone())
                    .set_next_page_token(token.take())
                    .send()
                    .await
                    .map_err(|e| classify(&e, "ce:GetAnomalies"))?;
                for a in page.anomalies() {
                    let Some(date) = a
                        .anomaly_start_date()
                        .and_then(|d| d.get(..10))
                        .and_then(|d| d.parse::<Date>().ok())
                    else {
                        continue;
                    };
                    let impact = a.impact();
                    anomalies.push(RawAnomaly {
                        date,
                        service: a
                            .root_causes()
                            .iter()
                            .find_map(|r| r.service().map(String::from)),
                        actual: impact.and_then(|i| i.total_actual_spend()).unwrap_or(0.0),
                        expected: impact.and_then(|i| i.total_expected_spend()).unwrap_or(0.0),
                    });
                }
                token = page.next_page_token().map(String::from);
                if token.is_none() {
                    break;
                }
            }
            Ok(CostAnswer::Anomalies { anomalies })
        }
    }
}

/// Run until the console goes away.
pub async fn run(
    source: CostSource,
    options: Options,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    refresh: Option<super::Refreshes>,
) {
    // A refresh re-reads the cache and asks Cost Explorer for what is older than the TTL only:
    // every request is billed.
    let mut refresh = Refresh::new(refresh, options.refresh_min_gap);
    let mut refreshed = false;
    let config = clients::sdk_config(&source.scope, &options.clients).await;
    let client = clients::cost_explorer(&config, &options.clients);
    let cache = options.cost.cache_dir.clone().map(CostCache::new);
    let mut memory: Vec<(CostQuery, CostAnswer, Timestamp)> = Vec::new();
    let mut sent: Option<(CostReport, SourceHealth)> = None;
    loop {
        refresh.polled();
        let (report, health) = self::refresh(
            &source,
            &options,
            &client,
            cache.as_ref(),
            &mut memory,
            clock.now(),
        )
        .await;
        if refreshed || sent.as_ref() != Some(&(report.clone(), health.clone())) {
            let update = SourceUpdate::Cost {
                report: Box::new(report.clone()),
                health: health.clone(),
            };
            if tx.send(Msg::Source(update)).await.is_err() {
                return;
            }
            sent = Some((report, health));
        }
        tokio::select! {
            woke = refresh.wait(options.cost.recheck) => refreshed = woke == Woke::Refresh,
            _ = tx.closed() => return,
        }
    }
}

/// One pass: every query from the cache when fresh, else from Cost Explorer.
pub async fn refresh(
    source: &CostSource,
    options: &Options,
    client: &aws_sdk_costexplorer::Client,
    cache: Option<&CostCache>,
    memory: &mut Vec<(CostQuery, CostAnswer, Timestamp)>,
    now: Timestamp,
) -> (CostReport, SourceHealth) {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let queries = cost_query::queries(today, &options.cost.env_tag, &options.cost.service_tag);
    memory.retain(|(q, _, _)| queries.contains(q));
    let mut answers = Vec::new();
    let mut problems: Vec<(Failure, String)> = Vec::new();
    for q in &queries {
        let cached = match cache {
            Some(c) => c.get(q).map(|e| (e.answer, e.fetched_at)),
            None => memory
                .iter()
                .find(|(m, _, _)| m == q)
                .map(|(_, a, t)| (a.clone(), *t)),
        };
        let ttl = options.cost.ttl.as_secs() as i64;
        let fresh = cached.as_ref().is_some_and(|(_, at)| {
            let age = now.as_second() - at.as_second();
            (0..ttl).contains(&age)
        });
        if fresh {
            answers.extend(cached.map(|(a, t)| (q.clone(), a, t)));
            continue;
        }
        match options.with_backoff(|| fetch(client, q)).await {
            Ok(answer) => {
                if let Some(c) = cache
                    && let Err(e) = c.put(q, &answer, now)
                {
                    tracing::warn!(error = %e, dir = %c.dir().display(), "cannot write the Cost Explorer cache");
                }
                memory.retain(|(m, _, _)| m != q);
                memory.push((q.clone(), answer.clone(), now));
                answers.push((q.clone(), answer, now));
            }
            Err(failure) => {
                tracing::warn!(query = %q.figure(), ?failure, "Cost Explorer request failed");
                problems.push((failure, q.figure()));
                // An expired answer is better than none: it is shown with its age.
                answers.extend(cached.map(|(a, t)| (q.clone(), a, t)));
            }
        }
    }
    let report = cost_query::assemble(today, &answers, &source.envs, &source.regions);
    let profile = source.scope.profile.as_deref();
    let status = match problems.first() {
        None => SourceStatus::Live,
        Some((failure, _)) => {
            let what: Vec<&str> = problems.iter().map(|(_, w)| w.as_str()).collect();
            let text = options.describe(
                failure,
                &format!("Cost Explorer ({})", what.join(", ")),
                profile,
            );
            match failure {
                Failure::Expired(_) | Failure::InvalidCredentials(_) | Failure::Config(_) => {
                    SourceStatus::Failed(text)
                }
                _ if answers.is_empty() => SourceStatus::Failed(text),
                _ => SourceStatus::Degraded(text),
            }
        }
    };
    let health = SourceHealth {
        next_retry: super::retry_at(&status, now, options.cost.recheck),
        status,
        last_data: report.as_of,
        reports_every_secs: Some(options.cost.ttl.as_secs()),
    };
    (report, health)
}
