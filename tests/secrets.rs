//! A planted secret (the kubeconfig's bearer token) never appears in any output: stdout, stderr,
//! the log at trace level, the audit log — through snapshots, actions, refusals and failures.

#[path = "support/fake_kube/mod.rs"]
mod fake_kube;

use fake_kube::FakeKube;
use opsdeck::domain::AlarmState;
use std::path::Path;
use std::process::Stdio;

const SECRET: &str = "opsdeck-planted-secret-7f3a9c2e";

fn kubeconfig(dir: &Path, contexts: &[(&str, u16)]) -> std::path::PathBuf {
    let mut clusters = String::new();
    let mut ctxs = String::new();
    for (name, port) in contexts {
        clusters.push_str(&format!(
            "- name: {name}\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\n"
        ));
        ctxs.push_str(&format!(
            "- name: {name}\n  context: {{cluster: {name}, user: u}}\n"
        ));
    }
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}users:\n- name: u\n  user: {{token: {SECRET}}}\ncontexts:\n{ctxs}current-context: {}\n",
        contexts[0].0
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

fn every_file(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            every_file(&p, out);
        } else if p.file_name().is_some_and(|n| n != "kubeconfig") {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            out.push((p.display().to_string(), text));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_any_output() {
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    let home = tempfile::tempdir().unwrap();
    // A closed port: the failure paths print and log errors too.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = kubeconfig(
        home.path(),
        &[("prod-a", kube.port()), ("prod-down", closed)],
    );
    let config = home.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n[logging]\nlevel = \"trace\"\n\
             [[environments]]\nname = \"prod\"\nproduction = true\n[environments.policy]\nchecklist_required = false\n\
             [[environments.clusters]]\nname = \"prod-a\"\nregion = \"eu-west-1\"\nkubeconfig = {kc:?}\ncontext = \"prod-a\"\n\
             [[environments.clusters]]\nname = \"prod-down\"\nregion = \"eu-west-1\"\nkubeconfig = {kc:?}\ncontext = \"prod-down\"\n",
            kc = kc.display().to_string()
        ),
    )
    .unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["snapshot", "--format", "json", "--timeout", "3"],
        vec!["snapshot", "--timeout", "3"],
        vec![
            "approve",
            "payments/billing",
            "--cluster",
            "prod-a",
            "--reason",
            "canary clean",
            "--yes",
            "--timeout",
            "3",
        ],
        vec![
            "scale",
            "payments/checkout-api",
            "--cluster",
            "prod-a",
            "--replicas",
            "3",
            "--reason",
            "load",
            "--yes",
            "--timeout",
            "3",
        ],
        vec![
            "scale",
            "payments/checkout-api",
            "--cluster",
            "prod-down",
            "--replicas",
            "3",
            "--reason",
            "x",
            "--yes",
            "--timeout",
            "3",
        ],
    ];
    let mut outputs = Vec::new();
    for args in runs {
        let (home_dir, config) = (home.path().to_path_buf(), config.clone());
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
                .arg("--config")
                .arg(&config)
                .args(&args)
                .env("OPSDECK_HOME", &home_dir)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
        outputs.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut files = Vec::new();
    every_file(home.path(), &mut files);
    let log = files
        .iter()
        .find(|(p, _)| p.ends_with("opsdeck.log"))
        .map(|(_, t)| t.as_str())
        .unwrap_or("");
    assert!(log.lines().count() > 20, "the trace log was written: {log}");
    assert!(
        files
            .iter()
            .any(|(p, t)| p.ends_with("audit.jsonl") && t.contains("canary clean"))
    );
    assert!(
        outputs.concat().contains("approved"),
        "the actions ran: {outputs:?}"
    );
    for (name, text) in files.iter().chain(
        outputs
            .iter()
            .map(|o| ("output".to_string(), o.clone()))
            .collect::<Vec<_>>()
            .iter(),
    ) {
        assert!(!text.contains(SECRET), "the secret leaked into {name}");
    }
    // The token was really sent: the fake saw requests from both commands.
    assert!(kube.requests().len() > 10);
}

