//! Release actions from the command line, run as a script or a person would: exit codes,
//! policy refusals, read-only, the audit log, and a real (fake) cluster receiving the request.

#[path = "support/fake_kube/mod.rs"]
mod fake_kube;

use fake_kube::FakeKube;
use std::path::Path;
use std::process::{Output, Stdio};

fn opsdeck(home: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("OPSDECK_HOME", home)
        .env("USER", "lee")
        .env_remove("OPSDECK_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `opsdeck` from an async test: on the blocking pool, so the fake server keeps answering.
async fn opsdeck_blocking(home: &Path, args: Vec<String>) -> Output {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        opsdeck(&home, &args)
    })
    .await
    .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The real fleets' audit log.
fn audit_lines(home: &Path) -> Vec<serde_json::Value> {
    lines_of(&home.join("data/audit.jsonl"))
}

/// The demo fleet's own audit log, beside the real one.
fn demo_audit_lines(home: &Path) -> Vec<serde_json::Value> {
    lines_of(&home.join("data/audit-demo.jsonl"))
}

fn lines_of(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const DEMO: [&str; 3] = ["--demo", "--seed", "7"];

#[test]
fn a_scale_in_dev_is_planned_audited_and_done() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        &DEMO[..],
        &[
            "scale",
            "catalog-api",
            "--cluster",
            "dev-use1",
            "--replicas",
            "3",
            "--yes",
        ],
    ]
    .concat();
    let out = opsdeck(home.path(), &args);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("dev-use1: replicas 1 → 3"), "{t}");
    assert!(t.contains("estimated cost change: +$"), "{t}");
    assert!(t.contains("scaled 1 → 3 replicas"), "{t}");
    let lines = demo_audit_lines(home.path());
    assert_eq!(lines.len(), 2, "started, then done: {lines:?}");
    assert_eq!(lines[0]["phase"], "started");
    assert_eq!(lines[0]["request"]["who"], "lee");
    assert_eq!(lines[1]["phase"], "done");
    assert!(
        !home.path().join("data/audit.jsonl").exists(),
        "a demo action never lands in the real fleets' audit log"
    );
}

#[test]
fn policy_refuses_and_yes_does_not_bypass_it() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        &DEMO[..],
        &[
            "approve",
            "checkout-api",
            "--cluster",
            "prod-euw1",
            "--reason",
            "ok",
            "--yes",
        ],
    ]
    .concat();
    let out = opsdeck(home.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("refused by policy: prod-euw1: the checklist is not complete"),
        "{}",
        text(&out)
    );
    // No reason in production.
    let args = [
        &DEMO[..],
        &["rollback", "catalog-api", "--cluster", "prod-use1", "--yes"],
    ]
    .concat();
    let out = opsdeck(home.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("a reason is required"),
        "{}",
        text(&out)
    );
    assert!(
        demo_audit_lines(home.path()).is_empty(),
        "nothing refused is sent or audited"
    );
}

#[test]
fn read_only_and_unconfirmed_send_nothing() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        &DEMO[..],
        &[
            "--read-only",
            "scale",
            "catalog-api",
            "--cluster",
            "dev-use1",
            "--replicas",
            "3",
            "--yes",
        ],
    ]
    .concat();
    let out = opsdeck(home.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("read-only"), "{}", text(&out));
    // Without --yes and without a terminal: not confirmed.
    let args = [
        &DEMO[..],
        &[
            "scale",
            "catalog-api",
            "--cluster",
            "dev-use1",
            "--replicas",
            "3",
        ],
    ]
    .concat();
    let out = opsdeck(home.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("nothing was sent"), "{}", text(&out));
    assert!(demo_audit_lines(home.path()).is_empty());
}

#[test]
fn an_unresolved_name_is_exit_1_with_the_choices() {
    let home = tempfile::tempdir().unwrap();
    let args = [&DEMO[..], &["scale", "catalog-api", "--replicas", "3"]].concat();
    let out = opsdeck(home.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("more than one cluster running"), "{t}");
    assert!(t.contains("prod/us-east-1/prod-use1"), "{t}");
    assert!(t.contains("with --cluster"), "{t}");
    let args = [&DEMO[..], &["scale", "no-such-svc", "--replicas", "3"]].concat();
    let out = opsdeck(home.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no service \"no-such-svc\""));
    assert!(demo_audit_lines(home.path()).is_empty());
}

