//! An EKS cluster reached natively: DescribeCluster (moto, behind the test front) names the API
//! endpoint (a fake API server here), and every request carries a bearer token made in-process
//! from the account's credentials; no kubeconfig, no `aws` binary.

#[path = "support/aws/mod.rs"]
mod aws;
#[path = "support/fake_kube/mod.rs"]
mod fake_kube;

use aws::Account;
use base64::Engine;
use fake_kube::FakeKube;
use opsdeck::clock::{Clock, SystemClock};
use opsdeck::domain::{ClusterId, SourceStatus};
use opsdeck::source::kube::connect::Endpoint;
use opsdeck::source::kube::{Timings, settle, targets};
use std::sync::Arc;
use std::time::Duration;

const FIXTURE: &str = include_str!("fixtures/kube/small-cluster.yaml");

fn config(front: &str) -> opsdeck::config::Config {
    let text = format!(
        r#"
regions = ["eu-west-1"]
[aws.endpoint_urls]
eks = "{front}"
sts = "{front}"
[[environments]]
name = "prod"
production = true
[[environments.clusters]]
name = "prod-euw1"
region = "eu-west-1"
eks_cluster = "prod-euw1"
[[environments.clusters]]
name = "prod-kubectl"
region = "eu-west-1"
eks_cluster = "prod-euw1"
context = "prod"
"#
    );
    opsdeck::config::parse(&text, "opsdeck.toml").unwrap()
}

