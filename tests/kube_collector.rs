//! The Kubernetes collector against fake API servers speaking the real protocol over HTTP on
//! 127.0.0.1: initial sync, churn, scaling, rollouts, watch expiry, outages, RBAC, hangs, and
//! the screens fed from fake clusters.

#[path = "support/collect.rs"]
mod collect;
#[path = "support/fake_kube/mod.rs"]
mod fake_kube;
mod support;

use collect::*;

use fake_kube::{FakeKube, RequestKind};
use insta::assert_snapshot;
use opsdeck::app::{Msg, State};
use opsdeck::clock::{ManualClock, SystemClock};
use opsdeck::domain::{
    ClusterId, FleetState, PodPhase, RolloutState, SourceStatus, SourceUpdate, WorkloadKey,
};
use opsdeck::source::kube::spawn;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;
use tokio::sync::mpsc;

fn key(ns: &str, name: &str) -> WorkloadKey {
    WorkloadKey::new(ns, name)
}

const WATCHED: [&str; 6] = [
    "deployments",
    "replicasets",
    "pods",
    "nodes",
    "horizontalpodautoscalers",
    "events",
];

#[tokio::test]
async fn initial_sync_builds_the_domain_state_with_one_list_per_resource() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;
    h.until("server version known", Duration::from_secs(2), |f| {
        !f.clusters()
            .values()
            .next()
            .unwrap()
            .info
            .kubernetes_version
            .is_empty()
    })
    .await;
    let c = h.cluster("fake-a");
    assert_eq!(c.workloads.len(), 3, "{:?}", c.workloads.keys());

    let api = &c.workloads[&key("payments", "payments-api")];
    assert_eq!(api.rollout, RolloutState::Complete);
    assert_eq!(api.template_version, "1.42.0");
    assert_eq!(api.running_version(), "1.42.0");
    assert_eq!((api.desired, api.ready), (2, 2));
    assert_eq!(
        api.history
            .iter()
            .map(|r| r.version.as_str())
            .collect::<Vec<_>>(),
        vec!["1.42.0", "1.41.0"],
        "revision history from the ReplicaSets, newest first"
    );
    assert_eq!(api.rollback_target().unwrap().version, "1.41.0");
    assert!(api.hpa.as_ref().unwrap().at_max());
    assert_eq!(api.team.as_deref(), Some("payments"), "{api:?}");

    let checkout = &c.workloads[&key("storefront", "checkout")];
    assert_eq!(checkout.rollout, RolloutState::Progressing);
    assert_eq!((checkout.updated, checkout.desired), (1, 2));
    let catalog = &c.workloads[&key("storefront", "catalog")];
    assert_eq!(
        catalog.rollout,
        RolloutState::Stuck("ProgressDeadlineExceeded".into())
    );

    assert_eq!(c.pods.len(), 7);
    assert!(
        c.pods
            .values()
            .any(|p| p.is_crashlooping() && p.restarts > 0)
    );
    assert!(
        c.pods
            .values()
            .any(|p| p.phase == PodPhase::Pending && p.node.is_none())
    );
    assert_eq!(c.nodes.len(), 2);
    assert_eq!(c.nodes.values().filter(|n| n.ready).count(), 1);
    assert!(
        c.events
            .iter()
            .all(|e| e.kind == opsdeck::domain::EventKind::Warning)
    );
    assert_eq!(c.events.len(), 2, "only Warning events are watched");

    // Events are watched twice, each narrowly: Warnings, and the actions consoles record.
    let event_lists: Vec<String> = kube
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::List && r.resource == "events")
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(event_lists.len(), 2, "{event_lists:?}");
    assert!(
        event_lists
            .iter()
            .any(|q| q.contains("fieldSelector=type%3DWarning"))
    );
    assert!(
        event_lists
            .iter()
            .any(|q| q.contains("fieldSelector=reportingComponent%3Dopsdeck"))
    );
    for r in WATCHED.iter().filter(|r| **r != "events") {
        assert_eq!(kube.count(RequestKind::List, r), 1, "one LIST of {r}");
        assert!(
            kube.count(RequestKind::Watch, r) >= 1,
            "then a WATCH of {r}"
        );
    }
}

