//! Release actions against the fake API server: the exact requests of each action, the rollback
//! patch compared with what the real `kubectl rollout undo` sends, conflicts and concurrent
//! approvers, read-only, RBAC, server-side dry run, Argo Rollouts, HPA bounds, checklist, Events.

#[path = "support/fake_kube/mod.rs"]
mod fake_kube;

use fake_kube::{FakeKube, Kubectl, RequestKind, RequestRecord, kubectl_binary};
use opsdeck::actions::{Action, ActionError, ActionRequest, Target};
use opsdeck::domain::{ClusterId, WorkloadKey, WorkloadKind};
use opsdeck::source::kube::actions::{
    PerformContext, can_i, check_access, perform, requests::Checklist, whoami,
};
use serde_json::{Value, json};
use std::time::Duration;

const FIXTURE: &str = include_str!("fixtures/kube/release-actions.yaml");
const APPROVALS: &str = "opsdeck.dev/approvals";
/// Where a gate's approvals go once it opens.
const APPROVALS_PASSED: &str = "opsdeck.dev/approvals-passed";

async fn cluster() -> FakeKube {
    let kube = FakeKube::start().await;
    kube.enable_argo_rollouts();
    kube.apply_yaml(FIXTURE);
    kube
}

fn client(kube: &FakeKube) -> kube::Client {
    kube::Client::try_from(kube::Config::new(kube.url().parse().unwrap())).unwrap()
}

fn ctx() -> PerformContext {
    PerformContext {
        read_only: false,
        dry_run_first: false,
        required_approvals: 2,
        policy: opsdeck::actions::policy::Policy::default_for(false),
        now: "2026-11-23T10:00:00Z".parse().unwrap(),
        max_conflict_retries: 5,
    }
}

fn req(ns: &str, name: &str, kind: WorkloadKind, who: &str, action: Action) -> ActionRequest {
    ActionRequest {
        target: Target {
            cluster: ClusterId::parse("prod", "eu-west-1", "fake").unwrap(),
            workload: WorkloadKey::new(ns, name),
            kind: kind.into(),
        },
        action,
        who: who.into(),
        local_user: String::new(),
    }
}

fn deploy(name: &str, who: &str, action: Action) -> ActionRequest {
    req("payments", name, WorkloadKind::Deployment, who, action)
}

fn approve(reason: &str) -> Action {
    Action::Approve {
        reason: reason.into(),
    }
}

fn rollback(to: Option<u64>) -> Action {
    Action::Rollback {
        to_revision: to,
        reason: "5xx after 1.5.0".into(),
        from_version: None,
    }
}

fn get_deploy(kube: &FakeKube, name: &str) -> Value {
    kube.get("apps/v1", "Deployment", Some("payments"), name)
        .unwrap()
}

fn get_rollout(kube: &FakeKube) -> Value {
    kube.get(
        "argoproj.io/v1alpha1",
        "Rollout",
        Some("storefront"),
        "search",
    )
    .unwrap()
}

/// Writes that reached the server for real (no dry runs), Events excluded.
fn real_writes(kube: &FakeKube) -> Vec<RequestRecord> {
    kube.requests()
        .into_iter()
        .filter(|r| r.is_write() && !r.dry_run() && r.resource != "events")
        .collect()
}

fn shape(records: &[RequestRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            let q = if r.query.is_empty() {
                String::new()
            } else {
                format!("?{}", r.query)
            };
            format!("{} {}{q}", r.method, r.path)
        })
        .collect()
}