/// A cluster `main` in staging and in prod: `--cluster main` is refused with both (nothing
/// sent to either, nothing audited); `staging/main` and `staging/eu-west-1/main` pick one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_name_in_two_environments_is_refused_not_guessed() {
    let fixture = include_str!("fixtures/kube/release-actions.yaml");
    let staging = FakeKube::start_with_yaml(fixture).await;
    let prod = FakeKube::start_with_yaml(fixture).await;
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = fake_kube::write_kubeconfig(home.path(), &[("s", &staging), ("p", &prod)]);
    let config = home.path().join("opsdeck.toml");
    let cluster = |ctx: &str| {
        format!(
            "[[environments.clusters]]\nname = \"main\"\nregion = \"eu-west-1\"\nkubeconfig = {:?}\ncontext = \"{ctx}\"\n",
            kubeconfig.display().to_string()
        )
    };
    std::fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n[[environments]]\nname = \"staging\"\n{}[[environments]]\nname = \"prod\"\nproduction = true\n{}",
            cluster("s"),
            cluster("p")
        ),
    )
    .unwrap();
    let scale = |target: &str| -> Vec<String> {
        [
            "--config",
            config.to_str().unwrap(),
            "scale",
            "payments/checkout-api",
            "--cluster",
            target,
            "--replicas",
            "5",
            "--reason",
            "load test",
            "--yes",
        ]
        .map(String::from)
        .to_vec()
    };
    // Writes to the Deployment (the audit's Event mirror is a write too, of an Event).
    let writes = |k: &FakeKube| {
        k.requests()
            .into_iter()
            .filter(|r| r.is_write() && r.resource.starts_with("deployments"))
            .count()
    };
    let out = opsdeck_blocking(home.path(), scale("main")).await;
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("cluster \"main\" is ambiguous"), "{t}");
    assert!(
        t.contains("prod/eu-west-1/main") && t.contains("staging/eu-west-1/main"),
        "{t}"
    );
    assert!(t.contains("ENV/NAME"), "{t}");
    let all_writes = |k: &FakeKube| {
        k.requests()
            .into_iter()
            .filter(|r| r.is_write() && !r.resource.starts_with("selfsubject"))
            .count()
    };
    assert_eq!(
        (all_writes(&staging), all_writes(&prod)),
        (0, 0),
        "nothing sent"
    );
    assert!(audit_lines(home.path()).is_empty(), "nothing audited");

    let out = opsdeck_blocking(home.path(), scale("staging/main")).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert_eq!((writes(&staging), writes(&prod)), (1, 0), "{t}");
    let out = opsdeck_blocking(home.path(), scale("staging/eu-west-1/main")).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!((writes(&staging), writes(&prod)), (2, 0));
    let out = opsdeck_blocking(home.path(), scale("prod/mian")).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no cluster \"prod/mian\""),
        "{}",
        text(&out)
    );
    assert_eq!(writes(&prod), 0);
}

#[test]
fn checklist_lists_what_is_verified_ticked_and_open() {
    let home = tempfile::tempdir().unwrap();
    let args = [
        &DEMO[..],
        &["checklist", "checkout-api", "--cluster", "prod-euw1"],
    ]
    .concat();
    let out = opsdeck(home.path(), &args);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("[ ] Team notified — open"), "{t}");
    assert!(t.contains("[x] Code review — ticked by maria.k"), "{t}");
    assert!(t.contains("[x] Rollback plan prepared — verified"), "{t}");
}