#[tokio::test]
async fn changes_arrive_within_a_second_without_another_list() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;

    // Scaled elsewhere (e.g. kubectl scale).
    let mut d = kube
        .get("apps/v1", "Deployment", Some("payments"), "payments-api")
        .unwrap();
    d["spec"]["replicas"] = json!(5);
    kube.apply(d);
    let took = h
        .until("scale seen", Duration::from_secs(1), |f| {
            only(f).workloads[&key("payments", "payments-api")].desired == 5
        })
        .await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    // The initial sync was a baseline; the scale is on the timeline, in its env and region.
    let changes: Vec<_> = h.fleet.changes.iter().collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].service.as_deref(), Some("payments-api"));
    assert_eq!(changes[0].env.as_deref(), Some(ENV));
    assert!(matches!(
        changes[0].kind,
        opsdeck::domain::ChangeKind::Scale {
            from: 2,
            to: 5,
            by_hpa: false,
            ..
        }
    ));

    // Pod churn: one pod comes, one goes.
    let mut p = kube
        .get(
            "v1",
            "Pod",
            Some("payments"),
            "payments-api-6d8f7b9c5d-x7k2p",
        )
        .unwrap();
    p["metadata"]["name"] = json!("payments-api-6d8f7b9c5d-new01");
    p["metadata"].as_object_mut().unwrap().remove("uid");
    p["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    kube.apply(p);
    kube.delete(
        "v1",
        "Pod",
        Some("payments"),
        "payments-api-6d8f7b9c5d-m4q9t",
    );
    h.until("pod churn seen", Duration::from_secs(1), |f| {
        let pods = &only(f).pods;
        pods.contains_key(&("payments".into(), "payments-api-6d8f7b9c5d-new01".into()))
            && !pods.contains_key(&("payments".into(), "payments-api-6d8f7b9c5d-m4q9t".into()))
    })
    .await;

    // The rollout in progress completes.
    let mut d = kube
        .get("apps/v1", "Deployment", Some("storefront"), "checkout")
        .unwrap();
    d["status"]["updatedReplicas"] = json!(2);
    d["status"]["replicas"] = json!(2);
    d["status"]["availableReplicas"] = json!(2);
    d["status"]["readyReplicas"] = json!(2);
    kube.apply(d);
    h.until("rollout complete", Duration::from_secs(1), |f| {
        only(f).workloads[&key("storefront", "checkout")].rollout == RolloutState::Complete
    })
    .await;

    for r in WATCHED {
        // Events: one LIST per field selector (Warnings, and consoles' actions).
        let lists = if r == "events" { 2 } else { 1 };
        assert_eq!(
            kube.count(RequestKind::List, r),
            lists,
            "no periodic LIST of {r}"
        );
    }
}

#[tokio::test]
async fn expired_watch_relists_without_duplicates_and_drops_what_went_away() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;
    let pods_before = h.cluster("fake-a").pods.len();

    kube.expire_watches();
    kube.delete("v1", "Pod", Some("storefront"), "catalog-84c9f7d6b5-bx4lm");
    h.until("pods relisted", Duration::from_secs(3), |_| {
        kube.count(RequestKind::List, "pods") >= 2
    })
    .await;
    h.until("deleted pod gone", Duration::from_secs(2), |f| {
        only(f).pods.len() == pods_before - 1
    })
    .await;
    // Everything else exactly once, and the cluster never looked broken to the user.
    let c = h.cluster("fake-a");
    assert_eq!(c.workloads.len(), 3);
    assert_eq!(c.nodes.len(), 2);
    assert_eq!(c.health.status, SourceStatus::Live);
}

#[tokio::test]
async fn server_down_goes_stale_keeps_data_and_recovers_by_itself() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;

    kube.go_down().await;
    h.until("stale", Duration::from_secs(3), |f| {
        matches!(only(f).health.status, SourceStatus::Stale(_))
    })
    .await;
    let c = h.cluster("fake-a");
    assert_eq!(c.workloads.len(), 3, "the last data stays on screen");
    assert!(c.health.last_data.is_some(), "with its age");

    // Meanwhile the deployment is scaled; when the server is back the console catches up.
    let mut d = kube
        .get("apps/v1", "Deployment", Some("payments"), "payments-api")
        .unwrap();
    d["spec"]["replicas"] = json!(4);
    kube.apply(d);
    kube.come_back().await;
    h.until("live and fresh again", Duration::from_secs(5), |f| {
        let c = only(f);
        c.health.status == SourceStatus::Live
            && c.workloads[&key("payments", "payments-api")].desired == 4
    })
    .await;
}

#[tokio::test]
async fn a_forbidden_resource_is_named_and_the_rest_is_shown() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    kube.forbid("pods", true);
    let mut h = Harness::start(&[("fake-a", &kube)]).await;
    h.until("degraded", Duration::from_secs(5), |f| {
        matches!(
            f.clusters().values().next().map(|c| &c.health.status),
            Some(SourceStatus::Degraded(_))
        )
    })
    .await;
    let c = h.cluster("fake-a");
    let SourceStatus::Degraded(why) = &c.health.status else {
        unreachable!()
    };
    assert!(
        why.starts_with("pods:") && why.contains("forbidden"),
        "{why}"
    );
    assert_eq!(c.workloads.len(), 3, "deployments still shown");
    assert!(c.pods.is_empty());

    // Permission granted later: the collector picks pods up by itself.
    kube.forbid("pods", false);
    h.until("pods after the grant", Duration::from_secs(5), |f| {
        let c = only(f);
        c.pods.len() == 7 && c.health.status == SourceStatus::Live
    })
    .await;
}

