//! The shipped config files parse, and every broken config in `tests/fixtures/invalid_configs/`
//! fails with the message its `.expected` file describes. Adding a case is adding two files:
//! `NAME.toml` (one problem) and `NAME.expected` (substrings of the error, one per line).

use opsdeck::config::{self, Config, ConfigOrigin};
use std::fs;
use std::path::{Path, PathBuf};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `*.toml` files in a folder, sorted so failures come out in a stable order.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_config_parses() {
    let files = toml_files(&repo("config"));
    assert!(
        files.len() >= 2,
        "expected at least default.toml and example.toml"
    );
    for file in files {
        // keymap.toml belongs to the keymap module, with its own format and tests.
        if file.file_name().is_some_and(|n| n == "keymap.toml") {
            continue;
        }
        if let Err(e) = config::load(&file) {
            panic!("{} does not load:\n{e}", file.display());
        }
    }
}

#[test]
fn default_config_is_exactly_the_defaults() {
    let parsed = config::parse(config::DEFAULT_CONFIG_TOML, "default.toml").unwrap();
    assert_eq!(parsed, Config::default());
    assert!(parsed.is_demo());
    // The embedded copy is the file in the repository.
    assert_eq!(
        fs::read_to_string(repo("config/default.toml")).unwrap(),
        config::DEFAULT_CONFIG_TOML
    );
}

#[test]
fn example_config_is_a_real_multi_account_fleet() {
    let c = config::load(&repo("config/example.toml")).unwrap();
    assert!(!c.is_demo());
    let names: Vec<&str> = c.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    assert_eq!(c.regions, ["us-east-1", "eu-west-1", "ap-southeast-2"]);
    let prod = &c.environments[2];
    assert!(prod.production && !c.environments[0].production);
    let mut profiles: Vec<_> = c
        .environments
        .iter()
        .map(|e| e.aws_profile.clone())
        .collect();
    profiles.dedup();
    assert_eq!(
        profiles.len(),
        3,
        "each environment has its own AWS profile"
    );
    for env in &c.environments {
        assert_eq!(
            env.clusters.len(),
            c.regions.len(),
            "{}: one cluster per region",
            env.name
        );
        for cl in &env.clusters {
            let ctx = cl.context.as_deref().unwrap();
            assert!(
                ctx.starts_with(&format!("arn:aws:eks:{}:", cl.region)),
                "{ctx}"
            );
            assert!(cl.eks_cluster.is_some() && !cl.namespaces.is_empty());
        }
    }
}

#[test]
fn every_invalid_config_fails_with_its_expected_message() {
    let dir = repo("tests/fixtures/invalid_configs");
    let files = toml_files(&dir);
    assert!(files.len() >= 10, "only {} invalid configs", files.len());
    let mut failures = Vec::new();
    for file in files {
        let expected_file = file.with_extension("expected");
        let expected = fs::read_to_string(&expected_file)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_file.display()));
        let wanted: Vec<&str> = expected
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert!(!wanted.is_empty(), "{} is empty", expected_file.display());
        let err = match config::load(&file) {
            Ok(_) => {
                failures.push(format!("{} loaded without error", file.display()));
                continue;
            }
            Err(e) => e,
        };
        let shown = err.to_string();
        if err.problems.len() != 1 {
            failures.push(format!(
                "{}: expected one problem, got:\n{shown}",
                file.display()
            ));
        }
        for want in wanted {
            if !shown.contains(want) {
                failures.push(format!("{}: missing {want:?} in:\n{shown}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn config_semantic_problems_are_all_reported_at_once() {
    let text = "regions = [\"a\", \"a\"]\n[ui]\nmax_fps = 0\n[demo]\ntick_ms = 1\n\
                [[environments]]\nname = \"x\"\n[[environments]]\nname = \"x\"\n";
    let err = config::parse(text, "multi.toml").unwrap_err();
    assert_eq!(err.problems.len(), 4, "{err}");
    let lines: Vec<_> = err.problems.iter().map(|p| p.line.unwrap()).collect();
    assert_eq!(lines, [3, 5, 1, 9]);
}

#[test]
fn missing_or_directory_config_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let err = config::load_origin(&ConfigOrigin::Flag(missing.clone()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&format!(
        "{}: error: config file not found",
        missing.display()
    )));
    assert!(err.contains("--config"), "{err}");
    let err = config::load_origin(&ConfigOrigin::Env(missing))
        .unwrap_err()
        .to_string();
    assert!(err.contains("$OPSDECK_CONFIG"), "{err}");

    let err = config::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("is a directory"), "{err}");
    assert!(err.contains("config.toml"), "{err}");
}

#[test]
fn an_environments_waves_reach_the_fleet_layout() {
    let c = config::load(&repo("config/example.toml")).unwrap();
    let layout = opsdeck::console::configured_layout(&c);
    let prod = layout.env("prod").unwrap();
    assert_eq!(
        prod.waves,
        [vec!["us-east-1"], vec!["eu-west-1", "ap-southeast-2"]]
    );
    assert_eq!(prod.wave_of("eu-west-1"), Some(1));
    assert!(layout.env("dev").unwrap().waves.is_empty());
}
