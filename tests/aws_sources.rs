//! The AWS sources against moto (behind `tests/support/aws/front.py`, which also speaks
//! CloudWatch's RPCv2 CBOR, serves Cost Explorer's forecast and anomalies, and injects
//! failures): EKS discovery, alarms, Cost Explorer with its cache, throttling, denied and
//! expired credentials, an unreachable region. Each test uses its own moto account.

#[path = "support/aws/mod.rs"]
mod aws;
#[path = "support/fake_kube/mod.rs"]
mod fake_kube;

use aws::Account;
use jiff::Timestamp;
use opsdeck::app::Msg;
use opsdeck::clock::{Clock, ManualClock};
use opsdeck::config::AlarmRules;
use opsdeck::domain::{
    AlarmState, ClusterId, ClusterInfo, ClusterState, CostScope, FleetState, SourceStatus,
    SourceUpdate, WorkloadKey,
};
use opsdeck::source::aws::alarm_map::{Attribution, KnownCluster};
use opsdeck::source::aws::clients::{self, Scope};
use opsdeck::source::aws::cost::{self, CostSource};
use opsdeck::source::aws::eks::{self, EksSource, EksTarget};
use opsdeck::source::aws::metrics::MetricsSource;
use opsdeck::source::aws::{AlarmSource, Options, Plan, spawn, spawn_metrics};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

fn now() -> Timestamp {
    "2026-11-21T14:30:00Z".parse().unwrap()
}

fn scope(region: &str) -> Scope {
    Scope {
        profile: None,
        region: region.into(),
    }
}

fn envs() -> Vec<String> {
    vec!["dev".into(), "staging".into(), "prod".into()]
}

fn alarm_source(region: &str) -> AlarmSource {
    let rules = AlarmRules {
        name_pattern: Some("{env}-{service}-*".into()),
        ..AlarmRules::default()
    };
    AlarmSource {
        scope: scope(region),
        attribution: Attribution::new(
            scope(region).label(),
            region.into(),
            rules,
            vec![KnownCluster {
                eks_cluster: "prod-euw1".into(),
                region: "eu-west-1".into(),
                env: "prod".into(),
            }],
            envs(),
            None,
        ),
    }
}

fn empty_plan() -> Plan {
    Plan {
        alarms: Vec::new(),
        eks: Vec::new(),
        cost: None,
        metrics: Vec::new(),
    }
}

/// Start `plan`'s tasks; the receiver gets their updates.
fn start(plan: Plan, options: Options) -> (mpsc::Receiver<Msg>, Vec<tokio::task::JoinHandle<()>>) {
    let (tx, rx) = mpsc::channel(64);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    let tasks = spawn(plan, options, clock, tx);
    (rx, tasks)
}

/// Wait (at most 10 s, looking every 20 ms) until `count()` reaches `at_least`; fail saying what
/// was awaited and how far it got.
async fn until_count(what: &str, at_least: u64, count: impl Fn() -> u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while count() < at_least {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {} after 10 s, expected at least {at_least}",
            count()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn next(rx: &mut mpsc::Receiver<Msg>) -> SourceUpdate {
    match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
        Ok(Some(Msg::Source(u))) => u,
        other => panic!("no source update within 15 s: {other:?}"),
    }
}

/// The next alarm update of `source`, skipping others.
async fn next_alarms(
    rx: &mut mpsc::Receiver<Msg>,
    source: &str,
) -> (Vec<opsdeck::domain::Alarm>, opsdeck::domain::SourceHealth) {
    loop {
        if let SourceUpdate::Alarms {
            source: s,
            alarms,
            health,
        } = next(rx).await
            && s == source
        {
            return (alarms, health);
        }
    }
}

#[tokio::test]
async fn eks_clusters_and_nodegroups_in_two_regions() {
    let acct = Account::new("100000000001");
    acct.create_cluster("us-east-1", "prod-use1", "1.31");
    acct.create_nodegroup(
        "us-east-1",
        "prod-use1",
        "general",
        (2, 3, 6),
        &["m6i.large"],
    );
    acct.create_cluster("eu-west-1", "prod-euw1", "1.30");
    acct.create_nodegroup(
        "eu-west-1",
        "prod-euw1",
        "batch",
        (0, 1, 10),
        &["c6i.2xlarge", "c6a.2xlarge"],
    );
    acct.create_nodegroup("eu-west-1", "prod-euw1", "web", (3, 3, 9), &["m6i.xlarge"]);
    let options = acct.options();
    for (region, name, version) in [
        ("us-east-1", "prod-use1", "1.31"),
        ("eu-west-1", "prod-euw1", "1.30"),
    ] {
        let config = clients::sdk_config(&scope(region), &options.clients).await;
        let client = clients::eks(&config, &options.clients);
        let found = eks::discover(&client).await.unwrap();
        assert_eq!(found.len(), 1, "{region}: {found:?}");
        assert_eq!(found[0].name, name);
        assert_eq!(found[0].version, version);
        assert_eq!(found[0].status, "ACTIVE");
        assert!(
            found[0].endpoint.starts_with("https://"),
            "{}",
            found[0].endpoint
        );
    }
    // The collector gives configured clusters their nodegroups.
    let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
    let mut plan = empty_plan();
    plan.eks.push(EksSource {
        scope: scope("eu-west-1"),
        targets: vec![EksTarget {
            eks_cluster: "prod-euw1".into(),
            cluster: id.clone(),
        }],
    });
    let (mut rx, _tasks) = start(plan, options);
    let mut fleet = FleetState::default();
    fleet.apply(SourceUpdate::Cluster(Box::new(ClusterState::new(
        ClusterInfo {
            id: id.clone(),
            name: "prod-euw1".into(),
            env: "prod".into(),
            region: "eu-west-1".into(),
            kubernetes_version: String::new(),
        },
    ))));
    // The discovery's health, then the nodegroups.
    assert!(fleet.apply(next(&mut rx).await));
    assert!(fleet.apply(next(&mut rx).await));
    let health = fleet.clusters()[&id].nodegroup_health.clone().unwrap();
    assert_eq!(health.status, SourceStatus::Live);
    let groups: Vec<(String, String, u32, u32, u32)> = fleet.clusters()[&id]
        .nodegroups
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                g.instance_type.clone(),
                g.min,
                g.desired,
                g.max,
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("batch".into(), "c6i.2xlarge,c6a.2xlarge".into(), 0, 1, 10),
            ("web".into(), "m6i.xlarge".into(), 3, 3, 9)
        ]
    );
    // The next poll sends the same health and nodegroups: nothing changes, nothing to redraw.
    assert!(!fleet.apply(next(&mut rx).await));
    assert!(!fleet.apply(next(&mut rx).await));
}