/// A refused resource is retried with a backoff that grows to its cap: kube-runtime's watcher
/// reports `Init` before every relist, and a backoff reset by that never grows. With the tests'
/// 50 ms .. 400 ms backoff (steps 50, 100, 200 ms, then 200..400 ms apart), 4 s of 403s take
/// about 15 LISTs when it grows and at most 21 (every delay at its least), 40+ when it never
/// leaves its first step.
/// After an outage long enough for the retries to back off to a long cap (here 20 s), the
/// cluster and every resource are live again within 5 s of the server answering: the probe's
/// first good answer cuts the retries' waits short, and a resumed watch of a quiet resource is
/// taken as live without waiting for it to change.
#[tokio::test]
async fn recovery_after_a_long_outage_is_fast() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut t = timings();
    t.backoff_min = Duration::from_secs(2);
    t.backoff_max = Duration::from_secs(20);
    let mut h = Harness::start_timed(&[("fake-a", &kube)], t).await;
    h.until("live", Duration::from_secs(5), |f| live(f, "fake-a"))
        .await;
    kube.go_down().await;
    h.until("stale", Duration::from_secs(5), |f| {
        matches!(only(f).health.status, SourceStatus::Stale(_))
    })
    .await;
    // Long enough for several failed retries: their waits reach 8 s and more. Meanwhile the
    // deployment is scaled: live means that change is on screen, not only that /version answers.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let mut d = kube
        .get("apps/v1", "Deployment", Some("payments"), "payments-api")
        .unwrap();
    d["spec"]["replicas"] = json!(4);
    kube.apply(d);
    kube.come_back().await;
    let back = Instant::now();
    h.until("live and fresh again", Duration::from_secs(5), |f| {
        live(f, "fake-a") && only(f).workloads[&key("payments", "payments-api")].desired == 4
    })
    .await;
    assert!(
        back.elapsed() < Duration::from_secs(5),
        "{:?}",
        back.elapsed()
    );
}

#[tokio::test]
async fn a_refused_resource_backs_off_to_its_cap() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    kube.forbid("pods", true);
    let mut h = Harness::start(&[("fake-a", &kube)]).await;
    h.until("degraded", Duration::from_secs(5), |f| {
        matches!(
            f.clusters().values().next().map(|c| &c.health.status),
            Some(SourceStatus::Degraded(_))
        )
    })
    .await;
    let before = kube.count(RequestKind::List, "pods");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let lists = kube.count(RequestKind::List, "pods") - before;
    assert!(
        (3..=21).contains(&lists),
        "{lists} LISTs of a forbidden resource in 4 s (the cap is 400 ms)"
    );
    // Still recovers by itself once allowed, and the other resources were never disturbed.
    kube.forbid("pods", false);
    h.until("pods after the grant", Duration::from_secs(5), |f| {
        only(f).pods.len() == 7
    })
    .await;
    assert_eq!(kube.count(RequestKind::List, "deployments"), 1);
}

/// A cluster restored from a backup behind the same endpoint: its resourceVersions start
/// below ours, so a resumed watch gets 504 ResourceVersionTooLarge (as from a real watch cache).
/// The collector relists, and the restored truth (an object only the backup has, none of what
/// came after it) is on screen within 10 s of the server answering again.
#[tokio::test]
async fn a_cluster_restored_from_a_backup_is_relisted() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::live(&kube).await;
    let named = |name: &str| {
        let mut d = kube
            .get("apps/v1", "Deployment", Some("payments"), "payments-api")
            .unwrap();
        d["metadata"]["name"] = json!(name);
        for k in ["uid", "resourceVersion"] {
            d["metadata"].as_object_mut().unwrap().remove(k);
        }
        d
    };
    let fresh = serde_json::to_string(&named("only-in-the-backup")).unwrap();
    // Life goes on after the backup was taken: many writes, one new deployment.
    kube.apply(named("made-after-the-backup"));
    for n in 0..30 {
        let mut d = kube
            .get("apps/v1", "Deployment", Some("payments"), "payments-api")
            .unwrap();
        d["metadata"]["annotations"]["churn"] = json!(n.to_string());
        kube.apply(d);
    }
    h.until("the later deployment seen", Duration::from_secs(2), |f| {
        only(f)
            .workloads
            .contains_key(&key("payments", "made-after-the-backup"))
    })
    .await;
    let before = kube.resource_version();
    kube.restore_from_backup(&format!("{FIXTURE}\n---\n{fresh}\n"))
        .await;
    assert!(
        kube.resource_version() < before,
        "the restored server is behind us"
    );
    let answered = Instant::now();
    h.until("the restored truth", Duration::from_secs(10), |f| {
        let w = &only(f).workloads;
        w.contains_key(&key("payments", "only-in-the-backup"))
            && !w.contains_key(&key("payments", "made-after-the-backup"))
    })
    .await;
    assert!(answered.elapsed() < Duration::from_secs(10));
    assert!(
        kube.requests().iter().any(|r| r.status == 504),
        "a resumed watch was told 504 ResourceVersionTooLarge"
    );
}