fn timings() -> Timings {
    Timings {
        connect_timeout: Duration::from_millis(500),
        probe_every: Duration::from_millis(200),
        probe_timeout: Duration::from_millis(500),
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
        batch_every: Duration::from_millis(50),
        ..Timings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eks_cluster_is_watched_with_an_in_process_token() {
    let acct = Account::new("100000000021");
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    let kube = FakeKube::start_with_yaml(FIXTURE).await;
    acct.set_eks_endpoint("prod-euw1", &kube.url(), "");
    let front = aws::moto().url.clone();
    let config = config(&front);

    // Only the cluster without a kubeconfig context is connected natively.
    let mut targets = targets(&config);
    assert!(matches!(targets[1].endpoint, Endpoint::Kubeconfig { .. }));
    targets.truncate(1);
    let Endpoint::Eks(eks) = &mut targets[0].endpoint else {
        panic!("an eks_cluster without a context connects natively");
    };
    assert_eq!(eks.eks_cluster, "prod-euw1");
    assert_eq!(eks.scope.region, "eu-west-1");
    eks.settings.auth = acct.options().clients.auth;

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let layout = opsdeck::console::configured_layout(&config);
    let fleet = settle(layout, targets, timings(), clock, Duration::from_secs(10)).await;
    let id = ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap();
    let cluster = &fleet.clusters()[&id];
    assert_eq!(
        cluster.health.status,
        SourceStatus::Live,
        "{:?}",
        cluster.health
    );
    assert!(!cluster.workloads.is_empty(), "the fixture's deployments");
    assert_eq!(acct.count("DescribeCluster"), 1);

    // Every request carried the EKS token: base64url of a presigned STS GetCallerIdentity URL
    // signed for this cluster with the account's key.
    let requests = kube.requests();
    assert!(!requests.is_empty());
    let token = requests[0].authorization.clone();
    for r in &requests {
        assert!(
            r.authorization.starts_with("Bearer k8s-aws-v1."),
            "{} {} sent {:?}",
            r.method,
            r.path,
            r.authorization
        );
    }
    // Every request says it is opsdeck: to the cluster (User-Agent) and to EKS (the SDK's
    // x-amz-user-agent carries `app/opsdeck-<version>`).
    let ua = format!("opsdeck/{}", env!("CARGO_PKG_VERSION"));
    for r in &requests {
        assert_eq!(r.user_agent, ua, "{} {}", r.method, r.path);
    }
    assert_opsdeck_agents(&acct, "DescribeCluster");
    let body = token.strip_prefix("Bearer k8s-aws-v1.").unwrap();
    let url = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .unwrap(),
    )
    .unwrap();
    let expected = format!("{front}/?Action=GetCallerIdentity&Version=2011-06-15&");
    assert!(url.starts_with(&expected), "{url}");
    assert!(url.contains(&format!("X-Amz-Credential={}%2F", acct.access_key)));
    assert!(url.contains("%2Feu-west-1%2Fsts%2Faws4_request"));
    assert!(url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"));
    assert!(url.contains("X-Amz-Expires=60"));

    // The API server's authenticator would GET that URL with the cluster header: STS answers.
    let path = url.strip_prefix(&front).unwrap();
    let (status, answer) = aws::http("GET", path, &[("x-k8s-aws-id", "prod-euw1".into())], "");
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("GetCallerIdentityResult"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_describe_cluster_names_the_cluster_and_the_reason() {
    let acct = Account::new("100000000022");
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    acct.fail("DescribeCluster", "AccessDenied", 100);
    let config = config(&aws::moto().url);
    let mut targets = targets(&config);
    targets.truncate(1);
    let Endpoint::Eks(eks) = &mut targets[0].endpoint else {
        panic!("native");
    };
    eks.settings.auth = acct.options().clients.auth;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let layout = opsdeck::console::configured_layout(&config);
    let fleet = settle(layout, targets, timings(), clock, Duration::from_secs(10)).await;
    let cluster = &fleet.clusters()[&ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap()];
    let SourceStatus::Failed(why) = &cluster.health.status else {
        panic!("{:?}", cluster.health);
    };
    assert!(
        why.contains("EKS cluster prod-euw1") && why.contains("access denied"),
        "{why}"
    );
}

/// The executor's answer to one nodegroup action, through moto.
/// Every `operation` request this account received named opsdeck and its version.
fn assert_opsdeck_agents(acct: &Account, operation: &str) {
    let agents = acct.user_agents();
    let seen = agents.get(operation).cloned().unwrap_or_default();
    assert!(!seen.is_empty(), "no {operation} arrived: {agents:?}");
    let app = format!("app/opsdeck-{}", env!("CARGO_PKG_VERSION"));
    for agent in &seen {
        assert!(agent.contains(&app), "{operation} arrived as {agent:?}");
    }
}

async fn scale_nodegroup(
    exec: &mut opsdeck::console::Executor,
    rx: &mut tokio::sync::mpsc::Receiver<opsdeck::app::Msg>,
    sizes: (u32, u32, u32),
) -> Result<opsdeck::actions::Outcome, opsdeck::actions::ActionError> {
    use opsdeck::actions::{Action, ActionRequest, Target};
    let request = ActionRequest {
        target: Target::nodegroup(
            ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
            "general",
        ),
        action: Action::ScaleNodegroup {
            min: sizes.0,
            desired: sizes.1,
            max: sizes.2,
            reason: "peak traffic".into(),
            allow: Default::default(),
        },
        who: "lee".into(),
        local_user: String::new(),
    };
    exec.run(opsdeck::app::Effect::Perform(vec![opsdeck::app::Perform {
        request,
        before: "2/3/6".into(),
        production: true,
    }]));
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(opsdeck::app::Msg::ActionDone { result, .. })) => result,
        other => panic!("no ActionDone within 10 s: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodegroup_is_scaled_through_eks_after_the_audit_entry() {
    use opsdeck::actions::ActionError;
    use opsdeck::actions::audit::{AuditLog, Phase};
    let acct = Account::new("100000000023");
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    acct.create_nodegroup(
        "eu-west-1",
        "prod-euw1",
        "general",
        (2, 3, 6),
        &["m6i.large"],
    );
    let config = config(&aws::moto().url);
    let mut eks = opsdeck::source::aws::clients::EksEndpoint::all(&config);
    assert_eq!(eks.len(), 2, "both clusters name an eks_cluster");
    for e in eks.values_mut() {
        e.settings.auth = acct.options().clients.auth;
    }
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let mut exec = opsdeck::console::Executor {
        eks,
        reply: Some(tx),
        audit: Some(Arc::new(AuditLog::new(&audit_path))),
        read_only: true,
        ..Default::default()
    };
    let update_path = "POST /clusters/prod-euw1/node-groups/general/update-config";

    // Read-only: refused in the executor; nothing reaches EKS.
    let refused = scale_nodegroup(&mut exec, &mut rx, (2, 5, 8)).await;
    assert!(
        matches!(refused, Err(ActionError::ReadOnly(_))),
        "{refused:?}"
    );
    assert_eq!(acct.count(update_path), 0);
    assert_eq!(acct.count("DescribeNodegroup"), 0);

    exec.read_only = false;
    let outcome = scale_nodegroup(&mut exec, &mut rx, (2, 5, 8))
        .await
        .unwrap();
    assert_eq!(
        (outcome.before.as_str(), outcome.after.as_str()),
        ("2/3/6", "2/5/8")
    );
    assert_eq!(acct.count(update_path), 1);
    let ng = acct.rest(
        "eu-west-1",
        "eks",
        "GET",
        "/clusters/prod-euw1/node-groups/general",
        serde_json::Value::Null,
    );
    let sc = &ng["nodegroup"]["scalingConfig"];
    assert_eq!(
        (
            sc["minSize"].as_u64(),
            sc["desiredSize"].as_u64(),
            sc["maxSize"].as_u64()
        ),
        (Some(2), Some(5), Some(8)),
        "{ng}"
    );
    assert_opsdeck_agents(&acct, update_path);
    let records = AuditLog::new(&audit_path).read().unwrap();
    assert_eq!(records.len(), 1);
    let (_, phase, after, _) = records[0].finished.clone().unwrap();
    assert_eq!((phase, after.as_str()), (Phase::Done, "2/5/8"));

    // IAM says no: a clear Forbidden, audited as failed.
    acct.fail(update_path, "AccessDenied", 1);
    let denied = scale_nodegroup(&mut exec, &mut rx, (2, 4, 8)).await;
    assert!(
        matches!(&denied, Err(ActionError::Forbidden(m)) if m.contains("nodegroup general")),
        "{denied:?}"
    );
    let records = AuditLog::new(&audit_path).read().unwrap();
    assert_eq!(records.len(), 2);
    assert_ne!(records[1].finished.as_ref().unwrap().1, Phase::Done);

    // A cluster without an eks_cluster: refused with the reason, nothing audited or sent.
    exec.eks.clear();
    let nowhere = scale_nodegroup(&mut exec, &mut rx, (2, 4, 8)).await;
    assert!(
        matches!(&nowhere, Err(ActionError::Refused(m)) if m.contains("no eks_cluster")),
        "{nowhere:?}"
    );
    assert_eq!(AuditLog::new(&audit_path).read().unwrap().len(), 2);
}

/// A natively reached EKS cluster's collector with its action channel, and an executor that
/// audits to `audit_path` and routes that cluster's actions to it. The collector's updates are
/// drained (a full channel would stall it).
async fn native_console(
    acct: &Account,
    kube: &FakeKube,
    audit_path: &std::path::Path,
) -> (
    opsdeck::console::Executor,
    tokio::sync::mpsc::Receiver<opsdeck::app::Msg>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    use opsdeck::actions::audit::AuditLog;
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    acct.set_eks_endpoint("prod-euw1", &kube.url(), "");
    let config = config(&aws::moto().url);
    let mut targets = targets(&config);
    targets.truncate(1);
    let Endpoint::Eks(eks) = &mut targets[0].endpoint else {
        panic!("native");
    };
    eks.settings.auth = acct.options().clients.auth;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (updates, mut drain) = tokio::sync::mpsc::channel(64);
    let timings = Timings {
        // moto's first STS answer may take a while to come.
        probe_timeout: Duration::from_secs(3),
        ..timings()
    };
    let (mut tasks, clusters) =
        opsdeck::source::kube::spawn_with_actions(targets, timings, clock, updates);
    tasks.push(tokio::spawn(async move {
        while drain.recv().await.is_some() {}
    }));
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let exec = opsdeck::console::Executor {
        clusters,
        reply: Some(tx),
        audit: Some(Arc::new(AuditLog::new(audit_path))),
        ..Default::default()
    };
    (exec, rx, tasks)
}

/// The console approves the billing gate as `$USER` "lee" would: `who` is the placeholder the
/// executor replaces with the cluster-verified identity.
async fn approve_billing(
    exec: &mut opsdeck::console::Executor,
    rx: &mut tokio::sync::mpsc::Receiver<opsdeck::app::Msg>,
) -> Result<opsdeck::actions::Outcome, opsdeck::actions::ActionError> {
    use opsdeck::actions::{Action, ActionRequest, Target};
    use opsdeck::domain::{WorkloadKey, WorkloadKind};
    let request = ActionRequest {
        target: Target {
            cluster: ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
            workload: WorkloadKey::new("payments", "billing"),
            kind: WorkloadKind::Deployment.into(),
        },
        action: Action::Approve {
            reason: "canary clean".into(),
        },
        who: "lee".into(),
        local_user: String::new(),
    };
    exec.run(opsdeck::app::Effect::Perform(vec![opsdeck::app::Perform {
        request,
        before: String::new(),
        production: true,
    }]));
    match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
        Ok(Some(opsdeck::app::Msg::ActionDone { result, .. })) => result,
        other => panic!("no ActionDone within 15 s: {other:?}"),
    }
}

fn approvers(kube: &FakeKube) -> Vec<String> {
    let d = kube
        .get("apps/v1", "Deployment", Some("payments"), "billing")
        .unwrap();
    let text = d["metadata"]["annotations"]["opsdeck.dev/approvals"]
        .as_str()
        .unwrap_or("[]");
    let list: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    list.iter()
        .map(|a| a["who"].as_str().unwrap().to_string())
        .collect()
}

/// For an EKS cluster reached natively, who acted is the IAM ARN STS GetCallerIdentity names
/// for the credentials the token was signed with (moto answers `arn:aws:sts::<account>:user/moto`
/// for keys it did not issue), not SelfSubjectReview's username and never `$USER`, which stays
/// the local user. Asked once and kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_on_a_native_eks_cluster_is_recorded_under_the_sts_arn() {
    use opsdeck::actions::audit::AuditLog;
    let acct = Account::new("100000000024");
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    // What SelfSubjectReview would say: not asked for a native EKS cluster.
    kube.set_user("kubernetes-admin");
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let (mut exec, mut rx, tasks) = native_console(&acct, &kube, &audit_path).await;
    let arn = format!("arn:aws:sts::{}:user/moto", acct.id);

    let outcome = approve_billing(&mut exec, &mut rx).await.unwrap();
    assert!(outcome.summary.starts_with("approved"), "{outcome:?}");
    assert_eq!(approvers(&kube), vec![arn.clone()]);
    let records = AuditLog::new(&audit_path).read().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].request.who, arn);
    assert_eq!(records[0].request.local_user, "lee");
    let events = kube.list("v1", "Event");
    let ours: Vec<_> = events
        .iter()
        .filter(|e| e["reportingComponent"] == "opsdeck")
        .collect();
    assert_eq!(ours.len(), 1, "{events:?}");
    let message = ours[0]["message"].as_str().unwrap();
    assert!(message.contains(&arn), "{message}");
    assert!(!message.contains("lee"), "{message}");

    // Known once: a second action asks STS nothing more (at connect, or the first action).
    let asked = acct.count("GetCallerIdentity");
    assert!(asked >= 1);
    assert_opsdeck_agents(&acct, "GetCallerIdentity");
    assert!(
        kube.requests()
            .iter()
            .all(|r| !r.resource.starts_with("selfsubjectreview")),
        "SelfSubjectReview is not asked of a native EKS cluster"
    );
    let again = approve_billing(&mut exec, &mut rx).await;
    assert!(
        matches!(&again, Err(opsdeck::actions::ActionError::Refused(m)) if m.contains("already approved")),
        "the same ARN approves once: {again:?}"
    );
    assert_eq!(acct.count("GetCallerIdentity"), asked);
    for t in tasks {
        t.abort();
    }
}

