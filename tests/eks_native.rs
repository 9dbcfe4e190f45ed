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
    let id = ClusterId::new("prod", "eu-west-1", "prod-euw1");
    let cluster = &fleet.clusters[&id];
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
    let cluster = &fleet.clusters[&ClusterId::new("prod", "eu-west-1", "prod-euw1")];
    let SourceStatus::Failed(why) = &cluster.health.status else {
        panic!("{:?}", cluster.health);
    };
    assert!(
        why.contains("EKS cluster prod-euw1") && why.contains("access denied"),
        "{why}"
    );
}