#[tokio::test]
async fn namespaces_limit_what_is_watched() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h =
        Harness::start_with(&[("fake-a", &kube)], &["payments"], Arc::new(SystemClock)).await;
    h.until("cluster live", Duration::from_secs(5), |f| {
        live(f, "fake-a")
    })
    .await;
    let c = h.cluster("fake-a");
    assert_eq!(
        c.workloads.keys().cloned().collect::<Vec<_>>(),
        vec![key("payments", "payments-api")]
    );
    assert!(c.pods.keys().all(|(ns, _)| ns == "payments"));
    assert_eq!(c.nodes.len(), 2, "nodes are cluster-wide");
}

#[tokio::test]
async fn a_hanging_cluster_delays_neither_the_others_nor_the_ui() {
    let servers = [
        FakeKube::start_with_yaml(FIXTURE).await,
        FakeKube::start_with_yaml(FIXTURE).await,
        FakeKube::start_with_yaml(FIXTURE).await,
        FakeKube::start_with_yaml(FIXTURE).await,
    ];
    servers[3].hang(true);
    let names = ["fake-a", "fake-b", "fake-c", "fake-hung"];
    let pairs: Vec<(&str, &FakeKube)> = names.iter().copied().zip(servers.iter()).collect();
    let mut h = Harness::start(&pairs).await;
    let took = h
        .until("three live clusters", Duration::from_secs(5), |f| {
            names[..3].iter().all(|n| live(f, n))
        })
        .await;
    assert!(
        took < Duration::from_secs(2),
        "the hung cluster held others back: {took:?}"
    );
    h.until("hung cluster stale", Duration::from_secs(3), |f| {
        matches!(
            f.clusters()
                .get(&ClusterId::parse(ENV, REGION, "fake-hung").unwrap())
                .map(|c| &c.health.status),
            Some(SourceStatus::Stale(_))
        )
    })
    .await;
}

#[tokio::test]
async fn the_console_stays_responsive_with_a_hanging_cluster() {
    use opsdeck::console::{Executor, LoopOptions, LoopStats, run};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let live_server = FakeKube::start_with_yaml(FIXTURE).await;
    let hung = FakeKube::start_with_yaml(FIXTURE).await;
    hung.hang(true);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = fake_kube::write_kubeconfig(
        dir.path(),
        &[("fake-a", &live_server), ("fake-hung", &hung)],
    );
    let (tx, rx) = mpsc::channel(1024);
    tx.send(Msg::Source(SourceUpdate::Layout(layout())))
        .await
        .unwrap();
    let _tasks = spawn(
        vec![
            target(&kubeconfig, "fake-a", &[]),
            target(&kubeconfig, "fake-hung", &[]),
        ],
        timings(),
        Arc::new(SystemClock),
        tx.clone(),
    );
    let keys = tx.clone();
    drop(tx);
    let driver = async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        keys.send(support::key('2')).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        keys.send(support::key('q')).await.unwrap();
    };
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let mut settings = settings();
    settings.demo = false;
    let state = State::new(
        opsdeck::keymap::Keymap::default(),
        settings,
        jiff::Timestamp::now(),
    );
    let theme = theme("dark");
    let mut exec = Executor::default();
    let mut stats = LoopStats::default();
    let started = Instant::now();
    let (state, ()) = tokio::join!(
        run(
            &mut term,
            state,
            &theme,
            rx,
            &mut exec,
            LoopOptions::default(),
            &mut stats
        ),
        driver
    );
    let state = state.unwrap();
    assert!(state.should_quit);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "quit took {:?}",
        started.elapsed()
    );
    let screen = buffer_text(term.backend().buffer());
    assert!(screen.contains("payments-api"), "{screen}");
    assert!(stats.frames >= 2, "frames: {}", stats.frames);
}

/// The screens as a user sees them, fed from two fake clusters (one with a forbidden resource)
/// on a frozen clock.
#[tokio::test]
async fn screens_from_fake_clusters() {
    let a = FakeKube::start_with_yaml(FIXTURE).await;
    let b = FakeKube::start_with_yaml(FIXTURE).await;
    b.forbid("events", true);
    let now: jiff::Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let mut h = Harness::start_with(&[("fake-a", &a), ("fake-b", &b)], &[], clock).await;
    h.until("both reported", Duration::from_secs(5), |f| {
        live(f, "fake-a")
            && matches!(
                f.clusters()
                    .get(&ClusterId::parse(ENV, REGION, "fake-b").unwrap())
                    .map(|c| &c.health.status),
                Some(SourceStatus::Degraded(_))
            )
            && f.clusters()
                .values()
                .all(|c| !c.info.kubernetes_version.is_empty())
    })
    .await;
    let mut state = console_state(&h.fleet, now);
    let theme = theme("dark");
    assert_snapshot!("kube_overview_80x24", render(&state, &theme, 80, 24));
    assert_snapshot!("kube_overview_200x50", render(&state, &theme, 200, 50));
    keys(&mut state, "2");
    assert_snapshot!("kube_services_80x24", render(&state, &theme, 80, 24));
    assert_snapshot!("kube_services_200x50", render(&state, &theme, 200, 50));
}