#[tokio::test]
async fn eks_discovery_failures_reach_the_clusters_and_clear_by_themselves() {
    let acct = Account::new("100000000012");
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    acct.create_nodegroup("eu-west-1", "prod-euw1", "web", (3, 3, 9), &["m6i.xlarge"]);
    let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
    let mut plan = empty_plan();
    plan.eks.push(EksSource {
        scope: scope("eu-west-1"),
        targets: vec![EksTarget {
            eks_cluster: "prod-euw1".into(),
            cluster: id.clone(),
        }],
    });
    let mut fleet = FleetState::default();
    fleet.apply(SourceUpdate::Cluster(Box::new(ClusterState::new(
        ClusterInfo {
            id: id.clone(),
            name: "prod-euw1".into(),
            env: "prod".into(),
            region: "eu-west-1".into(),
            kubernetes_version: String::new(),
        },
    ))));
    // Denied on DescribeNodegroup for two polls, then allowed again.
    acct.fail("DescribeNodegroup", "AccessDenied", 2);
    let (mut rx, _tasks) = start(plan, acct.options());
    let status = |f: &FleetState| {
        f.clusters()[&id]
            .nodegroup_health
            .as_ref()
            .map(|h| h.status.clone())
    };
    fleet.apply(next(&mut rx).await);
    match status(&fleet) {
        Some(SourceStatus::Failed(why)) => {
            assert!(why.starts_with("EKS: access denied"), "{why}");
            assert!(why.contains("DescribeNodegroup"), "{why}");
        }
        s => panic!("{s:?}"),
    }
    assert!(fleet.clusters()[&id].nodegroups.is_empty());
    assert_eq!(
        fleet.clusters()[&id]
            .nodegroup_health
            .as_ref()
            .unwrap()
            .last_data,
        None
    );
    while status(&fleet) != Some(SourceStatus::Live) {
        fleet.apply(next(&mut rx).await);
    }
    fleet.apply(next(&mut rx).await);
    assert_eq!(fleet.clusters()[&id].nodegroups.len(), 1);
    // ListClusters denied too: the same panel, now with the nodegroups' age.
    acct.fail("ListClusters", "AccessDenied", 1000);
    while !matches!(status(&fleet), Some(SourceStatus::Failed(_))) {
        fleet.apply(next(&mut rx).await);
    }
    let h = fleet.clusters()[&id].nodegroup_health.clone().unwrap();
    assert_eq!(h.last_data, Some(now()));
    assert_eq!(
        fleet.clusters()[&id].nodegroups.len(),
        1,
        "the last nodegroups stay"
    );
}

#[tokio::test]
async fn alarms_in_every_state_are_attributed_and_unchanged_polls_send_nothing() {
    let acct = Account::new("100000000002");
    let region = "eu-west-1";
    acct.put_alarm(
        region,
        "cpu-high",
        AlarmState::Alarm,
        &[("ClusterName", "prod-euw1"), ("Service", "checkout")],
    );
    acct.put_alarm(region, "dev-ledger-latency", AlarmState::Ok, &[]);
    acct.put_alarm(region, "orphan", AlarmState::InsufficientData, &[]);
    acct.put_composite_alarms(
        region,
        json!([{
            "AlarmName": "staging-payments-availability",
            "AlarmArn": format!("arn:aws:cloudwatch:{region}:{}:alarm:staging-payments-availability", acct.id),
            "AlarmRule": "ALARM(cpu-high) OR ALARM(orphan)",
            "StateValue": "ALARM",
            "StateReason": "cpu-high is in ALARM",
            "StateUpdatedTimestamp": "2026-11-21T14:00:00Z",
            "StateTransitionedTimestamp": "2026-11-21T13:55:00Z",
            "ActionsEnabled": true
        }]),
    );
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source(region));
    let (mut rx, _tasks) = start(plan, acct.options());
    let label = scope(region).label();
    let (alarms, health) = next_alarms(&mut rx, &label).await;
    assert_eq!(health.status, SourceStatus::Live);
    let by_name = |n: &str| {
        alarms
            .iter()
            .find(|a| a.name == n)
            .unwrap_or_else(|| panic!("{n}: {alarms:?}"))
    };
    let cpu = by_name("cpu-high");
    assert_eq!(cpu.state, AlarmState::Alarm);
    assert_eq!(
        (cpu.env.as_deref(), cpu.service.as_deref()),
        (Some("prod"), Some("checkout"))
    );
    assert!(
        cpu.metric.contains("HTTPCode_Target_5XX_Count"),
        "{}",
        cpu.metric
    );
    assert!(
        cpu.metric.contains("ClusterName=prod-euw1"),
        "{}",
        cpu.metric
    );
    assert_eq!(cpu.reason, "test put it in ALARM");
    let ledger = by_name("dev-ledger-latency");
    assert_eq!(ledger.state, AlarmState::Ok);
    assert_eq!(
        (ledger.env.as_deref(), ledger.service.as_deref()),
        (Some("dev"), Some("ledger"))
    );
    assert_eq!(by_name("orphan").state, AlarmState::InsufficientData);
    assert_eq!(by_name("orphan").env, None);
    let composite = by_name("staging-payments-availability");
    assert_eq!(composite.state, AlarmState::Alarm);
    assert_eq!(composite.env.as_deref(), Some("staging"));
    assert_eq!(composite.service.as_deref(), Some("payments"));
    assert_eq!(
        composite.since,
        "2026-11-21T13:55:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(
        composite.metric,
        "composite: ALARM(cpu-high) OR ALARM(orphan)"
    );
    // Several polls without a change: no update at all.
    let polls = acct.count("DescribeAlarms");
    until_count("the source keeps polling", polls + 2, || {
        acct.count("DescribeAlarms")
    })
    .await;
    assert!(rx.try_recv().is_err(), "an unchanged poll sent an update");
    // A state change is sent.
    acct.set_alarm_state(
        region,
        "dev-ledger-latency",
        AlarmState::Alarm,
        "latency p95 above 800 ms",
    );
    let (alarms, _) = next_alarms(&mut rx, &label).await;
    let ledger = alarms
        .iter()
        .find(|a| a.name == "dev-ledger-latency")
        .unwrap();
    assert_eq!(ledger.state, AlarmState::Alarm);
    assert_eq!(ledger.reason, "latency p95 above 800 ms");
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_then_succeeds() {
    let acct = Account::new("100000000003");
    let (mut rx, _tasks) = one_alarm_failing(&acct, "Throttling", 3);
    let (alarms, health) = next_alarms(&mut rx, &scope("us-east-1").label()).await;
    assert_eq!(health.status, SourceStatus::Live, "{health:?}");
    assert_eq!(alarms.len(), 1);
    // Three throttled attempts, then the one that worked, all before the first update.
    assert!(acct.count("DescribeAlarms") >= 4);
}

