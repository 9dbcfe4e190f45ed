//! Fault injection against the Kubernetes collector: every way an API server misbehaves during
//! an incident. For each fault the collector keeps the last data, says what is wrong (stale,
//! degraded or failed, with the data's age), backs off instead of hammering the server (requests
//! counted over a window), and recovers by itself once the fault is gone.
//!
//! Already covered in `tests/kube_collector.rs`: server down and back (connection refused), a
//! hanging server, 403 on one resource, watch expiry (410).

#[path = "support/collect.rs"]
mod collect;
#[path = "support/fake_kube/mod.rs"]
mod fake_kube;
mod support;

use collect::*;
use fake_kube::{FakeKube, Injected};
use opsdeck::app::{Msg, View, update};
use opsdeck::clock::ManualClock;
use opsdeck::domain::{FleetState, SourceStatus, SourceUpdate, WorkloadKey};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::*;

/// Requests a healthy collector makes against a failing server in `WINDOW`: seven watches and a
/// probe, each retrying with exponential backoff from 50 ms up to 400 ms (see `collect::timings`),
/// is about 60. A retry loop without backoff makes thousands.
const WINDOW: Duration = Duration::from_secs(2);
const MAX_REQUESTS_IN_WINDOW: usize = 150;

fn payments(f: &FleetState) -> u32 {
    only(f).workloads[&WorkloadKey::new("payments", "payments-api")].desired
}

fn scale_payments(kube: &FakeKube, replicas: u32) {
    let mut d = kube
        .get("apps/v1", "Deployment", Some("payments"), "payments-api")
        .expect("payments-api in the fixture");
    d["spec"]["replicas"] = json!(replicas);
    kube.apply(d);
}

/// One fault from start to recovery. `expect` names the status the fault must produce.
async fn fault_case(fault: Injected, expect: fn(&SourceStatus) -> bool) {
    fault_case_with(fault, expect, false).await
}

/// As `fault_case`; with `no_data`, the fault's answers are no data: while it lasts the
/// cluster's last data does not move (the age on screen grows).
async fn fault_case_with(fault: Injected, expect: fn(&SourceStatus) -> bool, no_data: bool) {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;
    kube.fail_requests(Some(fault));
    // Open watches would not notice a failing server until they end; end them, as the
    // server's watch timeout does, so every watch reconnects into the fault.
    kube.end_watches();
    h.until(
        &format!("{fault:?} shows in the cluster's health"),
        Duration::from_secs(5),
        |f| expect(&only(f).health.status),
    )
    .await;
    let c = only(&h.fleet);
    assert_eq!(
        c.workloads.len(),
        3,
        "{fault:?}: the last data stays on screen"
    );
    assert_eq!(c.pods.len(), 7, "{fault:?}: the last data stays on screen");
    assert!(
        c.health.last_data.is_some(),
        "{fault:?}: shown with its age"
    );

    // Backoff: count what arrives over a window while the fault lasts.
    let data_before = only(&h.fleet).health.last_data;
    kube.clear_requests();
    let window = tokio::time::sleep(WINDOW);
    tokio::pin!(window);
    loop {
        tokio::select! {
            _ = &mut window => break,
            m = h.rx.recv() => match m {
                Some(Msg::Source(u)) => { h.fleet.apply(u); }
                Some(_) => {}
                None => panic!("{fault:?}: the collector stopped"),
            },
        }
    }
    let requests = kube.requests().len();
    eprintln!("{fault:?}: {requests} requests in {WINDOW:?}");
    assert!(
        requests <= MAX_REQUESTS_IN_WINDOW,
        "{fault:?}: {requests} requests in {WINDOW:?}: no backoff"
    );
    assert!(
        requests > 0,
        "{fault:?}: the collector stopped trying: it will never recover"
    );
    assert!(
        expect(&only(&h.fleet).health.status),
        "{fault:?}: the status changed while the fault lasted: {:?}",
        only(&h.fleet).health.status
    );
    // The console can say when the cluster is asked again: within a backoff step (the cap).
    let retry = only(&h.fleet).health.next_retry;
    let now = jiff::Timestamp::now();
    assert!(
        retry.is_some_and(|at| at <= now + jiff::SignedDuration::from_secs(31)),
        "{fault:?}: the next retry is not known or too far: {retry:?} at {now}"
    );
    if no_data {
        assert_eq!(
            only(&h.fleet).health.last_data,
            data_before,
            "{fault:?}: an answer that is no data counted as data"
        );
    }

    // The fault ends; meanwhile the deployment was scaled. The collector catches up alone.
    scale_payments(&kube, 6);
    kube.fail_requests(None);
    h.until(
        &format!("live again after {fault:?}, with the change"),
        Duration::from_secs(5),
        |f| only(f).health.status == SourceStatus::Live && payments(f) == 6,
    )
    .await;
    assert_eq!(
        only(&h.fleet).health.next_retry,
        None,
        "{fault:?}: live, nothing to retry"
    );
}