/// A ReplicaSet of `owner` (kind, name) at `revision` running `image`, `available` of its pods
/// serving.
fn replicaset(
    kind: &str,
    owner: &str,
    hash: &str,
    revision: u64,
    image: &str,
    available: u32,
) -> serde_json::Value {
    let rev_key = if kind == "Rollout" {
        "rollout.argoproj.io/revision"
    } else {
        "deployment.kubernetes.io/revision"
    };
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": format!("{owner}-{hash}"), "namespace": "payments",
            "creationTimestamp": format!("2026-11-2{revision}T10:00:00Z"),
            "annotations": {rev_key: revision.to_string()},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": owner,
                "uid": format!("{owner}-uid"), "controller": true}]},
        "spec": {"replicas": available, "selector": {"matchLabels": {"app": owner}},
            "template": {"metadata": {"labels": {"app": owner, "pod-template-hash": hash}},
                "spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"replicas": available, "readyReplicas": available,
            "availableReplicas": available}
    })
}

/// `kubectl rollout pause` then `set image` while a rollout was under way: 5 pods run 2.3.1,
/// 1 runs 2.4.0, the template says 2.4.0. What runs is 2.3.1 (×5) and 2.4.0 (×1), 2.4.0 is
/// pending at the gate, and a rollback goes back to 2.3.1 — everywhere the console and
/// `snapshot --format json` say it. An Argo Rollout's canary against its stable, the same.
#[tokio::test]
async fn a_held_release_shows_what_runs_and_what_is_pending() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    kube.enable_argo_rollouts();
    kube.apply(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "ledger", "namespace": "payments", "uid": "ledger-uid",
            "generation": 3, "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"replicas": 6, "paused": true, "selector": {"matchLabels": {"app": "ledger"}},
            "template": {"metadata": {"labels": {"app": "ledger"}},
                "spec": {"containers": [{"name": "app", "image": "ecr/ledger:2.4.0"}]}}},
        "status": {"observedGeneration": 3, "replicas": 6, "updatedReplicas": 1,
            "readyReplicas": 6, "availableReplicas": 6}
    }));
    kube.apply(replicaset(
        "Deployment",
        "ledger",
        "aaa",
        1,
        "ecr/ledger:2.3.1",
        5,
    ));
    kube.apply(replicaset(
        "Deployment",
        "ledger",
        "bbb",
        2,
        "ecr/ledger:2.4.0",
        1,
    ));
    kube.apply(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "quotes", "namespace": "payments",
            "annotations": {"rollout.argoproj.io/revision": "6"}},
        "spec": {"replicas": 4, "template": {"spec": {"containers": [
            {"name": "app", "image": "ecr/quotes:3.1.0"}]}}},
        "status": {"replicas": 4, "readyReplicas": 4, "updatedReplicas": 1,
            "availableReplicas": 4, "phase": "Paused",
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-21T14:00:00Z"}]}
    }));
    kube.apply(replicaset(
        "Rollout",
        "quotes",
        "sss",
        5,
        "ecr/quotes:3.0.0",
        3,
    ));
    kube.apply(replicaset(
        "Rollout",
        "quotes",
        "ccc",
        6,
        "ecr/quotes:3.1.0",
        1,
    ));
    let mut h = Harness::live(&kube).await;
    h.until("the held releases are seen", Duration::from_secs(3), |f| {
        let c = only(f);
        ["ledger", "quotes"].iter().all(|n| {
            c.workloads
                .get(&key("payments", n))
                .is_some_and(|w| w.running.len() == 2)
        })
    })
    .await;
    let c = h.cluster("fake-a");
    let ledger = &c.workloads[&key("payments", "ledger")];
    assert_eq!(ledger.running_label(), "2.4.0 ×1 · 2.3.1 ×5");
    assert_eq!(ledger.running_version(), "2.3.1");
    assert_eq!(ledger.pending_version(), Some("2.4.0"));
    assert_eq!(ledger.gate.as_ref().unwrap().version, "2.4.0");
    let back = ledger.rollback_target().unwrap();
    assert_eq!((back.number, back.version.as_str()), (1, "2.3.1"));
    let quotes = &c.workloads[&key("payments", "quotes")];
    assert_eq!(
        quotes.running_label(),
        "3.1.0 ×1 · 3.0.0 ×3",
        "canary beside stable"
    );
    assert_eq!(quotes.running_version(), "3.0.0");
    assert_eq!(quotes.pending_version(), Some("3.1.0"));

    // The console's rows and the checklist say the same.
    let row = h.fleet.service_row(&key("payments", "ledger")).unwrap();
    assert_eq!(row.instances[0].version, "2.3.1");
    let pipe = h
        .fleet
        .pipeline_rows()
        .iter()
        .find(|r| r.key == key("payments", "ledger"))
        .unwrap();
    assert_eq!(pipe.candidate(0), Some("2.4.0"));
    let checklist = opsdeck::domain::release_checklist(&h.fleet, pipe, 0);
    let rollback = checklist
        .iter()
        .find(|i| i.label.starts_with("Rollback plan"))
        .unwrap();
    assert_eq!(
        rollback.state,
        opsdeck::domain::CheckState::Verified("back to 2.3.1 (running now)".into())
    );

    // snapshot --format json: running versions with counts, pending, revision history.
    let snap = opsdeck::snapshot::build(&h.fleet, "2026-11-23T10:00:00Z".parse().unwrap());
    let json: serde_json::Value = serde_json::from_str(&opsdeck::snapshot::to_json(&snap)).unwrap();
    let inst = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"]["name"] == "ledger")
        .map(|s| s["instances"][0].clone())
        .unwrap();
    assert_eq!(inst["version"], "2.3.1");
    assert_eq!(inst["pending_version"], "2.4.0");
    assert_eq!(
        inst["running"],
        json!([{"version": "2.4.0", "revision": 2, "pods": 1},
               {"version": "2.3.1", "revision": 1, "pods": 5}])
    );
    let revisions: Vec<(u64, String)> = inst["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["number"].as_u64().unwrap(),
                r["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(revisions, [(2, "2.4.0".into()), (1, "2.3.1".into())]);
    assert!(inst["revisions"][0]["created"].is_string());
}

#[tokio::test]
async fn argo_rollouts_are_watched_when_the_crd_exists() {
    let with_argo = FakeKube::start_with_yaml(FIXTURE).await;
    with_argo.enable_argo_rollouts();
    with_argo.apply(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "search", "namespace": "storefront",
            "annotations": {"rollout.argoproj.io/revision": "4"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "app", "image": "ecr/search:3.1.0"}]}}},
        "status": {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 1,
            "availableReplicas": 3, "phase": "Paused",
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-21T14:00:00Z"}]}
    }));
    let without = FakeKube::start_with_yaml(FIXTURE).await;
    let mut h = Harness::start(&[("argo", &with_argo), ("plain", &without)]).await;
    h.until("both live", Duration::from_secs(5), |f| {
        live(f, "argo") && live(f, "plain")
    })
    .await;
    let search = &h.cluster("argo").workloads[&key("storefront", "search")];
    assert_eq!(search.kind, opsdeck::domain::WorkloadKind::Rollout);
    assert_eq!(search.rollout, RolloutState::Paused);
    let gate = search
        .gate
        .as_ref()
        .expect("a paused production Rollout is a gate");
    assert_eq!(gate.version, "3.1.0");
    assert_eq!(with_argo.count(RequestKind::List, "rollouts"), 1);
    // Without the CRD: no error, no request for rollouts, the rest as usual.
    assert_eq!(h.cluster("plain").workloads.len(), 3);
    assert_eq!(without.count(RequestKind::List, "rollouts"), 0);

    // A promotion (pause condition cleared) shows up.
    let mut r = with_argo
        .get(
            "argoproj.io/v1alpha1",
            "Rollout",
            Some("storefront"),
            "search",
        )
        .unwrap();
    r["status"]["pauseConditions"] = json!(null);
    r["status"]["phase"] = json!("Progressing");
    with_argo.apply(r);
    h.until("rollout resumed", Duration::from_secs(1), |f| {
        f.clusters()[&ClusterId::parse(ENV, REGION, "argo").unwrap()].workloads
            [&key("storefront", "search")]
            .rollout
            == RolloutState::Progressing
    })
    .await;
}