#[tokio::test]
async fn one_region_unreachable_leaves_the_other_working() {
    let acct = Account::new("100000000004");
    acct.put_alarm("eu-west-1", "prod-web-5xx", AlarmState::Alarm, &[]);
    let mut options = acct.options();
    // A closed port: bind, note the port, close.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source("eu-west-1"));
    let (mut rx, _tasks) = start(plan, options.clone());
    options.clients.endpoints.cloudwatch = Some(format!("http://127.0.0.1:{closed}"));
    let mut dead = empty_plan();
    dead.alarms.push(alarm_source("us-east-1"));
    let (mut dead_rx, _dead_tasks) = start(dead, options);
    let (alarms, health) = next_alarms(&mut rx, &scope("eu-west-1").label()).await;
    assert_eq!(health.status, SourceStatus::Live);
    assert_eq!(alarms[0].name, "prod-web-5xx");
    let (alarms, health) = next_alarms(&mut dead_rx, &scope("us-east-1").label()).await;
    assert!(alarms.is_empty());
    match &health.status {
        SourceStatus::Stale(why) => assert!(why.contains("unreachable"), "{why}"),
        s => panic!("{s:?}"),
    }
    // Both in one fleet: one cell's alarms, the other source stale.
    let mut fleet = FleetState::default();
    fleet.apply(SourceUpdate::Alarms {
        source: scope("us-east-1").label(),
        alarms,
        health,
    });
    assert_eq!(fleet.alarm_health.len(), 1);
}

/// The first health of an alarm source in eu-west-1 whose profile `prod-admin` is an SSO
/// profile in the AWS config.
async fn sso_profile_alarm_health(acct: &Account) -> opsdeck::domain::SourceHealth {
    let mut source = alarm_source("eu-west-1");
    source.scope.profile = Some("prod-admin".into());
    let label = source.scope.label();
    let mut plan = empty_plan();
    plan.alarms.push(source);
    let mut options = acct.options();
    options.aws_config_text = Some("[profile prod-admin]\nsso_session = acme\n".into());
    let (mut rx, _tasks) = start(plan, options);
    next_alarms(&mut rx, &label).await.1
}

#[tokio::test]
async fn expired_credentials_name_the_command_that_refreshes_them() {
    let acct = Account::new("100000000005");
    acct.fail("DescribeAlarms", "ExpiredToken", 1000);
    let health = sso_profile_alarm_health(&acct).await;
    match &health.status {
        SourceStatus::Failed(why) => {
            assert!(
                why.contains("run `aws sso login --profile prod-admin`"),
                "{why}"
            )
        }
        s => panic!("{s:?}"),
    }
    // The Sources view says when it asks again: at the next poll.
    let poll = jiff::SignedDuration::try_from(acct.options().alarm_poll);
    assert_eq!(health.next_retry, Some(now() + poll.unwrap()));
}

// ---- Cost Explorer ----

/// GetCostAndUsage results as Cost Explorer returns them: one per day from 2026-10-01 to
/// today, for the given groups (keys) and amounts.
fn usage(groups: &[(&[&str], f64)]) -> Value {
    let mut days = Vec::new();
    let mut day: jiff::civil::Date = "2026-10-01".parse().unwrap();
    let today: jiff::civil::Date = "2026-11-21".parse().unwrap();
    while day <= today {
        let next = day.tomorrow().unwrap();
        // A spike on 2026-11-18 for the first group.
        let spike = if day == "2026-11-18".parse().unwrap() {
            3.0
        } else {
            1.0
        };
        let g: Vec<Value> = groups
            .iter()
            .enumerate()
            .map(|(i, (keys, usd))| {
                let usd = if i == 0 { usd * spike } else { *usd };
                json!({"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": format!("{usd}"), "Unit": "USD"}}})
            })
            .collect();
        days.push(json!({
            "TimePeriod": {"Start": day.to_string(), "End": next.to_string()},
            "Total": {},
            "Groups": g,
            "Estimated": day == today,
        }));
        day = next;
    }
    json!({"ResultsByTime": days, "DimensionValueAttributes": [], "GroupDefinitions": []})
}

fn seed_costs(acct: &Account) {
    acct.seed_cost_and_usage(vec![
        usage(&[
            (&["env$prod", "us-east-1"], 10.0),
            (&["env$prod", "eu-west-1"], 6.0),
            (&["env$dev", "us-east-1"], 1.0),
            (&["env$", "us-east-1"], 0.5),
        ]),
        usage(&[(&["service$checkout"], 8.0), (&["service$ledger"], 2.0)]),
    ]);
    acct.seed_ce(
        "GetCostForecast",
        json!({"Total": {"Amount": "180.5", "Unit": "USD"}, "ForecastResultsByTime": []}),
    );
    acct.seed_ce(
        "GetAnomalies",
        json!({"Anomalies": [{
            "AnomalyId": "a-1",
            "AnomalyStartDate": "2026-11-18",
            "AnomalyEndDate": "2026-11-18",
            "DimensionValue": "Amazon Elastic Compute Cloud - Compute",
            "RootCauses": [{"Service": "Amazon Elastic Compute Cloud - Compute", "Region": "us-east-1"}],
            "AnomalyScore": {"MaxScore": 0.9, "CurrentScore": 0.4},
            "Impact": {"MaxImpact": 20.0, "TotalImpact": 20.0, "TotalActualSpend": 30.0, "TotalExpectedSpend": 10.0},
            "MonitorArn": "arn:aws:ce::100000000006:anomalymonitor/m-1"
        }]}),
    );
}