/// A tick names a person-tickable item: a typo gets "did you mean", an item the console
/// verifies is refused, both with exit 1 and nothing audited; any letter case ticks the item.
#[test]
fn a_tick_must_name_a_real_person_item() {
    let home = tempfile::tempdir().unwrap();
    let tick = |item: &str| {
        let args = [
            &DEMO[..],
            &[
                "checklist",
                "checkout-api",
                "--cluster",
                "prod-euw1",
                "--tick",
                item,
                "--reason",
                "posted in #releases",
                "--yes",
            ],
        ]
        .concat();
        opsdeck(home.path(), &args)
    };
    let out = tick("Team notifed");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("no checklist item \"Team notifed\" (did you mean \"Team notified\"?)"),
        "{t}"
    );
    assert!(t.contains("nothing was ticked"), "{t}");
    let out = tick("Rollback plan prepared");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("\"Rollback plan prepared\" is verified by the console"),
        "{t}"
    );
    assert!(
        demo_audit_lines(home.path()).is_empty(),
        "nothing refused is audited"
    );

    let out = tick("team notified");
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let lines = demo_audit_lines(home.path());
    assert_eq!(
        lines[0]["request"]["action"]["item"], "Team notified",
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_reaches_a_real_cluster() {
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    kube.set_user("lee@example.com");
    let home = tempfile::tempdir().unwrap();
    let config = prod_config(home.path(), &kube, "");
    let args: Vec<String> = [
        "--config",
        config.to_str().unwrap(),
        "approve",
        "payments/billing",
        "--reason",
        "canary clean",
        "--yes",
    ]
    .map(String::from)
    .to_vec();
    let out = opsdeck_blocking(home.path(), args).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("approved"), "{t}");
    let d = kube
        .get("apps/v1", "Deployment", Some("payments"), "billing")
        .unwrap();
    let approvals = d["metadata"]["annotations"]["opsdeck.dev/approvals"]
        .as_str()
        .unwrap();
    assert!(
        approvals.contains("lee@example.com") && approvals.contains("canary clean"),
        "{approvals}"
    );
    let lines = audit_lines(home.path());
    assert_eq!(lines.last().unwrap()["phase"], "done", "{lines:?}");
    // Every request, reads and writes, says it is opsdeck (a cluster's audit log shows it).
    let requests = kube.requests();
    assert!(requests.iter().any(|r| r.is_write()));
    let ua = format!("opsdeck/{}", env!("CARGO_PKG_VERSION"));
    for r in &requests {
        assert_eq!(r.user_agent, ua, "{} {}", r.method, r.path);
    }
}

/// A production cluster with no CloudWatch alarms (no AWS at all) under the default policy:
/// monitoring is the person's to tick, not "not met" forever, so the checklist can be
/// completed and the gate approved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_prod_checklist_can_be_completed_without_cloudwatch() {
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    kube.set_user("lee@example.com");
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = fake_kube::write_kubeconfig(home.path(), &[("prod-a", &kube)]);
    let config = home.path().join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n[[environments]]\nname = \"prod\"\nproduction = true\n[[environments.clusters]]\nname = \"prod-a\"\nregion = \"eu-west-1\"\nkubeconfig = {:?}\ncontext = \"prod-a\"\n",
            kubeconfig.display().to_string()
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--config".to_string(), config.display().to_string()];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let list = run(&["checklist", "payments/billing"]);
    let out = opsdeck_blocking(home.path(), list.clone()).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("[ ] Monitoring and alerts enabled — open"),
        "{t}"
    );
    let open: Vec<String> = t
        .lines()
        .filter_map(|l| l.strip_prefix("[ ] ")?.strip_suffix(" — open"))
        .map(String::from)
        .collect();
    assert!(open.len() >= 9, "{t}");
    for item in &open {
        let out = opsdeck_blocking(
            home.path(),
            run(&[
                "checklist",
                "payments/billing",
                "--tick",
                item,
                "--reason",
                "done",
                "--yes",
            ]),
        )
        .await;
        assert!(out.status.success(), "{item}: {}", text(&out));
    }
    let out = opsdeck_blocking(home.path(), list).await;
    let t = text(&out);
    assert!(
        t.contains("[x] Monitoring and alerts enabled — ticked by lee@example.com"),
        "{t}"
    );
    assert!(!t.contains("[ ]"), "every item done: {t}");
    let out = opsdeck_blocking(
        home.path(),
        run(&[
            "approve",
            "payments/billing",
            "--reason",
            "all done",
            "--yes",
        ]),
    )
    .await;
    let t = text(&out);
    assert!(
        out.status.success(),
        "the checklist no longer blocks the gate: {t}"
    );
}