#[tokio::test]
async fn large_lists_are_paged_and_arrive_whole() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let template = kube
        .get(
            "v1",
            "Pod",
            Some("payments"),
            "payments-api-6d8f7b9c5d-x7k2p",
        )
        .unwrap();
    for i in 0..1200 {
        let mut p = template.clone();
        p["metadata"]["name"] = json!(format!("payments-api-6d8f7b9c5d-bulk{i:04}"));
        p["metadata"].as_object_mut().unwrap().remove("uid");
        kube.apply(p);
    }
    let h = Harness::live(&kube).await;
    assert_eq!(h.cluster("fake-a").pods.len(), 1207);
    let pages: Vec<_> = kube
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::List && r.resource == "pods")
        .collect();
    assert_eq!(pages.len(), 3, "500 per page: {pages:?}");
    assert_eq!(
        pages
            .iter()
            .filter(|r| r.query.contains("continue="))
            .count(),
        2,
        "one list, continued twice"
    );
}

/// An action sent to a collector uses its connection and the cluster's identity.
#[tokio::test]
async fn actions_go_through_the_collector_with_the_clusters_identity() {
    use opsdeck::actions::{Action, ActionRequest, Target as ActionTarget};
    use opsdeck::source::ActionJob;
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    kube.set_user("lee@example.com");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig =
        fake_kube::write_kubeconfig(dir.path(), &[("prod-a", &kube), ("prod-ro", &kube)]);
    let mut ro = target(&kubeconfig, "prod-ro", &[]);
    ro.model.read_only = true;
    let (tx, mut rx) = mpsc::channel(1024);
    let (_tasks, jobs) = opsdeck::source::kube::spawn_with_actions(
        vec![target(&kubeconfig, "prod-a", &[]), ro],
        timings(),
        Arc::new(SystemClock),
        tx,
    );
    let ask = |cluster: &str| {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = ActionJob {
            request: ActionRequest {
                target: ActionTarget {
                    cluster: ClusterId::parse(ENV, REGION, cluster).unwrap(),
                    workload: key("payments", "billing"),
                    kind: opsdeck::actions::TargetKind::Deployment,
                },
                action: Action::Approve {
                    reason: "canary clean".into(),
                },
                who: "local-user".into(),
                local_user: "local-user".into(),
            },
            production: true,
            mode: opsdeck::actions::JobMode::Perform,
            reply,
        };
        (job, answer)
    };
    // Keep what the collectors send, as another console would see it.
    let fleet = Arc::new(std::sync::Mutex::new(FleetState::default()));
    let sink = fleet.clone();
    tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if let opsdeck::app::Msg::Source(u) = msg {
                sink.lock().unwrap().apply(u);
            }
        }
    });
    // Writes that change something (identity and access reviews are POSTs that change nothing).
    let changes = || {
        kube.requests()
            .iter()
            .filter(|r| r.is_write() && !r.resource.starts_with("self"))
            .count()
    };
    let (job, answer) = ask("prod-ro");
    jobs[&ClusterId::parse(ENV, REGION, "prod-ro").unwrap()]
        .send(job)
        .await
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(result, Err(opsdeck::actions::ActionError::ReadOnly(_))),
        "{result:?}"
    );
    assert_eq!(changes(), 0, "read-only: nothing written");

    let (job, answer) = ask("prod-a");
    jobs[&ClusterId::parse(ENV, REGION, "prod-a").unwrap()]
        .send(job)
        .await
        .unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .unwrap()
        .unwrap()
        .expect("approved");
    assert!(outcome.summary.contains("approved"), "{outcome:?}");
    let d = kube
        .get("apps/v1", "Deployment", Some("payments"), "billing")
        .unwrap();
    let approvals = d["metadata"]["annotations"]["opsdeck.dev/approvals"]
        .as_str()
        .unwrap();
    assert!(
        approvals.contains("lee@example.com"),
        "the cluster's identity: {approvals}"
    );
    assert!(!approvals.contains("local-user"));
    let dry_runs = kube
        .requests()
        .iter()
        .filter(|r| r.is_write() && r.dry_run())
        .count();
    assert!(dry_runs >= 1, "production: a server-side dry run first");

    // The Event the action recorded reaches every console watching the cluster: one that did
    // not act lists it in Activity, with the cluster's identity and the reason.
    let id = ClusterId::parse(ENV, REGION, "prod-a").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    let rows = loop {
        let mut other = opsdeck::app::State::new(
            opsdeck::keymap::Keymap::default(),
            opsdeck::app::Settings {
                read_only: false,
                stale_after_secs: 30,
                demo: false,
                user: "someone-else".into(),
                policies: Default::default(),
            },
            jiff::Timestamp::now(),
        );
        other.fleet = fleet.lock().unwrap().clone();
        let rows: Vec<_> = opsdeck::app::activity::activity_rows(&other)
            .into_iter()
            .filter(|r| r.cluster == id)
            .collect();
        if !rows.is_empty() || std::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "approve");
    assert_eq!(rows[0].who, "lee@example.com");
    assert_eq!(rows[0].reason, "canary clean");
    assert_eq!(rows[0].service, key("payments", "billing"));

    // RBAC asked before offering: a denial is explained and nothing is written.
    kube.forbid("deployments", true);
    let before = changes();
    let (mut job, answer) = ask("prod-a");
    job.mode = opsdeck::actions::JobMode::CheckAccess;
    jobs[&ClusterId::parse(ENV, REGION, "prod-a").unwrap()]
        .send(job)
        .await
        .unwrap();
    let denied = tokio::time::timeout(Duration::from_secs(5), answer)
        .await
        .unwrap()
        .unwrap();
    let Err(opsdeck::actions::ActionError::Forbidden(why)) = denied else {
        panic!("{denied:?}")
    };
    assert!(why.contains("deployments"), "{why}");
    assert_eq!(changes(), before);
}