fn cost_source() -> CostSource {
    CostSource {
        scope: scope("us-east-1"),
        envs: envs(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
    }
}

async fn ce_client(options: &Options) -> aws_sdk_costexplorer::Client {
    let config = clients::sdk_config(&scope("us-east-1"), &options.clients).await;
    clients::cost_explorer(&config, &options.clients)
}

#[tokio::test]
async fn cost_by_env_region_and_service_with_forecast_and_anomalies() {
    let acct = Account::new("100000000006");
    seed_costs(&acct);
    let dir = tempfile::tempdir().unwrap();
    let mut options = acct.options();
    options.cost.cache_dir = Some(dir.path().to_path_buf());
    let client = ce_client(&options).await;
    let (report, health) = cost::refresh(
        &cost_source(),
        &options,
        &client,
        None,
        &mut Vec::new(),
        now(),
    )
    .await;
    assert_eq!(health.status, SourceStatus::Live, "{health:?}");
    // 21 days of November, with the spike day at 3x.
    assert_eq!(report.mtd_for("prod", "us-east-1"), Some(230.0));
    assert_eq!(report.mtd_for("prod", "eu-west-1"), Some(126.0));
    assert_eq!(report.mtd_for("dev", "us-east-1"), Some(21.0));
    assert_eq!(
        report.by_cell[&("prod".into(), "us-east-1".into())].last_month,
        310.0
    );
    assert_eq!(report.mtd_by_service["checkout"], 184.0);
    assert_eq!(report.mtd_by_service["ledger"], 42.0);
    assert_eq!(report.daily.len(), 30);
    assert_eq!(report.daily.last().unwrap().usd, 17.5);
    // Whole days of November (20, one at +20) plus the forecast of the rest.
    assert_eq!(report.forecast_month_end, 20.0 * 17.5 + 20.0 + 180.5);
    let found = opsdeck::domain::anomalies(&report);
    assert!(
        found.iter().any(|a| a.scope
            == CostScope::Service {
                name: "Amazon Elastic Compute Cloud - Compute".into()
            }
            && a.usd == 30.0),
        "{found:?}"
    );
    assert_eq!(
        report.fetched.keys().cloned().collect::<Vec<_>>(),
        ["anomalies", "by env/region", "by service", "forecast"]
    );
}

#[tokio::test]
async fn cost_explorer_is_asked_once_per_query_per_ttl_across_runs() {
    let acct = Account::new("100000000007");
    seed_costs(&acct);
    let dir = tempfile::tempdir().unwrap();
    let cache = opsdeck::source::aws::cost_cache::CostCache::new(dir.path());
    let options = acct.options();
    // Two "runs": separate clients and memories, one cache folder.
    for _ in 0..2 {
        let client = ce_client(&options).await;
        let (report, _) = cost::refresh(
            &cost_source(),
            &options,
            &client,
            Some(&cache),
            &mut Vec::new(),
            now(),
        )
        .await;
        assert_eq!(report.mtd_for("prod", "us-east-1"), Some(230.0));
    }
    assert_eq!(
        acct.count("GetCostAndUsage"),
        2,
        "two distinct usage queries, asked once"
    );
    assert_eq!(acct.count("GetCostForecast"), 1);
    assert_eq!(acct.count("GetAnomalies"), 1);
    // Five hours later the answers are still fresh; seven hours later they are asked again.
    let client = ce_client(&options).await;
    let later = now() + jiff::SignedDuration::from_hours(5);
    cost::refresh(
        &cost_source(),
        &options,
        &client,
        Some(&cache),
        &mut Vec::new(),
        later,
    )
    .await;
    assert_eq!(acct.count("GetCostAndUsage"), 2);
    let expired = now() + jiff::SignedDuration::from_hours(7);
    let (report, health) = cost::refresh(
        &cost_source(),
        &options,
        &client,
        Some(&cache),
        &mut Vec::new(),
        expired,
    )
    .await;
    assert_eq!(acct.count("GetCostAndUsage"), 4);
    assert_eq!(acct.count("GetCostForecast"), 2);
    assert_eq!(acct.count("GetAnomalies"), 2);
    assert_eq!(health.status, SourceStatus::Live);
    assert_eq!(report.as_of, Some(expired));
}

#[tokio::test]
async fn access_denied_on_cost_explorer_only_the_cost_panel_says_so() {
    let acct = Account::new("100000000008");
    seed_costs(&acct);
    acct.put_alarm("us-east-1", "prod-api-5xx", AlarmState::Alarm, &[]);
    acct.fail("GetCostAndUsage", "AccessDenied", 1000);
    let dir = tempfile::tempdir().unwrap();
    let mut options = acct.options();
    options.cost.cache_dir = Some(dir.path().to_path_buf());
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source("us-east-1"));
    plan.cost = Some(cost_source());
    let (mut rx, _tasks) = start(plan, options);
    let mut fleet = FleetState::default();
    while fleet.cost_health.is_none() || fleet.alarm_health.is_empty() {
        fleet.apply(next(&mut rx).await);
    }
    match &fleet.cost_health.as_ref().unwrap().status {
        SourceStatus::Degraded(why) => {
            assert!(why.contains("access denied"), "{why}");
            assert!(why.contains("by env/region"), "{why}");
        }
        s => panic!("{s:?}"),
    }
    assert!(
        fleet.cost_health.as_ref().unwrap().next_retry > Some(now()),
        "degraded: asked again at the next recheck"
    );
    // The forecast and anomalies still came.
    assert_eq!(fleet.cost().reported_anomalies.len(), 1);
    let alarms = fleet.alarm_health.values().next().unwrap();
    assert_eq!(alarms.status, SourceStatus::Live);
    assert_eq!(alarms.next_retry, None, "live: nothing to retry");
    assert_eq!(fleet.all_alarms().count(), 1);
}

/// 500, 503, a cut connection and a slow answer: the alarm source may say so for a moment
/// (stale, with the reason), retries by itself, and is soon live and complete.
#[tokio::test]
async fn server_errors_resets_and_slow_answers_are_retried_then_succeed() {
    for (i, fault) in ["InternalError", "ServiceUnavailable", "Reset", "Slow"]
        .iter()
        .enumerate()
    {
        let acct = Account::new(&format!("10000000009{i}"));
        let (mut rx, _tasks) = one_alarm_failing(&acct, fault, 2);
        until_live_with_one_alarm(&mut rx, fault).await;
        let expected = if *fault == "Slow" { 1 } else { 3 };
        assert!(
            acct.count("DescribeAlarms") >= expected,
            "{fault}: {} requests",
            acct.count("DescribeAlarms")
        );
    }
}