/// STS refuses (or cannot be reached): the approval is refused with a reason naming STS;
/// nothing is written to the cluster, nothing audited. The lookup is retried on the next
/// action, which then goes through under the ARN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_refused_when_sts_cannot_say_who_we_are() {
    use opsdeck::actions::ActionError;
    use opsdeck::actions::audit::AuditLog;
    let acct = Account::new("100000000025");
    // The lookup at connect and the two approvals below.
    acct.fail("GetCallerIdentity", "AccessDenied", 3);
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let (mut exec, mut rx, tasks) = native_console(&acct, &kube, &audit_path).await;
    let writes = |kube: &FakeKube| -> Vec<String> {
        kube.requests()
            .into_iter()
            .filter(|r| r.is_write())
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    };

    for _ in 0..2 {
        let refused = approve_billing(&mut exec, &mut rx).await;
        let Err(ActionError::Refused(why)) = &refused else {
            panic!("{refused:?}");
        };
        assert!(
            why.contains("needs the identity the cluster verifies")
                && why.contains("STS GetCallerIdentity: access denied")
                && why.contains("not authorized"),
            "{why}"
        );
        assert!(!why.contains("lee"), "{why}");
        assert!(writes(&kube).is_empty(), "{:?}", writes(&kube));
        assert!(approvers(&kube).is_empty());
        assert!(AuditLog::new(&audit_path).read().unwrap().is_empty());
    }
    // Every action asked again (the connect-time lookup too).
    assert_eq!(acct.count("GetCallerIdentity"), 3);

    // STS answers again: the next approval asks, and is recorded under the ARN.
    let arn = format!("arn:aws:sts::{}:user/moto", acct.id);
    approve_billing(&mut exec, &mut rx).await.unwrap();
    assert_eq!(approvers(&kube), vec![arn.clone()]);
    let records = AuditLog::new(&audit_path).read().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (
            records[0].request.who.as_str(),
            records[0].request.local_user.as_str()
        ),
        (arn.as_str(), "lee")
    );
    for t in tasks {
        t.abort();
    }
}

