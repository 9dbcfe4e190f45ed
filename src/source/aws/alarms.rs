//! One CloudWatch alarm source (a profile's account in one region): DescribeAlarms (metric and
//! composite) every `alarm_poll`, translated by `alarm_map`. A poll that changes nothing sends
//! nothing (no redraw), apart from a heartbeat every `heartbeat`.

use super::alarm_map::{self, RawAlarm};
use super::health::{Failure, classify};
use super::{AlarmSource, Options, clients, timestamp};
use crate::app::Msg;
use crate::clock::Clock;
use crate::domain::{Alarm, AlarmState, SourceHealth, SourceStatus, SourceUpdate, Timestamp};
use crate::source::refresh::{Refresh, Woke};
use aws_sdk_cloudwatch::types::AlarmType;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Every alarm of the scope, all pages.
pub async fn fetch(client: &aws_sdk_cloudwatch::Client) -> Result<Vec<RawAlarm>, Failure> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, "cloudwatch:DescribeAlarms"))?;
        for a in page.metric_alarms() {
            out.push(RawAlarm {
                name: a.alarm_name().unwrap_or_default().to_string(),
                arn: a.alarm_arn().map(String::from),
                tags: Vec::new(),
                composite: false,
                state: a.state_value().map_or(AlarmState::InsufficientData, |s| {
                    AlarmState::from_cloudwatch(s.as_str())
                }),
                reason: a.state_reason().unwrap_or_default().to_string(),
                since: a
                    .state_transitioned_timestamp()
                    .or(a.state_updated_timestamp())
                    .and_then(timestamp),
                namespace: a.namespace().map(String::from),
                metric_name: a.metric_name().map(String::from),
                dimensions: a
                    .dimensions()
                    .iter()
                    .map(|d| {
                        (
                            d.name().unwrap_or_default().to_string(),
                            d.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
                rule: None,
                actions_enabled: a.actions_enabled().unwrap_or(true),
            });
        }
        for a in page.composite_alarms() {
            out.push(RawAlarm {
                name: a.alarm_name().unwrap_or_default().to_string(),
                arn: a.alarm_arn().map(String::from),
                composite: true,
                state: a.state_value().map_or(AlarmState::InsufficientData, |s| {
                    AlarmState::from_cloudwatch(s.as_str())
                }),
                reason: a.state_reason().unwrap_or_default().to_string(),
                since: a
                    .state_transitioned_timestamp()
                    .or(a.state_updated_timestamp())
                    .and_then(timestamp),
                rule: a.alarm_rule().map(String::from),
                actions_enabled: a.actions_enabled().unwrap_or(true),
                ..RawAlarm::default()
            });
        }
    }
    Ok(out)
}

/// One alarm's tags. An alarm deleted since DescribeAlarms has none.
pub async fn tags(
    client: &aws_sdk_cloudwatch::Client,
    arn: &str,
) -> Result<Vec<(String, String)>, Failure> {
    match client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(classify(&e, "cloudwatch:ListTagsForResource")),
    }
}

/// Alarm tags by ARN, read once per alarm and again every `refresh` polls: tags rarely change,
/// and each read is one request.
#[derive(Debug, Default)]
pub struct TagCache {
    /// ARN → (tags, the poll they were read at).
    entries: std::collections::HashMap<String, (Vec<(String, String)>, u64)>,
    poll: u64,
}

impl TagCache {
    /// Fill in `raw`'s tags, asking AWS for the new or due ones. A failure stops asking for
    /// this poll (the alarms keep their cached tags, or none) and is returned to be shown.
    pub async fn fill(
        &mut self,
        options: &Options,
        client: &aws_sdk_cloudwatch::Client,
        refresh: u64,
        raw: &mut [RawAlarm],
    ) -> Option<Failure> {
        self.poll += 1;
        let mut failure = None;
        for r in raw.iter_mut() {
            let Some(arn) = r.arn.clone() else { continue };
            let due = self
                .entries
                .get(&arn)
                .is_none_or(|(_, at)| self.poll - at >= refresh.max(1));
            if due && failure.is_none() {
                match options.with_backoff(|| tags(client, &arn)).await {
                    Ok(t) => {
                        self.entries.insert(arn.clone(), (t, self.poll));
                    }
                    Err(f) => failure = Some(f),
                }
            }
            if let Some((t, _)) = self.entries.get(&arn) {
                r.tags = t.clone();
            }
        }
        let live: std::collections::HashSet<&str> =
            raw.iter().filter_map(|r| r.arn.as_deref()).collect();
        self.entries.retain(|arn, _| live.contains(arn.as_str()));
        failure
    }
}