/// Answers cut short, again and again: the source says so, backs off (requests counted over a
/// window), and recovers by itself when the answers are whole again.
#[tokio::test]
async fn malformed_answers_degrade_the_alarm_source_without_a_hot_loop_then_it_recovers() {
    let acct = Account::new("100000000099");
    let (mut rx, _tasks) = one_alarm_failing(&acct, "Malformed", 100_000);
    let label = scope("us-east-1").label();
    let (_, health) = next_alarms(&mut rx, &label).await;
    assert_ne!(health.status, SourceStatus::Live, "{health:?}");
    let before = acct.count("DescribeAlarms");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = acct.count("DescribeAlarms") - before;
    // Polls every 200 ms with retries and a 20–100 ms backoff: tens of requests; a loop
    // without backoff makes thousands.
    eprintln!("Malformed: {during} requests in 2 s");
    assert!(during < 150, "{during} requests in 2 s: no backoff");
    acct.clear_faults();
    until_live_with_one_alarm(&mut rx, "Malformed").await;
}

/// One firing alarm in us-east-1 whose next `count` DescribeAlarms fail with `fault`, and its
/// alarm source started.
fn one_alarm_failing(
    acct: &Account,
    fault: &str,
    count: u32,
) -> (mpsc::Receiver<Msg>, Vec<tokio::task::JoinHandle<()>>) {
    acct.put_alarm("us-east-1", "prod-api-5xx", AlarmState::Alarm, &[]);
    acct.fail("DescribeAlarms", fault, count);
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source("us-east-1"));
    start(plan, acct.options())
}

/// Alarm updates of us-east-1 until one is live with its one alarm (10 s at most).
async fn until_live_with_one_alarm(rx: &mut mpsc::Receiver<Msg>, fault: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (alarms, health) = next_alarms(rx, &scope("us-east-1").label()).await;
        if health.status == SourceStatus::Live && alarms.len() == 1 {
            return;
        }
        assert!(
            !matches!(&health.status, SourceStatus::Stale(w) | SourceStatus::Degraded(w) | SourceStatus::Failed(w) if w.is_empty()),
            "{fault}: a failure without a reason: {health:?}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "{fault}: not live within 10 s: {health:?}"
        );
    }
}

// ---- Metric sparklines ----

fn metrics_source() -> MetricsSource {
    MetricsSource {
        scope: scope("eu-west-1"),
        targets: vec![EksTarget {
            eks_cluster: "prod-euw1".into(),
            cluster: ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
        }],
        rules: opsdeck::config::MetricRules::default(),
    }
}

/// The next metrics update, skipping others.
async fn next_metrics(rx: &mut mpsc::Receiver<Msg>) -> opsdeck::domain::MetricsUpdate {
    loop {
        if let SourceUpdate::Metrics(m) = next(rx).await {
            return *m;
        }
    }
}

#[tokio::test]
async fn sparklines_of_the_open_service_come_from_get_metric_data() {
    let acct = Account::new("100000000009");
    let region = "eu-west-1";
    let t0 = now().as_second();
    // CPU for the last ten minutes, p95 latency for the last three; no 5xx data at all.
    let cpu: Vec<(i64, f64)> = (1..=10).map(|m| (t0 - m * 60, 30.0 + m as f64)).collect();
    acct.put_metric_data(
        region,
        "ContainerInsights",
        "pod_cpu_utilization",
        &[
            ("ClusterName", "prod-euw1"),
            ("Namespace", "shop"),
            ("Service", "web"),
        ],
        &cpu,
    );
    let tg = [("TargetGroup", "targetgroup/prod-euw1-shop-web")];
    let latency: Vec<(i64, f64)> = (1..=3).map(|m| (t0 - m * 60, 0.1 * m as f64)).collect();
    acct.put_metric_data(
        region,
        "AWS/ApplicationELB",
        "TargetResponseTime",
        &tg,
        &latency,
    );
    // Another service's data must not leak into web's series.
    acct.put_metric_data(
        region,
        "ContainerInsights",
        "pod_cpu_utilization",
        &[
            ("ClusterName", "prod-euw1"),
            ("Namespace", "shop"),
            ("Service", "cart"),
        ],
        &[(t0 - 60, 99.0)],
    );
    let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
    let web = WorkloadKey::new("shop", "web");
    let (tx, mut rx) = mpsc::channel(64);
    let (show, watched) = tokio::sync::watch::channel(Vec::new());
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    let _tasks = spawn_metrics(
        vec![metrics_source()],
        acct.options(),
        clock,
        watched,
        tx,
        None,
    );
    // Loading until asked for something.
    let first = next_metrics(&mut rx).await;
    assert_eq!(first.health.status, SourceStatus::Connecting);
    assert!(first.services.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        acct.count("GetMetricData"),
        0,
        "nothing open, nothing asked"
    );
    show.send(vec![(id.clone(), web.clone())]).unwrap();
    let update = next_metrics(&mut rx).await;
    assert_eq!(update.cluster, id);
    assert_eq!(
        update.health.status,
        SourceStatus::Live,
        "{:?}",
        update.health
    );
    let m = &update.services[&web];
    let labels: Vec<&str> = m.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["CPU", "5xx", "p95"]);
    let values = |i: usize| {
        m.series[i]
            .points
            .iter()
            .map(|(_, v)| *v)
            .collect::<Vec<_>>()
    };
    // Oldest first: 40, 39, ... 31.
    assert_eq!(
        values(0),
        (1..=10).rev().map(|m| 30.0 + m as f64).collect::<Vec<_>>()
    );
    assert!(m.series[1].points.is_empty());
    assert_eq!(values(2), [0.30000000000000004, 0.2, 0.1]);
    assert_eq!(m.series[0].points.last().unwrap().0.as_second(), t0 - 60);
    // All three series in one request.
    assert_eq!(acct.count("GetMetricData"), 1);
    // Unchanged answers send nothing.
    until_count("metrics polls", 3, || acct.count("GetMetricData")).await;
    assert!(rx.try_recv().is_err(), "an unchanged poll sent an update");
    // Denied: the panel says so.
    acct.fail("GetMetricData", "AccessDenied", 1000);
    let denied = next_metrics(&mut rx).await;
    match &denied.health.status {
        SourceStatus::Failed(why) => {
            assert!(why.contains("CloudWatch metrics: access denied"), "{why}")
        }
        s => panic!("{s:?}"),
    }
}