/// A server that answers every request with 500 serves no data: stale, not live, its age
/// growing.
#[tokio::test]
async fn http_500_goes_stale_backs_off_and_recovers() {
    fault_case_with(
        Injected::Status(500),
        |s| matches!(s, SourceStatus::Stale(why) if why.contains("HTTP 500")),
        true,
    )
    .await;
}

/// 429 and 503 reach the collector at once (no retries hidden in the client): the probe says
/// the server is unavailable, so the cluster is stale with that reason, not live.
fn retried_by_the_client(s: &SourceStatus) -> bool {
    matches!(s, SourceStatus::Stale(why) if why.contains("API server unavailable: HTTP"))
}

#[tokio::test]
async fn http_503_goes_stale_backs_off_and_recovers() {
    fault_case_with(Injected::Status(503), retried_by_the_client, true).await;
}

#[tokio::test]
async fn http_429_throttling_goes_stale_backs_off_and_recovers() {
    fault_case(Injected::Status(429), retried_by_the_client).await;
}

#[tokio::test]
async fn http_401_says_the_credentials_are_rejected_and_recovers() {
    fault_case(
        Injected::Status(401),
        |s| matches!(s, SourceStatus::Failed(why) if why.contains("credentials rejected")),
    )
    .await;
}

#[tokio::test]
async fn connection_resets_go_stale_back_off_and_recover() {
    fault_case(Injected::Reset, |s| matches!(s, SourceStatus::Stale(_))).await;
}

#[tokio::test]
async fn truncated_answers_degrade_nothing_and_cause_no_hot_loop() {
    // A body cut short. On a list it is an error (degraded); on a watch kube ignores a last line
    // cut short and the stream just ends: before `source::kube::pacing` the watches restarted in
    // a hot loop (37,684 requests in 2 s here). Whether the status shows it depends on which
    // request the cut hit; what matters is the request rate and the recovery.
    // An answer cut short is a failure, not contact: the cluster is stale, its data's age
    // growing (before, any HTTP answer counted as contact and the cluster showed live).
    fault_case_with(
        Injected::Malformed,
        |s| matches!(s, SourceStatus::Stale(why) if why.contains("unreadable")),
        true,
    )
    .await;
}

#[tokio::test]
async fn a_garbled_line_in_a_watch_stream_is_survived() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;
    kube.garble_watches();
    scale_payments(&kube, 4);
    h.until(
        "the change after a garbled line, live",
        Duration::from_secs(5),
        |f| payments(f) == 4 && only(f).health.status == SourceStatus::Live,
    )
    .await;
}

#[tokio::test]
async fn latency_slows_answers_but_nothing_is_lost() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    kube.set_latency(Duration::from_millis(200));
    let mut h = Harness::start(&[("fake-a", &kube)]).await;
    h.until("live despite latency", Duration::from_secs(10), |f| {
        live(f, "fake-a")
    })
    .await;
    kube.end_watches();
    scale_payments(&kube, 2);
    h.until(
        "the change, through slow re-watches",
        Duration::from_secs(5),
        |f| payments(f) == 2 && only(f).health.status == SourceStatus::Live,
    )
    .await;
}

/// A watch that stalls silently: no events, no bookmarks, the connection open and `/version`
/// still answering. Past the bookmark interval plus a margin (`Timings::stall_after`; the fake
/// sends a bookmark every second) the cluster is stale, its age the watch's last data; the
/// watch is replaced, the missed change arrives, and the cluster is live again.
#[tokio::test]
async fn a_watch_that_stalls_is_stale_with_its_age_then_replaced() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let t = timings();
    let mut h = Harness::start_timed(&[("fake-a", &kube)], t.clone()).await;
    h.until("live", Duration::from_secs(5), |f| live(f, "fake-a"))
        .await;
    let stalled_at = jiff::Timestamp::now();
    kube.stall_watches();
    scale_payments(&kube, 5);
    let took = h
        .until(
            "stale: a watch stalled",
            t.stall_after + Duration::from_secs(3),
            |f| matches!(&only(f).health.status, SourceStatus::Stale(why) if why.contains("watch stalled")),
        )
        .await;
    assert!(
        took >= t.stall_after - Duration::from_millis(1100),
        "{took:?}"
    );
    let age_from = only(&h.fleet).health.last_data.expect("had data");
    assert!(
        age_from <= stalled_at,
        "the age is the stalled watch's last data ({age_from}), not the probe's answer"
    );
    h.until(
        "the change after the stalled watch was replaced, live",
        Duration::from_secs(5),
        |f| payments(f) == 5 && only(f).health.status == SourceStatus::Live,
    )
    .await;
}