// ---- AWS credentials at `logging.level = "trace"` (issue 15, item 9) ----

#[path = "support/aws/mod.rs"]
mod aws;

/// Known fake credentials: the key ends in the test's moto account.
const ACCESS_KEY: &str = "AKIA0000100000000330";
const SECRET_KEY: &str = "opsdeckPlantedSecret/7f3a9c2e+wJalrXUtnFEMIK7MDENG";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEPlantedSessionToken7f3a9c2eFwoGZXIvYXdz";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_aws_credential_reaches_the_log_at_trace() {
    let acct = aws::Account {
        id: "100000000330".into(),
        access_key: ACCESS_KEY.into(),
    };
    acct.put_alarm("eu-west-1", "prod-web-5xx", AlarmState::Alarm, &[]);
    acct.create_cluster("eu-west-1", "prod-euw1", "1.31");
    acct.create_nodegroup("eu-west-1", "prod-euw1", "web", (1, 2, 3), &["m6i.large"]);
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    // DescribeCluster answers the fake API server: the cluster is reached with an EKS token.
    acct.set_eks_endpoint("prod-euw1", &kube.url(), "");
    let home = tempfile::tempdir().unwrap();
    let url = &aws::moto().url;
    let config = home.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n[logging]\nlevel = \"trace\"\n\
             [aws.endpoint_urls]\neks = {url:?}\ncloudwatch = {url:?}\nce = {url:?}\nsts = {url:?}\n\
             [[environments]]\nname = \"prod\"\n\
             [[environments.clusters]]\nname = \"prod-euw1\"\nregion = \"eu-west-1\"\neks_cluster = \"prod-euw1\"\n"
        ),
    )
    .unwrap();
    let home_dir = home.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .arg("--config")
            .arg(&config)
            .args(["snapshot", "--format", "json", "--timeout", "10"])
            .env("OPSDECK_HOME", &home_dir)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
            .env("AWS_CONFIG_FILE", home_dir.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                home_dir.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // The AWS calls were made with these credentials: alarms, EKS, and the cluster's token.
    assert!(stdout.contains("prod-web-5xx"), "{stdout}\n{stderr}");
    assert!(acct.count("DescribeCluster") >= 1);
    assert!(acct.count("GetCostAndUsage") >= 1);
    assert!(
        kube.requests()
            .iter()
            .any(|r| r.authorization.starts_with("Bearer k8s-aws-v1.")),
        "the cluster was reached with an EKS token"
    );
    let mut files = Vec::new();
    every_file(home.path(), &mut files);
    let log = files
        .iter()
        .find(|(p, _)| p.ends_with("opsdeck.log"))
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    // The log is written at trace, AWS's own crates included (so the test can fail).
    assert!(log.lines().count() > 50, "the trace log was written: {log}");
    assert!(log.contains("TRACE"), "trace events are logged");
    assert!(
        log.lines().any(|l| l.contains("aws_")),
        "the AWS SDK logs at its capped level"
    );
    let secrets = [
        ("access key id", ACCESS_KEY),
        ("secret access key", SECRET_KEY),
        ("session token", SESSION_TOKEN),
        ("EKS token", "k8s-aws-v1."),
    ];
    for (name, text) in [("log", &log), ("stdout", &stdout), ("stderr", &stderr)] {
        for (what, secret) in secrets {
            if let Some(at) = text.find(secret) {
                // Which line (its start, with the secret masked), to know which target logs it.
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let line: String = text[start..]
                    .lines()
                    .next()
                    .unwrap_or("")
                    .replace(secret, "<SECRET>")
                    .chars()
                    .rev()
                    .take(400)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                panic!("the {what} leaked into the {name}: {line}");
            }
        }
    }
}