#[tokio::test]
async fn many_instances_are_asked_in_batches_of_500_queries() {
    let acct = Account::new("100000000010");
    let source = metrics_source();
    let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
    let watched: Vec<(ClusterId, WorkloadKey)> = (0..200)
        .map(|i| (id.clone(), WorkloadKey::new("shop", format!("svc{i}"))))
        .collect();
    let queries = opsdeck::source::aws::metrics::queries(&source, &watched);
    assert_eq!(queries.len(), 600);
    acct.put_metric_data(
        "eu-west-1",
        "ContainerInsights",
        "pod_cpu_utilization",
        &[
            ("ClusterName", "prod-euw1"),
            ("Namespace", "shop"),
            ("Service", "svc199"),
        ],
        &[(now().as_second() - 120, 12.5)],
    );
    let options = acct.options();
    let config = clients::sdk_config(&scope("eu-west-1"), &options.clients).await;
    let client = clients::cloudwatch(&config, &options.clients);
    let (start, end) = opsdeck::source::aws::metrics::window(now(), 60);
    let answers = opsdeck::source::aws::metrics::fetch(&client, &queries, 60, start, end)
        .await
        .unwrap();
    assert_eq!(acct.count("GetMetricData"), 2, "600 queries: two requests");
    // The last instance's CPU is query 597, in the second request.
    assert_eq!(answers["q597"].len(), 1);
    assert_eq!(answers["q597"][0].1, 12.5);
}

#[tokio::test]
async fn alarm_tags_attribute_first_and_are_read_once_per_alarm() {
    let acct = Account::new("100000000011");
    let region = "eu-west-1";
    // Dimensions say prod/checkout; the tags say staging/payments and win.
    acct.put_alarm(
        region,
        "cpu-high",
        AlarmState::Alarm,
        &[("ClusterName", "prod-euw1"), ("Service", "checkout")],
    );
    acct.tag_alarm(
        region,
        "cpu-high",
        &[("opsdeck:env", "staging"), ("opsdeck:service", "payments")],
    );
    acct.put_alarm(region, "dev-ledger-latency", AlarmState::Ok, &[]);
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source(region));
    let (mut rx, _tasks) = start(plan, acct.options());
    let label = scope(region).label();
    let (alarms, health) = next_alarms(&mut rx, &label).await;
    assert_eq!(health.status, SourceStatus::Live, "{health:?}");
    let cpu = alarms.iter().find(|a| a.name == "cpu-high").unwrap();
    assert_eq!(
        (cpu.env.as_deref(), cpu.service.as_deref()),
        (Some("staging"), Some("payments"))
    );
    let ledger = alarms
        .iter()
        .find(|a| a.name == "dev-ledger-latency")
        .unwrap();
    assert_eq!(
        (ledger.env.as_deref(), ledger.service.as_deref()),
        (Some("dev"), Some("ledger")),
        "no tags: the name pattern"
    );
    // Several polls later the tags were still read once per alarm.
    let polls = acct.count("DescribeAlarms");
    until_count("alarm polls", polls + 2, || acct.count("DescribeAlarms")).await;
    assert_eq!(acct.count("ListTagsForResource"), 2);
    // A new alarm's tags are read when it appears; a denied read degrades, the alarms stay.
    acct.fail("ListTagsForResource", "AccessDenied", 1000);
    acct.put_alarm(region, "web-5xx", AlarmState::Alarm, &[]);
    let (alarms, health) = next_alarms(&mut rx, &label).await;
    assert_eq!(alarms.len(), 3);
    match &health.status {
        SourceStatus::Degraded(why) => {
            assert!(
                why.contains("CloudWatch alarm tags: access denied"),
                "{why}"
            )
        }
        s => panic!("{s:?}"),
    }
    let cpu = alarms.iter().find(|a| a.name == "cpu-high").unwrap();
    assert_eq!(cpu.service.as_deref(), Some("payments"), "cached tags stay");
}