#[tokio::test]
async fn timestamps_from_the_future_never_make_negative_ages() {
    // Clock skew: the cluster's clock runs a day ahead of ours.
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let now: jiff::Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
    let future = (now + jiff::SignedDuration::from_hours(24)).to_string();
    let mut pod = kube
        .list("v1", "Pod")
        .into_iter()
        .next()
        .expect("a pod in the fixture");
    pod["metadata"]["creationTimestamp"] = json!(future);
    pod["status"]["startTime"] = json!(future);
    kube.apply(pod);
    kube.apply(json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "skewed", "namespace": "payments", "creationTimestamp": future},
        "involvedObject": {"kind": "Pod", "name": "payments-api-6d8f7b9c5d-x7k2p", "namespace": "payments"},
        "reason": "BackOff", "message": "from the future", "type": "Warning",
        "firstTimestamp": future, "lastTimestamp": future, "count": 1
    }));
    let clock = Arc::new(ManualClock::new(now));
    let mut h = Harness::start_with(&[("fake-a", &kube)], &[], clock).await;
    h.until("live", Duration::from_secs(5), |f| live(f, "fake-a"))
        .await;
    let mut state = console_state(&h.fleet, now);
    update(&mut state, Msg::Tick(now));
    let theme = theme("dark");
    let key = WorkloadKey::new("payments", "payments-api");
    for view in [
        View::Overview,
        View::Services,
        View::ServiceDetail(key.clone()),
        View::Release(key),
        View::Alerts,
        View::Timeline,
        View::Capacity,
    ] {
        state.ui.stack = vec![view.clone()];
        let screen = render(&state, &theme, 200, 50);
        assert!(
            !has_negative_age(&screen),
            "{view:?} shows a negative age:\n{screen}"
        );
    }
}

/// Whether `screen` holds an age like `-5s`, `-3m`, `-23h`, `-1d` (a word of its own).
fn has_negative_age(screen: &str) -> bool {
    screen.split_whitespace().any(|w| {
        let w = w.trim_matches(|c: char| "()[],".contains(c));
        w.strip_prefix('-').is_some_and(|rest| {
            rest.len() > 1
                && rest.ends_with(['s', 'm', 'h', 'd'])
                && rest[..rest.len() - 1].chars().all(|c| c.is_ascii_digit())
        })
    })
}

#[test]
fn the_negative_age_check_sees_one() {
    assert!(has_negative_age("pod  x  -5s  Running"));
    assert!(has_negative_age("(-23h)"));
    assert!(!has_negative_age("eu-west-1 2026-11-21 5s -"));
}

/// TLS verification stays on unless a cluster's kubeconfig turns it off; then the cluster
/// carries a warning for as long as it is watched, also while its data is live and fresh.
#[tokio::test]
async fn a_kubeconfig_that_disables_tls_verification_shows_a_permanent_warning() {
    use opsdeck::clock::SystemClock;
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let dir = tempfile::tempdir().unwrap();
    let path = kube.write_kubeconfig(dir.path(), "fake-a");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "    server:",
        "    insecure-skip-tls-verify: true\n    server:",
    );
    std::fs::write(&path, text).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let tasks = opsdeck::source::kube::spawn(
        vec![target(&path, "fake-a", &[])],
        timings(),
        Arc::new(SystemClock),
        tx,
    );
    let mut fleet = FleetState::default();
    fleet.apply(SourceUpdate::Layout(layout()));
    let mut h = Harness {
        rx,
        fleet,
        _tasks: tasks,
        _dir: dir,
    };
    let warned = |f: &FleetState| {
        f.clusters().values().next().is_some_and(|c| {
            c.workloads.len() == 3
                && matches!(&c.health.status, SourceStatus::Degraded(w) if w.contains("TLS verification disabled"))
        })
    };
    h.until(
        "the data, with the TLS warning",
        Duration::from_secs(5),
        warned,
    )
    .await;
    // Changes keep arriving; the warning stays.
    scale_payments(&kube, 7);
    h.until("the change", Duration::from_secs(5), |f| payments(f) == 7)
        .await;
    assert!(warned(&h.fleet), "{:?}", only(&h.fleet).health.status);
    let now = jiff::Timestamp::now();
    let state = console_state(&h.fleet, now);
    let screen = render(&state, &theme("dark"), 200, 50);
    assert!(
        screen.contains("TLS verification disabled"),
        "the warning is not on the overview:\n{screen}"
    );
}