/// The approvals of the gate waiting, or of the last one that opened.
fn approvals(obj: &Value) -> Vec<String> {
    let a = &obj["metadata"]["annotations"];
    let text = a[APPROVALS]
        .as_str()
        .or_else(|| a[APPROVALS_PASSED].as_str())
        .unwrap_or("[]");
    let list: Vec<Value> = serde_json::from_str(text).unwrap();
    list.iter()
        .map(|a| a["who"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rollback, compared with kubectl

/// What `kubectl rollout undo deploy/checkout-api [extra]` sends against a fake holding the
/// fixture: its one PATCH (content type, body) and the Deployment after it.
async fn kubectl_undo(extra: &[&str]) -> (String, Value, Value) {
    let kube = cluster().await;
    let dir = tempfile::tempdir().unwrap();
    let k = Kubectl {
        bin: kubectl_binary(),
        kubeconfig: kube.write_kubeconfig(dir.path(), "fake"),
        cache: dir.path().join("cache"),
    };
    kube.clear_requests();
    let mut args = vec!["rollout", "undo", "deploy/checkout-api", "-n", "payments"];
    args.extend(extra);
    k.run(&args).await;
    let patches: Vec<RequestRecord> = kube
        .requests()
        .into_iter()
        .filter(|r| r.kind == RequestKind::Patch)
        .collect();
    assert_eq!(patches.len(), 1, "kubectl sends one PATCH: {patches:#?}");
    (
        patches[0].content_type.clone(),
        patches[0].json(),
        get_deploy(&kube, "checkout-api"),
    )
}

async fn ours_undo(to: Option<u64>) -> (String, Value, Value, String) {
    let kube = cluster().await;
    kube.clear_requests();
    let out = perform(
        &client(&kube),
        &deploy("checkout-api", "lee", rollback(to)),
        &ctx(),
    )
    .await
    .unwrap();
    let writes = real_writes(&kube);
    assert_eq!(writes.len(), 1, "one PATCH: {:#?}", shape(&writes));
    assert_eq!(
        shape(&kube.requests()[..2]),
        [
            "GET /apis/apps/v1/namespaces/payments/deployments/checkout-api",
            "GET /apis/apps/v1/namespaces/payments/replicasets?labelSelector=app.kubernetes.io%2Fname%3Dcheckout-api",
        ]
    );
    (
        writes[0].content_type.clone(),
        writes[0].json(),
        get_deploy(&kube, "checkout-api"),
        format!("{} | {} -> {}", out.summary, out.before, out.after),
    )
}

/// kubectl's patch, with one deliberate difference: opsdeck's own annotations (`opsdeck.dev/…`,
/// here the checklist) stay as the Deployment has them instead of being replaced by the
/// ReplicaSet's stale copy (which may hold an old gate's requester). Returns the patch without
/// them and the opsdeck annotations it carried.
fn without_ours(mut body: Value) -> (Value, Vec<String>) {
    let ann = body[1]["value"].as_object_mut().unwrap();
    let ours: Vec<String> = ann
        .keys()
        .filter(|k| k.starts_with("opsdeck.dev/"))
        .cloned()
        .collect();
    for k in &ours {
        ann.remove(k);
    }
    (body, ours)
}

#[tokio::test]
async fn rollback_patch_equals_kubectl_rollout_undo() {
    let (k_ct, k_body, k_after) = kubectl_undo(&[]).await;
    let (ct, body, after, outcome) = ours_undo(None).await;
    assert_eq!(ct, k_ct);
    assert_eq!(ct, "application/json-patch+json");
    let (theirs, dropped) = without_ours(k_body.clone());
    assert!(dropped.is_empty(), "kubectl keeps none of ours: {k_body}");
    let (body_minus, ours) = without_ours(body.clone());
    assert_eq!(body_minus, theirs, "the JSON patch kubectl sends");
    assert_eq!(ours, ["opsdeck.dev/checklist"], "kept from the Deployment");
    assert_eq!(after["spec"], k_after["spec"]);
    let mut after_ann = after["metadata"]["annotations"].clone();
    after_ann
        .as_object_mut()
        .unwrap()
        .remove("opsdeck.dev/checklist");
    assert_eq!(after_ann, k_after["metadata"]["annotations"]);
    // Revision 3 (1.4.2), not the orphan's 9; kubectl's skipped annotations kept from the
    // Deployment (last-applied), the rest from the ReplicaSet (change-cause).
    assert_eq!(
        body[0]["value"]["spec"]["containers"][0]["image"],
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout-api:1.4.2"
    );
    assert!(
        body[0]["value"]["metadata"]["labels"]
            .get("pod-template-hash")
            .is_none()
    );
    let ann = &body[1]["value"];
    assert_eq!(ann["kubernetes.io/change-cause"], "release 1.4.2");
    assert_eq!(ann["deployment.kubernetes.io/revision"], "4");
    assert!(ann.get("deprecated.deployment.rollback.to").is_none());
    assert!(
        ann["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap()
            .contains("Deployment")
    );
    assert_eq!(
        outcome,
        "rolled back to revision 3 (1.4.2, ReplicaSet checkout-api-6c8d7e9f5b) | 1.5.0 (rev 4) -> 1.4.2 (rev 5)"
    );
}

#[tokio::test]
async fn rollback_to_revision_equals_kubectl() {
    let (k_ct, k_body, _) = kubectl_undo(&["--to-revision=2"]).await;
    let (ct, body, _, outcome) = ours_undo(Some(2)).await;
    assert_eq!((ct, without_ours(body).0), (k_ct, without_ours(k_body).0));
    assert!(outcome.contains("1.3.0"), "{outcome}");
    let kube = cluster().await;
    let err = perform(
        &client(&kube),
        &deploy("checkout-api", "lee", rollback(Some(7))),
        &ctx(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused("unable to find specified revision 7 in history".into())
    );
    assert!(real_writes(&kube).is_empty());
}

/// The held release's pending template as the fixture has it, the stable one its pods run.
const BILLING_PENDING: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/billing:2.1.0";
const BILLING_STABLE: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/billing:2.0.0";

/// Every open-gate annotation is gone and the rejection is recorded with the held version.
fn assert_gate_closed(d: &Value, who: &str, reason: &str) {
    let a = &d["metadata"]["annotations"];
    for k in [
        "opsdeck.dev/gate-requested-by",
        "opsdeck.dev/gate-requested-at",
        "opsdeck.dev/gate-required-approvals",
        APPROVALS,
    ] {
        assert!(a.get(k).is_none(), "{k} left behind: {a}");
    }
    let rej: Value =
        serde_json::from_str(a["opsdeck.dev/gate-rejected"].as_str().unwrap()).unwrap();
    assert_eq!(
        rej,
        json!({"who": who, "at": "2026-11-23T10:00:00Z", "reason": reason, "version": "2.1.0"})
    );
}

/// `kubectl rollout pause` + `set image`, pods still on 2.0.0: a rollback does not refuse. The
/// template goes back to the revision the available pods run, resumed, in one JSON patch behind
/// the resourceVersion, dry-run first; the gate closes, recorded as rolled back.
#[tokio::test]
async fn rollback_of_a_held_deployment_goes_back_to_what_runs_and_resumes() {
    let kube = cluster().await;
    let mut dry = ctx();
    dry.dry_run_first = true;
    kube.clear_requests();
    let out = perform(
        &client(&kube),
        &deploy("billing", "lee", rollback(None)),
        &dry,
    )
    .await
    .unwrap();
    let patches: Vec<(bool, String)> = kube
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Patch)
        .map(|r| (r.dry_run(), r.content_type.clone()))
        .collect();
    let jp = "application/json-patch+json".to_string();
    assert_eq!(patches, [(true, jp.clone()), (false, jp)]);
    let body = real_writes(&kube)[0].json();
    assert_eq!(body[0]["path"], "/metadata/resourceVersion");
    assert_eq!(
        body[3],
        json!({"op": "add", "path": "/spec/paused", "value": false})
    );
    let d = get_deploy(&kube, "billing");
    assert_eq!(d["spec"]["paused"], false);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        BILLING_STABLE
    );
    assert_gate_closed(&d, "lee", "rolled back: 5xx after 1.5.0");
    assert!(out.summary.contains("revision 1 (2.0.0"), "{out:?}");
}

// ---------------------------------------------------------------------------------------------
// Scale, HPA, Events

#[tokio::test]
async fn scale_and_hpa_bounds_send_exact_patches_and_an_event() {
    let kube = cluster().await;
    let c = client(&kube);
    kube.clear_requests();
    let scale = Action::Scale {
        replicas: 6,
        reason: "Black Friday".into(),
        allow: Default::default(),
    };
    let out = perform(&c, &deploy("checkout-api", "lee", scale), &ctx())
        .await
        .unwrap();
    assert_eq!(out.summary, "scaled from 3 to 6 replicas");
    let w = real_writes(&kube);
    assert_eq!(
        shape(&w),
        ["PATCH /apis/apps/v1/namespaces/payments/deployments/checkout-api/scale"]
    );
    assert_eq!(w[0].content_type, "application/merge-patch+json");
    assert_eq!(w[0].json(), json!({"spec": {"replicas": 6}}));
    assert_eq!(get_deploy(&kube, "checkout-api")["spec"]["replicas"], 6);

    let events = kube.list("v1", "Event");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["reason"], "OpsdeckScale");
    assert_eq!(e["involvedObject"]["kind"], "Deployment");
    assert_eq!(e["involvedObject"]["name"], "checkout-api");
    assert_eq!(
        e["involvedObject"]["uid"],
        "7a1b2c3d-0001-4000-8000-000000000001"
    );
    assert_eq!(e["reportingComponent"], "opsdeck");
    assert_eq!(
        e["message"],
        "lee: scaled from 3 to 6 replicas (reason: Black Friday)"
    );

    kube.clear_requests();
    let hpa = Action::ScaleHpa {
        min: 4,
        max: 20,
        reason: String::new(),
        allow: Default::default(),
    };
    let out = perform(&c, &deploy("checkout-api", "lee", hpa), &ctx())
        .await
        .unwrap();
    assert_eq!(
        (out.before.as_str(), out.after.as_str()),
        ("min 2, max 10", "min 4, max 20")
    );
    let w = real_writes(&kube);
    assert_eq!(
        shape(&w),
        ["PATCH /apis/autoscaling/v2/namespaces/payments/horizontalpodautoscalers/checkout-api"]
    );
    assert_eq!(
        w[0].json(),
        json!({"spec": {"minReplicas": 4, "maxReplicas": 20}})
    );
    let bad = Action::ScaleHpa {
        min: 5,
        max: 2,
        reason: String::new(),
        allow: Default::default(),
    };
    assert!(matches!(
        perform(&c, &deploy("checkout-api", "lee", bad), &ctx()).await,
        Err(ActionError::Refused(_))
    ));
    let none = Action::ScaleHpa {
        min: 1,
        max: 2,
        reason: String::new(),
        allow: Default::default(),
    };
    let err = perform(&c, &deploy("billing", "lee", none), &ctx())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused("no HorizontalPodAutoscaler scales Deployment billing".into())
    );
}

// ---------------------------------------------------------------------------------------------
// Gates

#[tokio::test]
async fn approvals_are_recorded_then_the_last_one_resumes() {
    let kube = cluster().await;
    let c = client(&kube);
    for (who, want) in [
        (
            "deploy-bot",
            "deploy-bot requested this rollout and cannot approve it",
        ),
        ("lee", ""),
        ("lee", "lee already approved it"),
    ] {
        let r = perform(&c, &deploy("billing", who, approve("ok")), &ctx()).await;
        if want.is_empty() {
            let out = r.unwrap();
            assert_eq!(out.summary, "approved 1/2: waiting for 1 more");
            assert_eq!(out.before, "2.1.0 (rev 2) held: 0/2 approvals");
        } else {
            assert_eq!(r.unwrap_err(), ActionError::Refused(want.into()));
        }
    }
    let rv = get_deploy(&kube, "billing")["metadata"]["resourceVersion"].clone();
    kube.clear_requests();
    let out = perform(&c, &deploy("billing", "maria", approve("lgtm")), &ctx())
        .await
        .unwrap();
    assert_eq!(out.summary, "approved 2/2: rollout resumed");
    let w = real_writes(&kube);
    assert_eq!(
        shape(&w),
        ["PATCH /apis/apps/v1/namespaces/payments/deployments/billing"]
    );
    assert_eq!(w[0].content_type, "application/merge-patch+json");
    assert_eq!(
        w[0].json(),
        json!({
            "metadata": {"resourceVersion": rv, "annotations": {APPROVALS: null, APPROVALS_PASSED:
                r#"[{"who":"lee","at":"2026-11-23T10:00:00Z","reason":"ok"},{"who":"maria","at":"2026-11-23T10:00:00Z","reason":"lgtm"}]"#,
                // The gate is closed: the next one names its own requester.
                "opsdeck.dev/gate-requested-by": null,
                "opsdeck.dev/gate-requested-at": null,
                "opsdeck.dev/gate-required-approvals": null}},
            "spec": {"paused": null}
        })
    );
    let d = get_deploy(&kube, "billing");
    assert!(d["spec"].get("paused").is_none());
    assert_eq!(approvals(&d), ["lee", "maria"]);
    assert!(
        d["metadata"]["annotations"].get(APPROVALS).is_none(),
        "the next gate starts with no approvals"
    );
    assert_eq!(
        perform(&c, &deploy("billing", "sam", approve("")), &ctx()).await,
        Err(ActionError::Refused(
            "billing is not waiting at a gate (not paused)".into()
        ))
    );
}

/// A rejected gate ends in a clean, stable state: the template back to what the available pods
/// run (nothing new rolls out), resumed, the gate's record gone and the rejection recorded; a
/// later push opens a new gate that owes nothing to the old one.
#[tokio::test]
async fn reject_goes_back_to_what_runs_resumes_and_closes_the_gate() {
    let kube = cluster().await;
    let r = deploy(
        "billing",
        "sam",
        Action::Reject {
            reason: "alarms firing".into(),
        },
    );
    let out = perform(&client(&kube), &r, &ctx()).await.unwrap();
    assert_eq!(
        out.summary,
        "rejected 2.1.0: back to 2.0.0 (rev 1 as 3), resumed"
    );
    assert_eq!(real_writes(&kube).len(), 1, "one patch");
    let d = get_deploy(&kube, "billing");
    assert_eq!(d["spec"]["paused"], false);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        BILLING_STABLE
    );
    assert_gate_closed(&d, "sam", "alarms firing");
    // Nothing is held any more: approve and reject both say so.
    let again = perform(&client(&kube), &r, &ctx()).await.unwrap_err();
    assert!(
        matches!(again, ActionError::Refused(ref m) if m.contains("not waiting at a gate")),
        "{again:?}"
    );

    // The next push (paused, new image, new requester) is a new gate with no approvals.
    let mut next = d.clone();
    next["spec"]["paused"] = json!(true);
    next["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!(BILLING_PENDING.replace("2.1.0", "2.1.1"));
    next["metadata"]["annotations"]["opsdeck.dev/gate-requested-by"] = json!("release-bot");
    kube.apply(next);
    let approved = perform(
        &client(&kube),
        &deploy("billing", "ana", approve("ok")),
        &ctx(),
    )
    .await
    .unwrap();
    assert_eq!(
        approved.summary, "approved 1/2: waiting for 1 more",
        "no approval carried over"
    );
}

#[tokio::test]
async fn a_409_is_retried_on_the_fresh_object() {
    let kube = cluster().await;
    let c = client(&kube);
    kube.inject_conflicts("deployments", 2);
    kube.clear_requests();
    let out = perform(&c, &deploy("billing", "lee", approve("ok")), &ctx())
        .await
        .unwrap();
    assert_eq!(out.summary, "approved 1/2: waiting for 1 more");
    let patches: Vec<u16> = kube
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Patch)
        .map(|r| r.status)
        .collect();
    assert_eq!(patches, [409, 409, 200]);
    assert_eq!(
        kube.count(RequestKind::Get, "deployments"),
        3,
        "re-read each time"
    );
    assert_eq!(approvals(&get_deploy(&kube, "billing")), ["lee"]);

    // Retries are bounded.
    kube.inject_conflicts("deployments", 10);
    let mut c2 = ctx();
    c2.max_conflict_retries = 1;
    let err = perform(&c, &deploy("billing", "maria", approve("ok")), &c2)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Conflict(_)), "{err:?}");
    assert_eq!(approvals(&get_deploy(&kube, "billing")), ["lee"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_approvers_both_land_and_exactly_one_resumes() {
    let kube = cluster().await;
    // Both consoles' GETs are in flight together, so their PATCHes race on one resourceVersion.
    kube.set_latency(Duration::from_millis(2));
    let gate = get_deploy(&kube, "billing");
    let (lee, maria) = (client(&kube), client(&kube));
    let mut conflicts = 0;
    for round in 0..50 {
        kube.apply(gate.clone());
        kube.clear_requests();
        let (ra, rb, cx) = (
            deploy("billing", "lee", approve("a")),
            deploy("billing", "maria", approve("b")),
            ctx(),
        );
        let (a, b) = tokio::join!(perform(&lee, &ra, &cx), perform(&maria, &rb, &cx));
        let (a, b) = (a.unwrap(), b.unwrap());
        let resumed = [&a, &b]
            .iter()
            .filter(|o| o.summary.ends_with("rollout resumed"))
            .count();
        assert_eq!(resumed, 1, "round {round}: {a:?} {b:?}");
        let unpausing = real_writes(&kube)
            .iter()
            .filter(|r| r.status == 200 && r.json()["spec"].get("paused") == Some(&Value::Null))
            .count();
        assert_eq!(unpausing, 1, "round {round}: one resume reached the server");
        let d = get_deploy(&kube, "billing");
        let mut who = approvals(&d);
        who.sort();
        assert_eq!(who, ["lee", "maria"], "round {round}: both approvals kept");
        assert!(d["spec"].get("paused").is_none());
        conflicts += kube.requests().iter().filter(|r| r.status == 409).count();
    }
    assert!(conflicts > 0, "the approvers never raced");
}

/// A thousand races: a thousand gates, each approved by two consoles at the same instant, all
/// at once against one API server. Every approval is kept and every gate resumes exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_approval_races_lose_nothing_and_resume_each_gate_once() {
    use futures::stream::{self, StreamExt};
    const GATES: usize = 1000;
    let kube = cluster().await;
    let template = get_deploy(&kube, "billing");
    let name = |i: usize| format!("billing-{i}");
    for i in 0..GATES {
        let mut gate = template.clone();
        gate["metadata"]["name"] = json!(name(i));
        gate["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("resourceVersion");
        kube.apply(gate);
    }
    kube.clear_requests();
    let (lee, maria) = (client(&kube), client(&kube));
    let cx = ctx();
    let results: Vec<(usize, String, String)> = stream::iter(0..GATES)
        .map(|i| {
            let (lee, maria, cx) = (lee.clone(), maria.clone(), cx.clone());
            async move {
                let (ra, rb) = (
                    deploy(&name(i), "lee", approve("a")),
                    deploy(&name(i), "maria", approve("b")),
                );
                let (a, b) = tokio::join!(perform(&lee, &ra, &cx), perform(&maria, &rb, &cx));
                let (a, b) = (a.unwrap(), b.unwrap());
                (i, a.summary, b.summary)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    assert_eq!(results.len(), GATES);
    let requests = kube.requests();
    let conflicts = requests.iter().filter(|r| r.status == 409).count();
    for (i, a, b) in results {
        let resumed = [&a, &b]
            .iter()
            .filter(|s| s.ends_with("rollout resumed"))
            .count();
        assert_eq!(resumed, 1, "gate {i}: {a:?} / {b:?}");
        let d = get_deploy(&kube, &name(i));
        let mut who = approvals(&d);
        who.sort();
        assert_eq!(who, ["lee", "maria"], "gate {i}: an approval was lost");
        assert!(d["spec"].get("paused").is_none(), "gate {i} did not resume");
        let path = format!("/deployments/{}", name(i));
        let unpausing = requests
            .iter()
            .filter(|r| {
                r.is_write()
                    && !r.dry_run()
                    && r.status == 200
                    && r.path.ends_with(&path)
                    && r.json()["spec"].get("paused") == Some(&Value::Null)
            })
            .count();
        assert_eq!(
            unpausing, 1,
            "gate {i}: {unpausing} resumes reached the server"
        );
    }
    assert!(conflicts > 0, "the approvers never raced");
    eprintln!("{GATES} races, {conflicts} conflicts retried");
}

#[tokio::test]
async fn argo_rollout_promote_and_abort() {
    let kube = cluster().await;
    let c = client(&kube);
    let original = get_rollout(&kube);
    let search =
        |who: &str, action: Action| req("storefront", "search", WorkloadKind::Rollout, who, action);
    let mut one = ctx();
    one.required_approvals = 1;
    kube.clear_requests();
    let out = perform(&c, &search("lee", approve("canary ok")), &one)
        .await
        .unwrap();
    assert_eq!(out.summary, "approved 1/1: rollout promoted");
    let w = real_writes(&kube);
    let base = "/apis/argoproj.io/v1alpha1/namespaces/storefront/rollouts/search";
    assert_eq!(
        shape(&w),
        [
            format!("PATCH {base}"),
            format!("PATCH {base}/status"),
            format!("PATCH {base}")
        ]
    );
    assert_eq!(w[1].json(), json!({"status": {"pauseConditions": null}}));
    assert_eq!(w[2].json(), json!({"spec": {"paused": false}}));
    let after = get_rollout(&kube);
    assert!(after["status"].get("pauseConditions").is_none());
    assert_eq!(after["spec"]["paused"], false);
    assert_eq!(approvals(&after), ["lee"]);

    // Reject aborts; so does a rollback while the update is in progress.
    for action in [
        Action::Reject {
            reason: "latency".into(),
        },
        rollback(None),
    ] {
        kube.apply(original.clone());
        kube.clear_requests();
        perform(&c, &search("sam", action), &one).await.unwrap();
        let w = real_writes(&kube);
        let last = w.last().unwrap();
        assert_eq!(last.path, format!("{base}/status"));
        assert_eq!(last.json(), json!({"status": {"abort": true}}));
        assert_eq!(get_rollout(&kube)["status"]["abort"], true);
    }
}

#[tokio::test]
async fn argo_rollout_undo_restores_the_previous_template() {
    let kube = cluster().await;
    let mut ro = get_rollout(&kube);
    // Settled: no pause, the current ReplicaSet is the stable one.
    ro["spec"]["paused"] = json!(false);
    ro["status"] =
        json!({"phase": "Healthy", "currentPodHash": "9a8b7c6d5e", "stableRS": "9a8b7c6d5e"});
    kube.apply(ro);
    kube.clear_requests();
    let r = req(
        "storefront",
        "search",
        WorkloadKind::Rollout,
        "lee",
        rollback(None),
    );
    let out = perform(&client(&kube), &r, &ctx()).await.unwrap();
    assert!(out.summary.contains("revision 5 (3.1.0"), "{}", out.summary);
    let w = real_writes(&kube);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].content_type, "application/json-patch+json");
    let body = w[0].json();
    assert_eq!(body[0]["path"], "/spec/template");
    assert!(
        body[0]["value"]["metadata"]["labels"]
            .get("rollouts-pod-template-hash")
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------
// Checklist

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ticks_of_two_items_are_both_kept() {
    let kube = cluster().await;
    kube.set_latency(Duration::from_millis(2));
    let tick = |item: &str, who: &str| {
        deploy(
            "checkout-api",
            who,
            Action::TickChecklist {
                item: item.into(),
                version: "1.5.0".into(),
                reason: String::new(),
            },
        )
    };
    let (a, b) = (client(&kube), client(&kube));
    let (ta, tb, cx) = (tick("runbook", "lee"), tick("tests", "maria"), ctx());
    let (x, y) = tokio::join!(perform(&a, &ta, &cx), perform(&b, &tb, &cx));
    x.unwrap();
    y.unwrap();
    let ann: std::collections::BTreeMap<String, String> = serde_json::from_value(
        get_deploy(&kube, "checkout-api")["metadata"]["annotations"].clone(),
    )
    .unwrap();
    let list = Checklist::parse(&ann);
    assert_eq!(list.version, "1.5.0");
    assert_eq!(list.items["runbook"].who, "lee");
    assert_eq!(list.items["tests"].who, "maria");
    let again = perform(&a, &tick("runbook", "sam"), &ctx()).await;
    assert!(matches!(again, Err(ActionError::Refused(m)) if m.contains("already ticked")));
    // Every tick carried the resourceVersion it was based on.
    assert!(
        real_writes(&kube)
            .iter()
            .all(|r| r.json()["metadata"]["resourceVersion"].is_string())
    );
}

// ---------------------------------------------------------------------------------------------
// Safety: read-only, RBAC, dry run, identity

#[tokio::test]
async fn read_only_sends_nothing_at_all() {
    let kube = cluster().await;
    let c = client(&kube);
    kube.clear_requests();
    let mut ro = ctx();
    ro.read_only = true;
    for action in [
        approve("x"),
        rollback(None),
        Action::Scale {
            replicas: 1,
            reason: String::new(),
            allow: Default::default(),
        },
    ] {
        let err = perform(&c, &deploy("billing", "lee", action), &ro)
            .await
            .unwrap_err();
        assert!(matches!(err, ActionError::ReadOnly(_)), "{err:?}");
    }
    let writes = kube.requests().iter().filter(|r| r.is_write()).count();
    assert_eq!(writes, 0);
    assert!(kube.requests().is_empty(), "not even a GET");
}

#[tokio::test]
async fn rbac_denial_is_explained_and_nothing_is_written() {
    let kube = cluster().await;
    kube.set_user("lee@example.com");
    kube.forbid("deployments/scale", true);
    let c = client(&kube);
    let d = can_i(&c, "patch", "apps", "deployments", "scale", "payments")
        .await
        .unwrap();
    assert!(!d.allowed);
    assert_eq!(
        d.reason,
        "deployments/scale is forbidden on the fake API server"
    );
    assert!(
        can_i(&c, "patch", "apps", "deployments", "", "payments")
            .await
            .unwrap()
            .allowed
    );
    let scale = Action::Scale {
        replicas: 9,
        reason: String::new(),
        allow: Default::default(),
    };
    kube.clear_requests();
    let err = check_access(&c, &scale, WorkloadKind::Deployment, "payments")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ActionError::Forbidden(
            "scale needs to patch deployments/scale (apps) in namespace payments, which is \
             denied: deployments/scale is forbidden on the fake API server"
                .into()
        )
    );
    assert!(
        kube.requests()
            .iter()
            .all(|r| r.resource == "selfsubjectaccessreviews")
    );
    // Sent anyway, the API's own 403 message comes back.
    let err = perform(&c, &deploy("checkout-api", "lee", scale), &ctx())
        .await
        .unwrap_err();
    let ActionError::Forbidden(msg) = err else {
        panic!("{err:?}")
    };
    assert!(
        msg.contains("User \"lee@example.com\" cannot patch resource \"deployments/scale\""),
        "{msg}"
    );
    assert_eq!(get_deploy(&kube, "checkout-api")["spec"]["replicas"], 3);
    assert_eq!(whoami(&c).await.unwrap(), "lee@example.com");
}

#[tokio::test]
async fn dry_run_goes_first_and_a_failing_one_stops_everything() {
    let kube = cluster().await;
    let c = client(&kube);
    let mut dry = ctx();
    dry.dry_run_first = true;
    kube.clear_requests();
    perform(&c, &deploy("billing", "lee", approve("ok")), &dry)
        .await
        .unwrap();
    let patches: Vec<(bool, u16)> = kube
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Patch)
        .map(|r| (r.dry_run(), r.status))
        .collect();
    assert_eq!(patches, [(true, 200), (false, 200)]);
    assert_eq!(approvals(&get_deploy(&kube, "billing")), ["lee"]);

    // A dry run that fails: nothing real follows, nothing stored.
    kube.forbid("deployments/scale", true);
    let rv = kube.resource_version();
    kube.clear_requests();
    let scale = Action::Scale {
        replicas: 9,
        reason: String::new(),
        allow: Default::default(),
    };
    let err = perform(&c, &deploy("checkout-api", "lee", scale), &dry)
        .await
        .unwrap_err();
    assert!(matches!(err, ActionError::Forbidden(_)), "{err:?}");
    let writes: Vec<bool> = kube
        .requests()
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.dry_run())
        .collect();
    assert_eq!(writes, [true], "only the dry run was sent");
    assert_eq!(kube.resource_version(), rv);
}

/// The scaling guards are re-checked by the executor on the object's latest state, with the
/// environment's policy: a refusal sends no write at all.
#[tokio::test]
async fn the_executor_re_checks_the_scaling_guards_on_the_latest_state() {
    use opsdeck::actions::policy::{Overrides, Policy};
    let kube = cluster().await;
    let c = client(&kube);
    let mut prod = ctx();
    prod.policy = Policy::default_for(true);
    let scale = |replicas, allow| Action::Scale {
        replicas,
        reason: "r".into(),
        allow,
    };
    let none = Overrides::default();
    kube.clear_requests();
    // checkout-api: 3 replicas, HPA 2..10.
    for (replicas, want) in [
        (0, "--allow-scale-to-zero"),
        (16, "between 2 and 10"),
        (1, "between 2 and 10"),
    ] {
        let err = perform(
            &c,
            &deploy("checkout-api", "lee", scale(replicas, none)),
            &prod,
        )
        .await
        .unwrap_err();
        let ActionError::Refused(why) = &err else {
            panic!("{replicas}: {err:?}")
        };
        assert!(why.contains(want), "{replicas}: {why}");
    }
    assert!(real_writes(&kube).is_empty(), "nothing written");
    assert_eq!(get_deploy(&kube, "checkout-api")["spec"]["replicas"], 3);
    // The HPA changed on the server since the console looked: its bounds now are what count.
    let mut hpa = kube
        .get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            Some("payments"),
            "checkout-api",
        )
        .unwrap();
    hpa["spec"]["maxReplicas"] = json!(4);
    kube.apply(hpa);
    let err = perform(&c, &deploy("checkout-api", "lee", scale(6, none)), &prod)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("between 2 and 4"), "{err}");
    // HPA bounds: more than 5× the current max is refused too.
    let bounds = Action::ScaleHpa {
        min: 2,
        max: 21,
        reason: "r".into(),
        allow: none,
    };
    let err = perform(&c, &deploy("checkout-api", "lee", bounds), &prod)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HPA max 4 → 21"), "{err}");
    // Without an HPA, more than 5× the replicas is the limit.
    kube.delete(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        Some("payments"),
        "checkout-api",
    );
    let err = perform(&c, &deploy("checkout-api", "lee", scale(16, none)), &prod)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--allow-large-scale"), "{err}");
    assert!(real_writes(&kube).is_empty(), "nothing written");
    // The acknowledgement lets the one limit it names go.
    let allow = Overrides {
        scale_to_zero: true,
        large_scale: false,
    };
    let out = perform(&c, &deploy("checkout-api", "lee", scale(0, allow)), &prod)
        .await
        .unwrap();
    assert_eq!(out.summary, "scaled from 3 to 0 replicas");
}

/// Part of a rollback of every prod region: a cluster whose template moved on since the plan
/// (here 1.5.0, not 1.4.9) is left alone by the executor, with the reason; nothing is written.
#[tokio::test]
async fn a_production_wide_rollback_leaves_a_cluster_that_moved_on_alone() {
    let kube = cluster().await;
    let stale = Action::Rollback {
        to_revision: None,
        reason: "5xx".into(),
        from_version: Some("1.4.9".into()),
    };
    kube.clear_requests();
    let err = perform(
        &client(&kube),
        &deploy("checkout-api", "lee", stale),
        &ctx(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err,
        ActionError::Refused("left alone: it runs 1.5.0 now, not 1.4.9".into())
    );
    assert!(real_writes(&kube).is_empty());
    let current = Action::Rollback {
        to_revision: None,
        reason: "5xx".into(),
        from_version: Some("1.5.0".into()),
    };
    let out = perform(
        &client(&kube),
        &deploy("checkout-api", "lee", current),
        &ctx(),
    )
    .await
    .unwrap();
    assert!(out.summary.contains("1.4.2"), "{out:?}");
}