// ---- opsdeck snapshot ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_of_a_configured_fleet_includes_alarms_nodegroups_and_cost() {
    let acct = Account::new("100000000013");
    seed_costs(&acct);
    acct.put_alarm(
        "eu-west-1",
        "prod-checkout-5xx",
        AlarmState::Alarm,
        &[("ClusterName", "prod-euw1")],
    );
    acct.put_alarm("eu-west-1", "prod-checkout-latency", AlarmState::Ok, &[]);
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    acct.create_nodegroup("eu-west-1", "prod-euw1", "web", (3, 4, 9), &["m6i.xlarge"]);
    let kube = fake_kube::FakeKube::start().await;
    let home = tempfile::tempdir().unwrap();
    let kc = home.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster: {{server: \"http://127.0.0.1:{}\"}}\n\
             users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: k\n  context: {{cluster: k, user: u}}\n\
             current-context: k\n",
            kube.port()
        ),
    )
    .unwrap();
    let url = &aws::moto().url;
    let config = home.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n\
             [aws.endpoint_urls]\neks = {url:?}\ncloudwatch = {url:?}\nce = {url:?}\nsts = {url:?}\n\
             [[environments]]\nname = \"prod\"\nproduction = true\n\
             [[environments.clusters]]\nname = \"prod-euw1\"\nregion = \"eu-west-1\"\n\
             kubeconfig = {kc:?}\ncontext = \"k\"\neks_cluster = \"prod-euw1\"\n",
            kc = kc.display().to_string()
        ),
    )
    .unwrap();
    let (home_dir, key) = (home.path().to_path_buf(), acct.access_key.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--config")
            .arg(&config)
            .args(["snapshot", "--format", "json", "--timeout", "20"])
            .env("OPSDECK_HOME", &home_dir)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .env("AWS_CONFIG_FILE", home_dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home_dir.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snap: Value = serde_json::from_str(&stdout).unwrap();
    let firing: Vec<&str> = snap["firing_alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(firing, ["prod-checkout-5xx"], "{stdout}");
    assert_eq!(snap["firing_alarms"][0]["env"], "prod");
    let groups = snap["nodegroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{stdout}");
    assert_eq!(groups[0]["cluster"], "prod/eu-west-1/prod-euw1");
    assert_eq!(
        (
            groups[0]["min"].as_u64(),
            groups[0]["desired"].as_u64(),
            groups[0]["max"].as_u64()
        ),
        (Some(3), Some(4), Some(9))
    );
    assert_eq!(groups[0]["instance_type"], "m6i.xlarge");
    // Cost Explorer answered (the seeded days are fixed dates, so the month-to-date figure
    // depends on today: the requests and the sources' health say it answered).
    assert_eq!(snap["aws_problems"], json!([]), "{stdout}");
    assert_eq!(acct.count("GetCostAndUsage"), 2);
}

// ---- errors that name the real fix (issue 15, item 7) ----

#[tokio::test]
async fn an_invalid_key_says_invalid_credentials_not_sso_login() {
    for (i, fault) in [
        "InvalidClientTokenId",
        "UnrecognizedClient",
        "SignatureDoesNotMatch",
    ]
    .iter()
    .enumerate()
    {
        let acct = Account::new(&format!("10000000030{i}"));
        acct.fail("DescribeAlarms", fault, 1000);
        // An SSO profile: an expired session would name `aws sso login`; a bad key must not.
        let health = sso_profile_alarm_health(&acct).await;
        match &health.status {
            SourceStatus::Failed(why) => {
                assert!(
                    why.contains("invalid AWS credentials of profile prod-admin"),
                    "{fault}: {why}"
                );
                assert!(why.contains("AWS_ACCESS_KEY_ID"), "{fault}: {why}");
                assert!(!why.contains("sso login"), "{fault}: {why}");
                assert!(!why.contains("expired"), "{fault}: {why}");
            }
            s => panic!("{fault}: {s:?}"),
        }
    }
}

#[tokio::test]
async fn access_denied_names_the_api_call() {
    let acct = Account::new("100000000310");
    acct.fail("DescribeAlarms", "AccessDenied", 1000);
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source("eu-west-1"));
    let (mut rx, _tasks) = start(plan, acct.options());
    let (_, health) = next_alarms(&mut rx, &scope("eu-west-1").label()).await;
    match &health.status {
        SourceStatus::Failed(why) => assert!(
            why.contains("AccessDenied on cloudwatch:DescribeAlarms: User: arn:aws:sts::"),
            "{why}"
        ),
        s => panic!("{s:?}"),
    }
    // Cost Explorer names its call too.
    let acct = Account::new("100000000311");
    seed_costs(&acct);
    acct.fail("GetCostForecast", "AccessDenied", 1000);
    let mut plan = empty_plan();
    plan.cost = Some(cost_source());
    let (mut rx, _tasks) = start(plan, acct.options());
    let health = loop {
        if let SourceUpdate::Cost { health, .. } = next(&mut rx).await {
            break health;
        }
    };
    match &health.status {
        SourceStatus::Degraded(why) => {
            assert!(why.contains("AccessDenied on ce:GetCostForecast"), "{why}")
        }
        s => panic!("{s:?}"),
    }
}

#[tokio::test]
async fn an_eks_cluster_missing_from_its_region_fails_at_once() {
    let acct = Account::new("100000000312");
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    let id = ClusterId::parse("prod", "eu-west-1", "ghost").unwrap();
    let mut plan = empty_plan();
    plan.eks.push(EksSource {
        scope: scope("eu-west-1"),
        targets: vec![EksTarget {
            eks_cluster: "ghost".into(),
            cluster: id.clone(),
        }],
    });
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    let started = std::time::Instant::now();
    let updates =
        opsdeck::source::aws::once::collect(plan, acct.options(), clock, Duration::from_secs(15))
            .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered at once, not at the deadline: {:?}",
        started.elapsed()
    );
    let health = updates
        .iter()
        .find_map(|u| match u {
            SourceUpdate::ClusterDelta(d) if d.cluster == id => d.nodegroup_health.clone(),
            _ => None,
        })
        .expect("the missing cluster's EKS health");
    match &health.status {
        SourceStatus::Failed(why) => assert!(
            why.starts_with("EKS cluster ghost not found in eu-west-1")
                && why.contains("clusters there: prod-euw1"),
            "{why}"
        ),
        s => panic!("{s:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_natively_reached_eks_cluster_that_does_not_exist_fails_at_once() {
    use opsdeck::source::kube::connect::Endpoint;
    let acct = Account::new("100000000313");
    let url = &aws::moto().url;
    let text = format!(
        "regions = [\"eu-west-1\"]\n[aws.endpoint_urls]\neks = {url:?}\nsts = {url:?}\n\
         [[environments]]\nname = \"prod\"\n[[environments.clusters]]\nname = \"ghost\"\n\
         region = \"eu-west-1\"\neks_cluster = \"ghost\"\n"
    );
    let config = opsdeck::config::parse(&text, "t.toml").unwrap();
    let mut targets = opsdeck::source::kube::targets(&config);
    let Endpoint::Eks(eks) = &mut targets[0].endpoint else {
        panic!("native");
    };
    eks.settings.auth = acct.options().clients.auth;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    let started = std::time::Instant::now();
    let fleet = opsdeck::source::kube::settle(
        opsdeck::console::configured_layout(&config),
        targets,
        opsdeck::source::kube::Timings::default(),
        clock,
        Duration::from_secs(15),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let cluster = &fleet.clusters()[&ClusterId::parse("prod", "eu-west-1", "ghost").unwrap()];
    match &cluster.health.status {
        SourceStatus::Failed(why) => assert!(
            why.starts_with("EKS cluster ghost not found in eu-west-1 (AWS profile default)"),
            "{why}"
        ),
        s => panic!("{s:?}"),
    }
}

/// `opsdeck snapshot --format json` with `config` (TOML) and the given environment: (exit
/// code, JSON, stderr, how long it took).
async fn run_snapshot(
    home: &std::path::Path,
    config: &str,
    env: Vec<(&'static str, String)>,
) -> (Option<i32>, Value, String, Duration) {
    let path = home.join("opsdeck.toml");
    std::fs::write(&path, config).unwrap();
    let home = home.to_path_buf();
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"));
        cmd.arg("--config")
            .arg(&path)
            .args(["snapshot", "--format", "json", "--timeout", "15"])
            .env("OPSDECK_HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    })
    .await
    .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (
        out.status.code(),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

fn source_state<'a>(snap: &'a Value, source: &str) -> &'a Value {
    snap["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == source)
        .unwrap_or_else(|| panic!("no source {source}: {snap:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_with_an_unknown_profile_is_incomplete_at_once_and_never_says_0_dollars() {
    let home = tempfile::tempdir().unwrap();
    // The AWS config defines another profile: `acme-typo` is not there.
    std::fs::write(
        home.path().join("no-aws-config"),
        "[profile acme-prod]\nregion = eu-west-1\n",
    )
    .unwrap();
    let url = &aws::moto().url;
    let config = format!(
        "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n\
         [aws.endpoint_urls]\neks = {url:?}\ncloudwatch = {url:?}\nce = {url:?}\nsts = {url:?}\n\
         [[environments]]\nname = \"prod\"\naws_profile = \"acme-typo\"\n"
    );
    let (code, snap, stderr, took) = run_snapshot(home.path(), &config, Vec::new()).await;
    assert_eq!(code, Some(3), "{snap:#}\n{stderr}");
    assert!(took < Duration::from_secs(10), "not the timeout: {took:?}");
    assert_eq!(snap["complete"], false);
    let alarms = source_state(&snap, "alarms acme-typo/eu-west-1");
    assert_eq!(alarms["state"], "failed", "{snap:#}");
    let why = alarms["reason"].as_str().unwrap();
    assert!(
        why.contains("AWS profile `acme-typo` cannot be used"),
        "{why}"
    );
    assert!(!why.contains("unreachable"), "{why}");
    assert_eq!(source_state(&snap, "cost")["state"], "failed", "{snap:#}");
    assert_eq!(
        snap["cost"],
        Value::Null,
        "an unknown spend is not $0: {snap:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_with_a_missing_eks_cluster_says_so_at_once_and_exits_non_zero() {
    let acct = Account::new("100000000314");
    seed_costs(&acct);
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    let home = tempfile::tempdir().unwrap();
    let url = &aws::moto().url;
    let config = format!(
        "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n\
         [aws.endpoint_urls]\neks = {url:?}\ncloudwatch = {url:?}\nce = {url:?}\nsts = {url:?}\n\
         [[environments]]\nname = \"prod\"\n\
         [[environments.clusters]]\nname = \"ghost\"\nregion = \"eu-west-1\"\neks_cluster = \"ghost\"\n"
    );
    let env = vec![
        ("AWS_ACCESS_KEY_ID", acct.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", "test-secret".to_string()),
    ];
    let (code, snap, stderr, took) = run_snapshot(home.path(), &config, env).await;
    assert_eq!(code, Some(3), "{snap:#}\n{stderr}");
    assert!(took < Duration::from_secs(10), "not the timeout: {took:?}");
    assert_eq!(snap["complete"], false);
    for source in ["cluster prod/eu-west-1/ghost", "EKS prod/eu-west-1/ghost"] {
        let s = source_state(&snap, source);
        assert_eq!(s["state"], "failed", "{source}: {snap:#}");
        let why = s["reason"].as_str().unwrap();
        assert!(
            why.starts_with("EKS cluster ghost not found in eu-west-1"),
            "{source}: {why}"
        );
    }
    // The sources that answered say so; the cost answered, so its figures are printed.
    assert_eq!(
        source_state(&snap, "alarms default/eu-west-1")["state"],
        "live"
    );
    assert_eq!(source_state(&snap, "cost")["state"], "live");
    assert!(snap["cost"]["month_to_date_usd"].is_number(), "{snap:#}");
}

// ---- ctrl-r reaches the AWS pollers (issue 15, item 8) ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_r_polls_every_aws_source_now_rate_limited_and_none_is_dropped() {
    use opsdeck::app::Effect;
    use opsdeck::console::Executor;
    let acct = Account::new("100000000320");
    acct.put_alarm("eu-west-1", "prod-web-5xx", AlarmState::Ok, &[]);
    seed_costs(&acct);
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    let mut options = acct.options();
    // Nothing polls by itself during the test: every poll after the first is a refresh.
    options.alarm_poll = Duration::from_secs(3600);
    options.eks_poll = Duration::from_secs(3600);
    options.cost.recheck = Duration::from_secs(3600);
    options.refresh_min_gap = Duration::from_millis(1500);
    let mut plan = empty_plan();
    plan.alarms.push(alarm_source("eu-west-1"));
    plan.eks.push(EksSource {
        scope: scope("eu-west-1"),
        targets: vec![EksTarget {
            eks_cluster: "prod-euw1".into(),
            cluster: ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
        }],
    });
    plan.cost = Some(cost_source());
    let (refresh, refreshes) = tokio::sync::watch::channel(0u64);
    let mut executor = Executor {
        refresh: Some(refresh),
        ..Executor::default()
    };
    let (tx, mut rx) = mpsc::channel(256);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    let _tasks =
        opsdeck::source::aws::spawn_with_refresh(plan, options, clock, tx, Some(refreshes));
    let label = scope("eu-west-1").label();
    next_alarms(&mut rx, &label).await;
    let polls = || {
        (
            acct.count("DescribeAlarms"),
            acct.count("ListClusters"),
            acct.count("GetCostAndUsage"),
        )
    };
    // Let every source finish its first poll.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while polls().1 < 1 || polls().2 < 2 {
        assert!(std::time::Instant::now() < deadline, "{:?}", polls());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(polls(), (1, 1, 2));
    // The first poll's window ends; ctrl-r polls at once, and the unchanged alarms are sent
    // again (the screen says when they answered).
    tokio::time::sleep(Duration::from_millis(1600)).await;
    while rx.try_recv().is_ok() {}
    let asked = std::time::Instant::now();
    executor.run(Effect::RefreshSources);
    next_alarms(&mut rx, &label).await;
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while polls().1 < 2 {
        assert!(std::time::Instant::now() < deadline, "{:?}", polls());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Cost Explorer is billed: a refresh re-reads the cache, it does not ask again within
    // the TTL.
    assert_eq!(polls(), (2, 2, 2));
    // Three more at once, inside the window: one poll, when the window ends.
    let asked = std::time::Instant::now();
    for _ in 0..3 {
        executor.run(Effect::RefreshSources);
    }
    next_alarms(&mut rx, &label).await;
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_millis(1200) && waited < Duration::from_millis(3000),
        "served when the window ended: {waited:?}"
    );
    until_count("the refresh's EKS poll", 3, || polls().1).await;
    // Nothing more comes within the next windows.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(polls(), (3, 3, 2), "one poll for the three, and none after");
}