/// An opsdeck.toml with one production cluster `prod-a` (the fake) in eu-west-1; `env_extra`
/// goes into the environment's table (e.g. `read_only = true\n`).
fn prod_config(home: &Path, kube: &FakeKube, env_extra: &str) -> std::path::PathBuf {
    let kubeconfig = fake_kube::write_kubeconfig(home, &[("prod-a", kube)]);
    let config = home.join("opsdeck.toml");
    std::fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n[[environments]]\nname = \"prod\"\nproduction = true\n{env_extra}[environments.policy]\nchecklist_required = false\n[[environments.clusters]]\nname = \"prod-a\"\nregion = \"eu-west-1\"\nkubeconfig = {:?}\ncontext = \"prod-a\"\n",
            kubeconfig.display().to_string()
        ),
    )
    .unwrap();
    config
}

/// `--yes` with `--read-only`, or against a read-only environment, sends no write to a real
/// cluster (counted at the server) and audits nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_with_yes_sends_nothing_to_a_real_cluster() {
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    for (flag, env_extra) in [("--read-only", ""), ("", "read_only = true\n")] {
        let home = tempfile::tempdir().unwrap();
        let config = prod_config(home.path(), &kube, env_extra);
        let commands: [&[&str]; 3] = [
            &["approve", "payments/billing", "--reason", "r", "--yes"],
            &[
                "rollback",
                "payments/checkout-api",
                "--cluster",
                "prod-a",
                "--reason",
                "r",
                "--yes",
            ],
            &[
                "scale",
                "payments/checkout-api",
                "--cluster",
                "prod-a",
                "--replicas",
                "9",
                "--reason",
                "r",
                "--yes",
            ],
        ];
        for command in commands {
            let mut args: Vec<String> = vec!["--config".into(), config.display().to_string()];
            if !flag.is_empty() {
                args.push(flag.into());
            }
            args.extend(command.iter().map(|a| a.to_string()));
            let shown = args.join(" ");
            let out = opsdeck_blocking(home.path(), args).await;
            let t = text(&out);
            assert_ne!(out.status.code(), Some(0), "{shown}: {t}");
            assert!(t.contains("read-only"), "{shown}: {t}");
            // Who-am-I and can-I reviews are POSTs that change nothing.
            let writes: Vec<_> = kube
                .requests()
                .into_iter()
                .filter(|r| r.is_write() && !r.resource.starts_with("selfsubject"))
                .collect();
            assert!(
                writes.is_empty(),
                "{shown}: writes reached the cluster: {writes:?}"
            );
            assert!(audit_lines(home.path()).is_empty(), "{shown}: audited");
        }
    }
}