/// STS unreachable (the endpoint override names a closed port): refused, naming STS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_sts_refuses_the_approval_naming_sts() {
    use opsdeck::actions::ActionError;
    use opsdeck::actions::audit::AuditLog;
    let acct = Account::new("100000000026");
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    acct.set_eks_endpoint("prod-euw1", &kube.url(), "");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = config(&aws::moto().url);
    config.aws.endpoint_urls.sts = Some(format!("http://127.0.0.1:{closed}"));
    let mut targets = targets(&config);
    targets.truncate(1);
    let Endpoint::Eks(eks) = &mut targets[0].endpoint else {
        panic!("native");
    };
    eks.settings.auth = acct.options().clients.auth;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (updates, mut drain) = tokio::sync::mpsc::channel(64);
    let (mut tasks, clusters) =
        opsdeck::source::kube::spawn_with_actions(targets, timings(), clock, updates);
    tasks.push(tokio::spawn(async move {
        while drain.recv().await.is_some() {}
    }));
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let mut exec = opsdeck::console::Executor {
        clusters,
        reply: Some(tx),
        audit: Some(Arc::new(AuditLog::new(&audit_path))),
        ..Default::default()
    };
    let refused = approve_billing(&mut exec, &mut rx).await;
    let Err(ActionError::Refused(why)) = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        why.contains("STS GetCallerIdentity: AWS unreachable") && why.contains("refused"),
        "{why}"
    );
    assert!(
        kube.requests().iter().all(|r| !r.is_write()),
        "nothing written"
    );
    assert!(AuditLog::new(&audit_path).read().unwrap().is_empty());
    for t in tasks {
        t.abort();
    }
}