/// The status a failed poll shows. Denied and expired need a person; the rest may pass.
pub(crate) fn failed_status(
    options: &Options,
    failure: &Failure,
    what: &str,
    profile: Option<&str>,
) -> SourceStatus {
    let text = options.describe(failure, what, profile);
    match failure {
        Failure::AccessDenied(_)
        | Failure::Expired(_)
        | Failure::InvalidCredentials(_)
        | Failure::Config(_)
        | Failure::NotFound(_) => SourceStatus::Failed(text),
        _ => SourceStatus::Stale(text),
    }
}

/// Poll one scope until the console goes away.
pub async fn run(
    source: AlarmSource,
    options: Options,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    refresh: Option<super::Refreshes>,
) {
    let mut refresh = Refresh::new(refresh, options.refresh_min_gap);
    // After a refresh the answer is sent even when unchanged: the screen says when it came.
    let mut refreshed = false;
    let label = source.scope.label();
    let profile = source.scope.profile.clone();
    let config = clients::sdk_config(&source.scope, &options.clients).await;
    let client = clients::cloudwatch(&config, &options.clients);
    let heartbeat_secs = options.heartbeat.as_secs();
    let mut alarms: Vec<Alarm> = Vec::new();
    let mut last_good: Option<Timestamp> = None;
    let mut sent: Option<(Vec<Alarm>, SourceStatus, Timestamp)> = None;
    let rules = &source.attribution.rules;
    let mut tag_cache = TagCache::default();
    loop {
        refresh.polled();
        let result = options.with_backoff(|| fetch(&client)).await;
        let now = clock.now();
        let status = match result {
            Ok(mut raw) => {
                let tag_failure = if rules.reads_tags() {
                    let refresh = rules.tag_refresh_polls as u64;
                    tag_cache.fill(&options, &client, refresh, &mut raw).await
                } else {
                    None
                };
                // Alarms without a timestamp keep the time they were first seen in their state.
                let first_seen = |r: &RawAlarm| {
                    alarms
                        .iter()
                        .find(|a| a.name == r.name && a.state == r.state)
                        .map_or(now, |a| a.since)
                };
                alarms = raw
                    .iter()
                    .map(|r| alarm_map::map(r, &source.attribution, first_seen(r)))
                    .collect();
                alarms.sort_by(|a, b| a.name.cmp(&b.name));
                last_good = Some(now);
                match tag_failure {
                    // The alarms are there; only their attribution by tags is not.
                    Some(f) => SourceStatus::Degraded(options.describe(
                        &f,
                        "CloudWatch alarm tags",
                        profile.as_deref(),
                    )),
                    None => SourceStatus::Live,
                }
            }
            Err(failure) => {
                tracing::warn!(source = %label, ?failure, "CloudWatch alarms failed");
                failed_status(&options, &failure, "CloudWatch alarms", profile.as_deref())
            }
        };
        let next_retry = super::retry_at(&status, now, options.alarm_poll);
        let due = match &sent {
            None => true,
            Some(_) if refreshed => true,
            Some((a, s, at)) => {
                *a != alarms
                    || *s != status
                    || next_retry.is_some()
                    || (status == SourceStatus::Live
                        && now.as_second() - at.as_second() >= heartbeat_secs as i64)
            }
        };
        if due {
            let health = SourceHealth {
                status: status.clone(),
                last_data: last_good,
                reports_every_secs: Some(heartbeat_secs),
                next_retry,
            };
            let update = SourceUpdate::Alarms {
                source: label.clone(),
                alarms: alarms.clone(),
                health,
            };
            if tx.send(Msg::Source(update)).await.is_err() {
                return;
            }
            sent = Some((alarms.clone(), status, now));
        }
        tokio::select! {
            woke = refresh.wait(options.alarm_poll) => refreshed = woke == Woke::Refresh,
            _ = tx.closed() => return,
        }
    }
}