#[test]
fn a_nodegroup_is_scaled_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let args = [&DEMO[..], &["nodegroup", "general"], extra].concat();
        opsdeck(home.path(), &args)
    };
    // dev-use1's general nodegroup is 1≤2≤6 in the seeded demo.
    let out = run(&[
        "--cluster",
        "dev-use1",
        "--min",
        "1",
        "--desired",
        "4",
        "--max",
        "6",
        "--yes",
    ]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains("dev-use1: general nodes min/desired/max 1/2/6 → 1/4/6"),
        "{t}"
    );
    assert!(t.contains("2 nodes change"), "{t}");
    assert!(t.contains("min/desired/max 1/2/6 → 1/4/6"), "{t}");
    let audit = demo_audit_lines(home.path());
    assert_eq!(audit[0]["request"]["target"]["kind"], "Nodegroup");
    assert_eq!(audit[0]["request"]["action"]["action"], "scale_nodegroup");

    let out = run(&["--min", "1", "--desired", "4", "--max", "6", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--cluster is required"));
    let out = run(&[
        "--cluster",
        "dev-use1",
        "--min",
        "3",
        "--desired",
        "2",
        "--max",
        "6",
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("min ≤ desired ≤ max"), "{}", text(&out));
    let out = run(&[
        "--cluster",
        "dev-use1",
        "--min",
        "1",
        "--desired",
        "2",
        "--max",
        "6",
        "--yes",
        "--read-only",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("read-only"), "{}", text(&out));
    assert_eq!(
        demo_audit_lines(home.path()).len(),
        2,
        "read-only: nothing audited, nothing sent"
    );
}

/// Production scaling guards: to 0 and by more than 5× are refused (exit 1, nothing audited)
/// until the flag that names the limit is given; int32 is a hard limit no flag lifts.
#[test]
fn production_scaling_to_zero_or_by_far_needs_the_flag_that_names_it() {
    let home = tempfile::tempdir().unwrap();
    let run = |command: &[&str], flags: &[&str]| {
        let mut args: Vec<&str> = DEMO.to_vec();
        args.extend(command);
        args.extend([
            "catalog-api",
            "--cluster",
            "prod-use1",
            "--reason",
            "load test",
            "--yes",
        ]);
        args.extend(flags);
        opsdeck(home.path(), &args)
    };
    let scale = |replicas: &str, flags: &[&str]| run(&["scale", "--replicas", replicas], flags);
    // catalog-api in prod-use1: 6 replicas, an HPA 3..12.
    for (out, want) in [
        (scale("0", &[]), "--allow-scale-to-zero"),
        // 100000 replicas (+$1.4M/month): the HPA would undo it; no flag lifts that.
        (
            scale("100000", &["--allow-large-scale"]),
            "HPA keeps this workload between 3 and 12",
        ),
        (
            run(&["hpa", "--min", "3", "--max", "100000"], &[]),
            "--allow-large-scale",
        ),
    ] {
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{t}");
        assert!(t.contains("refused by policy") && t.contains(want), "{t}");
        assert!(demo_audit_lines(home.path()).is_empty(), "audited: {t}");
    }
    // Past int32: refused whatever the flags.
    let out = scale(
        "3000000000",
        &["--allow-large-scale", "--allow-scale-to-zero"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("int32"), "{t}");
    assert!(demo_audit_lines(home.path()).is_empty());
    // The flag acknowledges the one limit it names, and the action goes through.
    let out = scale("0", &["--allow-scale-to-zero"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("→ 0 replicas"), "{t}");
    let lines = demo_audit_lines(home.path());
    assert_eq!(
        lines[0]["request"]["action"]["allow"]["scale_to_zero"], true,
        "the audit says what was overridden: {lines:?}"
    );
}

/// A cluster that cannot say who we are (SelfSubjectReview 404, no username, too slow): an
/// approval is refused with the reason, exit 1, nothing written, nothing audited; `$USER` is
/// never taken instead. Once the cluster answers, the approval is recorded under its identity
/// and `$USER` only as the local user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_needs_the_identity_the_cluster_verifies() {
    use fake_kube::SelfReview;
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    kube.set_user("lee@example.com");
    let home = tempfile::tempdir().unwrap();
    let config = prod_config(home.path(), &kube, "");
    let approve: Vec<String> = [
        "--config",
        config.to_str().unwrap(),
        "approve",
        "payments/billing",
        "--reason",
        "canary clean",
        "--yes",
    ]
    .map(String::from)
    .to_vec();
    for how in [
        SelfReview::NotFound,
        SelfReview::NoUser,
        SelfReview::Slow(std::time::Duration::from_secs(8)),
    ] {
        kube.set_self_review(how);
        kube.clear_requests();
        let out = opsdeck_blocking(home.path(), approve.clone()).await;
        let t = text(&out);
        assert_eq!(out.status.code(), Some(1), "{how:?}: {t}");
        assert!(
            t.contains("needs the identity the cluster verifies"),
            "{how:?}: {t}"
        );
        let writes: Vec<_> = kube
            .requests()
            .into_iter()
            .filter(|r| r.is_write() && !r.resource.starts_with("selfsubject"))
            .collect();
        assert!(writes.is_empty(), "{how:?}: {writes:?}");
        assert!(audit_lines(home.path()).is_empty(), "{how:?}: audited");
    }
    kube.set_self_review(SelfReview::Answer);
    let out = opsdeck_blocking(home.path(), approve).await;
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let lines = audit_lines(home.path());
    assert_eq!(lines[0]["request"]["who"], "lee@example.com", "{lines:?}");
    assert_eq!(lines[0]["request"]["local_user"], "lee");
}

/// `rollback --all-prod` rolls back only where the newest production version (or the one
/// `--version` names) is deployed, each back to its own previous revision; the other regions
/// are listed as unchanged and left alone; one result per region; a version no production
/// cluster has is refused with what each runs, nothing sent.
#[test]
fn rollback_of_every_prod_region_touches_only_where_the_bad_version_is() {
    let home = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = DEMO.to_vec();
        args.extend(["rollback", "catalog-api", "--all-prod", "--reason", "5xx"]);
        args.extend(extra);
        args.push("--yes");
        opsdeck(home.path(), &args)
    };
    let out = run(&[]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    // The demo rolls catalog-api's next version out in prod-use1 only.
    assert!(
        t.contains("rolling back 1.16.8 only where it is deployed:"),
        "{t}"
    );
    assert!(t.contains("prod-euw1: unchanged (runs 1.16.7)"), "{t}");
    assert!(t.contains("prod-apse2: unchanged (runs 1.16.7)"), "{t}");
    assert!(t.contains("blast radius: 1 cluster in 1 region"), "{t}");
    let results: Vec<&str> = t.lines().filter(|l| l.starts_with("prod/")).collect();
    assert_eq!(results.len(), 1, "one result per region rolled back: {t}");
    assert!(
        results[0].starts_with("prod/us-east-1/prod-use1: rolled back"),
        "{t}"
    );
    let audit = demo_audit_lines(home.path());
    let actions: Vec<&serde_json::Value> = audit
        .iter()
        .filter(|l| l["phase"] == "started")
        .map(|l| &l["request"]["action"])
        .collect();
    assert_eq!(actions.len(), 1, "{audit:?}");
    assert!(
        actions.iter().all(|a| a["from_version"] == "1.16.8"),
        "the audit says which version was rolled back: {audit:?}"
    );
    // A version no production cluster has: refused, with what each runs.
    let out = run(&["--version", "9.9.9"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("no production cluster runs catalog/catalog-api 9.9.9 (prod-apse2 runs 1.16.7"),
        "{t}"
    );
    assert!(t.contains("nothing was sent"), "{t}");
}

/// An admission webhook's message is the API server's text, printed by the CLI: its escape
/// sequences (title, clear screen, clipboard), bidi overrides and zero-width characters reach
/// stdout and stderr only as `�`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admission_webhooks_message_cannot_drive_the_terminal() {
    let kube = FakeKube::start_with_yaml(include_str!("fixtures/kube/release-actions.yaml")).await;
    kube.set_user("lee@example.com");
    let hostile = "pwned\x1b]0;title\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07 \u{202E}evil\u{2066}x\u{2069}\u{200B}y\u{FEFF}z\u{061C}\u{9b}";
    kube.deny_writes("deployments", Some(hostile));
    let home = tempfile::tempdir().unwrap();
    let config = prod_config(home.path(), &kube, "");
    let args: Vec<String> = [
        "--config",
        config.to_str().unwrap(),
        "approve",
        "payments/billing",
        "--reason",
        "canary clean",
        "--yes",
    ]
    .map(String::from)
    .to_vec();
    let out = opsdeck_blocking(home.path(), args).await;
    let t = text(&out);
    assert!(!out.status.success(), "{t}");
    assert!(
        t.contains("denied the request") && t.contains("pwned"),
        "the message is shown, cleaned: {t}"
    );
    for stream in [&out.stdout, &out.stderr] {
        let s = String::from_utf8_lossy(stream);
        let bad: Vec<String> = s
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n')
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
                    || matches!(
                        c,
                        '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{061C}'
                    )
            })
            .map(|c| format!("U+{:04X}", c as u32))
            .collect();
        assert!(bad.is_empty(), "unsafe characters {bad:?} in {s:?}");
        assert!(!stream.contains(&0x1b) && !stream.contains(&0x07), "{s:?}");
    }
}