/// A resource the cluster does not serve (absent from discovery: an API too new for this
/// server, or disabled) is not listed at all — before, its LIST was a 404 retried for ever —
/// and once discovery serves it, it is watched without a restart.
#[tokio::test]
async fn a_resource_the_cluster_does_not_serve_is_not_listed_until_it_is() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    kube.set_served("horizontalpodautoscalers", false);
    let mut h = Harness::start(&[("fake-a", &kube)]).await;
    h.until("live without HPAs", Duration::from_secs(5), |f| {
        live(f, "fake-a")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let hpa_requests = |k: &FakeKube| {
        k.count(RequestKind::List, "horizontalpodautoscalers")
            + k.count(RequestKind::Watch, "horizontalpodautoscalers")
    };
    assert_eq!(hpa_requests(&kube), 0, "{:?}", kube.requests());
    let hpa = |f: &FleetState| {
        only(f).workloads[&key("payments", "payments-api")]
            .hpa
            .is_some()
    };
    assert!(!hpa(&h.fleet));
    // The API is turned on: the next discovery (every 2 s in the tests' timings) finds it.
    kube.set_served("horizontalpodautoscalers", true);
    h.until("the HPA once served", Duration::from_secs(6), |f| {
        hpa(f) && only(f).health.status == SourceStatus::Live
    })
    .await;
    assert_eq!(kube.count(RequestKind::List, "horizontalpodautoscalers"), 1);
}

/// One object our types cannot read (a pod whose `restartCount` is 2^62, beyond the i32 the
/// API declares) blanked every pod of the cluster: the whole LIST failed to decode, again at
/// every retry. Now that object is skipped and named, and the rest is kept; the same in a watch
/// event.
#[tokio::test]
async fn an_object_with_an_out_of_range_number_is_skipped_and_the_rest_kept() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let huge = |kube: &FakeKube, name: &str| {
        let mut pod = kube
            .list("v1", "Pod")
            .into_iter()
            .find(|p| {
                p["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(name))
            })
            .expect("a pod in the fixture");
        pod["status"]["containerStatuses"][0]["restartCount"] = json!(1u64 << 62);
        let named = pod["metadata"]["name"].as_str().unwrap().to_string();
        kube.apply(pod);
        named
    };
    let bad = huge(&kube, "payments-api");
    let mut h = Harness::start(&[("fake-a", &kube)]).await;
    h.until(
        "the other pods, and the odd one named",
        Duration::from_secs(5),
        |f| {
            let Some(c) = f.clusters().values().next() else {
                return false;
            };
            c.pods.len() == 6
                && matches!(&c.health.status, SourceStatus::Degraded(why)
                if why.contains("pods: skipped an object") && why.contains(&bad))
        },
    )
    .await;
    // In a watch event too: that pod is skipped, everything else stays.
    let second = huge(&kube, "checkout");
    h.until(
        "the second odd pod named",
        Duration::from_secs(5),
        |f| matches!(&only(f).health.status, SourceStatus::Degraded(why) if why.contains(&second)),
    )
    .await;
    assert!(only(&h.fleet).pods.len() >= 5, "the rest is kept");
    assert_eq!(kube.count(RequestKind::List, "pods"), 1, "no relist loop");
}

/// ctrl-r reaches a real cluster: every watch lists afresh (one LIST each), and refreshes
/// asked in a burst are served at most once per `min_refresh_gap` (1 s here), the last one
/// when the gap ends rather than dropped. What the relist finds is on screen.
#[tokio::test]
async fn a_refresh_relists_every_watch_at_a_capped_rate() {
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    let (refresh, refreshed) = tokio::sync::watch::channel(0u64);
    let mut h = Harness::start_refreshable(
        &[("fake-a", &kube)],
        &[],
        Arc::new(SystemClock),
        timings(),
        Some(refreshed),
    )
    .await;
    h.until("live", Duration::from_secs(5), |f| live(f, "fake-a"))
        .await;
    let lists = |k: &FakeKube| {
        ["deployments", "replicasets", "pods", "nodes", "events"]
            .map(|r| k.count(RequestKind::List, r))
    };
    assert_eq!(
        lists(&kube),
        [1, 1, 1, 1, 2],
        "events: warnings and opsdeck's own"
    );
    refresh.send_modify(|n| *n += 1);
    h.until("one relist of each", Duration::from_secs(2), |_| {
        lists(&kube) == [2, 2, 2, 2, 4]
    })
    .await;
    // A burst: three more at once. One more relist, at the end of the gap, not three.
    let burst = Instant::now();
    for _ in 0..3 {
        refresh.send_modify(|n| *n += 1);
    }
    h.until("the burst's relist", Duration::from_secs(3), |_| {
        lists(&kube) == [3, 3, 3, 3, 6]
    })
    .await;
    assert!(
        burst.elapsed() >= Duration::from_millis(500),
        "{:?}",
        burst.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(lists(&kube), [3, 3, 3, 3, 6], "the burst was served once");
    h.until("live after the refreshes", Duration::from_secs(2), |f| {
        live(f, "fake-a")
    })
    .await;
}
