//! The command line, run as a user would: exit codes and messages for good and bad input.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Output};

fn opsdeck(args: &[&str]) -> Output {
    opsdeck_env(args, &[])
}

fn opsdeck_env(args: &[&str], env: &[(&str, &OsStr)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    cmd.args(args)
        .env("OPSDECK_HOME", home.path())
        .env_remove("OPSDECK_CONFIG")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn version_and_help() {
    let out = opsdeck(&["--version"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("opsdeck "));
    let out = opsdeck(&["--help"]);
    let help = text(&out.stdout);
    for word in [
        "snapshot",
        "check-config",
        "--demo",
        "--seed",
        "--theme",
        "--read-only",
        "--config",
    ] {
        assert!(help.contains(word), "{word} in help:\n{help}");
    }
    assert!(!help.contains("debug-panic"), "test aids stay hidden");
}

#[test]
fn snapshot_json_is_the_whole_fleet_and_reproducible_by_seed() {
    let out = opsdeck(&["snapshot", "--demo", "--seed", "5", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fleet"], "acme-demo");
    assert!(v["services"].as_array().unwrap().len() >= 30);
    assert_eq!(v["cells"].as_array().unwrap().len(), 6);
    assert_eq!(v["gates"].as_array().unwrap().len(), 1);
    assert!(v["cost"]["month_to_date_usd"].as_f64().unwrap() > 0.0);
    let again: serde_json::Value =
        serde_json::from_slice(&opsdeck(&["snapshot", "--seed", "5", "--format", "json"]).stdout)
            .unwrap();
    // Revision times are relative to the clock; everything else is the seed's.
    let timeless = |v: &serde_json::Value| {
        let mut v = v["services"].clone();
        for s in v.as_array_mut().unwrap() {
            for i in s["instances"].as_array_mut().unwrap() {
                for r in i["revisions"].as_array_mut().unwrap() {
                    r.as_object_mut().unwrap().remove("created");
                }
            }
        }
        v
    };
    assert_eq!(timeless(&v), timeless(&again), "same seed, same services");
    // The gated instance: what runs (stable and the one updated pod), what is pending, and
    // the revisions a rollback can go to.
    let gate = &v["gates"][0];
    let inst = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == gate["service"])
        .and_then(|s| {
            s["instances"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["cluster"] == gate["cluster"])
        })
        .unwrap();
    assert_eq!(inst["pending_version"], gate["version"], "{inst}");
    assert_ne!(inst["version"], gate["version"], "{inst}");
    let running = inst["running"].as_array().unwrap();
    assert_eq!(running.len(), 2, "{inst}");
    assert_eq!(running[0]["version"], gate["version"]);
    assert_eq!(running[0]["pods"], 1);
    assert!(inst["revisions"].as_array().unwrap().len() >= 2);
    assert!(inst["revisions"][0]["created"].is_string());
}

#[test]
fn snapshot_table_reads_as_text() {
    let out = opsdeck(&["snapshot", "--seed", "5", "--ticks", "30"]);
    assert!(out.status.success());
    let t = text(&out.stdout);
    assert!(
        t.contains("prod/eu-west-1 (prod)")
            && t.contains("GATES WAITING")
            && t.contains("checkout-api"),
        "{t}"
    );
    assert!(!t.contains('\x1b'), "no escape sequences in table output");
}

#[test]
fn check_config_reports_file_line_col_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[ui]\nmax_fps = \"fast\"\n").unwrap();
    let out = opsdeck(&["check-config", "--config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{}:2:", file.display())), "{err}");
    assert!(err.contains("hint"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn check_config_accepts_the_shipped_example() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config/example.toml");
    let out = opsdeck(&["check-config", "--config", example]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(": ok"));
}

#[test]
fn a_broken_config_stops_the_console_before_the_screen_opens() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[ui\n").unwrap();
    let out = opsdeck(&["--config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{}:1:", file.display())), "{err}");
    assert!(
        !text(&out.stdout).contains("\x1b[?1049h"),
        "the alternate screen never opened"
    );
}

#[test]
fn a_missing_config_file_is_named() {
    let out = opsdeck(&["--config", "/nonexistent/opsdeck.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/opsdeck.toml"));
    assert!(text(&out.stderr).contains("not found"));
}

#[test]
fn non_utf8_config_env_value_is_a_clear_error_not_a_panic() {
    let bad = OsStr::from_bytes(b"/tmp/\xff\xfe-opsdeck.toml");
    let out = opsdeck_env(&["check-config"], &[("OPSDECK_CONFIG", bad)]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("not found") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn unknown_theme_lists_the_available_ones() {
    let out = opsdeck(&["--demo", "--theme", "solarised"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for name in [
        "solarised",
        "dark",
        "light",
        "high-contrast",
        "ansi16",
        "mono",
    ] {
        assert!(err.contains(name), "{name} in: {err}");
    }
}

#[test]
fn themes_and_completions() {
    let out = opsdeck(&["themes"]);
    let names = text(&out.stdout);
    assert!(names.lines().count() >= 5 && names.contains("mono"));
    let out = opsdeck(&["completions", "bash"]);
    assert!(out.status.success() && text(&out.stdout).contains("check-config"));
}

#[test]
fn a_broken_user_keymap_is_reported_with_its_location() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/keymap.toml"),
        "[global]\nquitt = [\"q\"]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--demo"])
        .env("OPSDECK_HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("keymap.toml:2:") && err.contains("quit"),
        "{err}"
    );
}

#[test]
fn without_a_terminal_the_console_says_so_and_logs_to_a_file() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--demo"])
        .env("OPSDECK_HOME", home.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("needs an interactive terminal") && err.contains("opsdeck snapshot"),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing written to a non-terminal stdout"
    );
    let log = std::fs::read_to_string(home.path().join("data/opsdeck.log")).unwrap();
    assert!(log.contains("starting console"), "{log}");
}

#[test]
fn check_config_warns_about_an_aws_profile_the_aws_files_do_not_define() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        "regions = [\"eu-west-1\"]\n[[environments]]\nname = \"prod\"\n\
         aws_profile = \"acme-prod\"\n[[environments.clusters]]\nname = \"a\"\n\
         region = \"eu-west-1\"\ncontext = \"a\"\naws_profile = \"acme-typo\"\n\
         [[environments]]\nname = \"ci\"\naws_profile = \"ci-keys\"\n",
    )
    .unwrap();
    let aws_config = dir.path().join("aws-config");
    std::fs::write(&aws_config, "[profile acme-prod]\nsso_session = acme\n").unwrap();
    let aws_credentials = dir.path().join("aws-credentials");
    std::fs::write(&aws_credentials, "[ci-keys]\naws_access_key_id = x\n").unwrap();
    let out = opsdeck_env(
        &["check-config", "--config", file.to_str().unwrap()],
        &[
            ("AWS_CONFIG_FILE", aws_config.as_os_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", aws_credentials.as_os_str()),
        ],
    );
    // A warning: the config itself is valid.
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].starts_with(&format!(
            "{}:9:15: warning: AWS profile `acme-typo` is not defined in {} or {}",
            file.display(),
            aws_config.display(),
            aws_credentials.display()
        )),
        "{err}"
    );
    assert!(err.contains("hint: add `[profile acme-typo]`"), "{err}");
}
