//! Command line: `opsdeck` (the console), `snapshot`, the release actions (`approve`, `reject`,
//! `rollback`, `scale`, `hpa`, `checklist`: see `actions.rs`), `check-config`, `themes`,
//! `completions`.
//! Every user mistake ends here as a clear message and a non-zero exit, before the screen opens.

/// `println!` for text that may carry external strings (names, reasons, API and config
/// errors): cleaned line by line ([`crate::text_clean::clean_lines`]), so nothing from a
/// cluster or AWS reaches the terminal as an escape sequence, bidi override or zero-width
/// character. The command line prints through these two (JSON aside: serde escapes it).
macro_rules! say {
    ($($t:tt)*) => {
        println!("{}", $crate::text_clean::clean_lines(&format!($($t)*)))
    };
}

/// `eprintln!` for text that may carry external strings; see [`say!`].
macro_rules! say_err {
    ($($t:tt)*) => {
        eprintln!("{}", $crate::text_clean::clean_lines(&format!($($t)*)))
    };
}

pub mod actions;

use crate::app::Settings;
use crate::config::{self, Config, ConfigOrigin};
use crate::console::{self, ConsoleOptions, Fleet, LoopOptions};
use crate::keymap::Keymap;
use crate::paths::Paths;
use crate::source::demo::DemoWorld;
use crate::theme;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "opsdeck", version, about = "A terminal ops console for release engineers and incident responders", long_about = None)]
pub struct Cli {
    /// Configuration file (default: $OPSDECK_CONFIG, then the platform config directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Open the embedded demo fleet (simulated, no network), whatever the config says.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Seed for the demo fleet, for a reproducible simulation.
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Colour theme (see `opsdeck themes`).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Refuse every mutating action.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Testing aid: panic this many milliseconds after start (checks terminal restoration).
    #[arg(long, hide = true, value_name = "MS")]
    pub debug_panic_after_ms: Option<u64>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the aggregated fleet state once and exit.
    Snapshot {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Simulated seconds to run the demo fleet before printing.
        #[arg(long, default_value_t = 0, value_name = "SECS")]
        ticks: u32,
        /// Real clusters: print after every cluster answered, or after this many seconds.
        #[arg(long, default_value_t = 15, value_name = "SECS")]
        timeout: u32,
    },
    /// Approve a production gate (resumes the rollout when the policy is met).
    Approve(actions::Args),
    /// Reject a gate: the template goes back to what the available pods run and the deployment
    /// resumes (an Argo Rollout is aborted).
    Reject(actions::Args),
    /// Roll back as `kubectl rollout undo` does.
    Rollback {
        #[command(flatten)]
        args: actions::Args,
        /// Roll back to this revision instead of the previous one.
        #[arg(long, value_name = "N")]
        to_revision: Option<u64>,
        /// Every production cluster where the version being rolled back is deployed (running,
        /// rolling out or held at a gate), one result per region; the others are left alone.
        #[arg(long, conflicts_with = "cluster")]
        all_prod: bool,
        /// With --all-prod: the version to roll back (default: the newest any production
        /// cluster runs or rolls out).
        #[arg(long, value_name = "V", requires = "all_prod")]
        version: Option<String>,
    },
    /// Set replicas through the scale subresource.
    Scale {
        #[command(flatten)]
        args: actions::Args,
        #[arg(long, value_name = "N")]
        replicas: u32,
        #[command(flatten)]
        limits: actions::Limits,
    },
    /// Set the HPA's bounds.
    Hpa {
        #[command(flatten)]
        args: actions::Args,
        #[arg(long, value_name = "N")]
        min: u32,
        #[arg(long, value_name = "N")]
        max: u32,
        #[command(flatten)]
        limits: actions::Limits,
    },
    /// Set an EKS managed nodegroup's min/desired/max (UpdateNodegroupConfig). The positional
    /// argument is the nodegroup's name; --cluster is required.
    Nodegroup {
        #[command(flatten)]
        args: actions::Args,
        #[arg(long, value_name = "N")]
        min: u32,
        #[arg(long, value_name = "N")]
        desired: u32,
        #[arg(long, value_name = "N")]
        max: u32,
        #[command(flatten)]
        limits: actions::Limits,
    },
    /// Show a release's checklist, or tick an item of it.
    Checklist {
        #[command(flatten)]
        args: actions::Args,
        /// The item to tick, as the checklist names it, in any letter case (e.g. "Team
        /// notified"). Only items a person ticks; the console's verified items are refused.
        #[arg(long, value_name = "ITEM")]
        tick: Option<String>,
    },
    /// Validate the configuration and report every problem with file:line:col.
    CheckConfig,
    /// List the available themes.
    Themes,
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Entry point for the binary. `env_config` is `$OPSDECK_CONFIG` (may be non-UTF-8).
pub fn main_with(
    cli: Cli,
    paths: Paths,
    env_config: Option<std::ffi::OsString>,
    no_color: bool,
) -> ExitCode {
    match cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "opsdeck",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Some(Command::Themes) => {
            for name in theme::available_themes(user_themes_dir(&paths).as_deref()) {
                say!("{name}");
            }
            ExitCode::SUCCESS
        }
        Some(Command::CheckConfig) => check_config(cli.config.as_deref(), env_config, &paths),
        Some(Command::Snapshot {
            format,
            ticks,
            timeout,
        }) => {
            let config = match resolve_config(cli.config.as_deref(), env_config, &paths) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if let Some((_, config)) = config.as_ref().filter(|(_, c)| !c.is_demo() && !cli.demo) {
                // Talking to clusters is worth a log (in the data directory, never the terminal).
                let _log = crate::logging::init(
                    &config.logging.level,
                    config.logging.file.as_deref(),
                    paths.data_dir.as_deref(),
                );
                return snapshot_of_clusters(
                    config,
                    format,
                    Duration::from_secs(timeout.into()),
                    paths.cache_dir.clone(),
                );
            }
            let seed = cli
                .seed
                .or(config.as_ref().and_then(|(_, c)| c.demo.seed))
                .unwrap_or_else(random_seed);
            let now = jiff::Timestamp::now();
            let mut world = DemoWorld::generate(seed, now);
            for i in 1..=ticks {
                world.step(now + jiff::SignedDuration::from_secs(i as i64));
            }
            let fleet = world.to_fleet_state();
            let snap = crate::snapshot::build(&fleet, world.now);
            match format {
                Format::Json => println!("{}", crate::snapshot::to_json(&snap)),
                Format::Table => print!("{}", crate::snapshot::to_table(&snap)),
            }
            ExitCode::SUCCESS
        }
        Some(
            Command::Approve(_)
            | Command::Reject(_)
            | Command::Rollback { .. }
            | Command::Scale { .. }
            | Command::Hpa { .. }
            | Command::Nodegroup { .. }
            | Command::Checklist { .. },
        ) => actions::run(cli, paths, env_config),
        None => run_console(cli, paths, env_config, no_color),
    }
}

/// `snapshot` of the configured clusters, and of the AWS sources when the config uses AWS
/// (alarms, nodegroups, cost): collect until each answered (or the timeout), print.
fn snapshot_of_clusters(
    config: &crate::config::Config,
    format: Format,
    timeout: Duration,
    cache_dir: Option<PathBuf>,
) -> ExitCode {
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let clock: std::sync::Arc<dyn crate::clock::Clock> =
        std::sync::Arc::new(crate::clock::SystemClock);
    let expected = expected_sources(config);
    let aws = async {
        use crate::source::aws;
        if !aws::in_use(config) {
            return Vec::new();
        }
        let mut options = aws::Options::from_config(config, cache_dir);
        options.aws_config_text = aws::health::read_aws_config();
        aws::once::collect(aws::plan(config), options, clock.clone(), timeout).await
    };
    let kube = crate::source::kube::settle(
        console::configured_layout(config),
        crate::source::kube::targets(config),
        crate::source::kube::Timings::default(),
        clock.clone(),
        timeout,
    );
    let (mut fleet, aws_updates) = runtime.block_on(async { tokio::join!(kube, aws) });
    for u in aws_updates {
        fleet.apply(u);
    }
    runtime.shutdown_timeout(Duration::from_millis(100));
    let snap = crate::snapshot::build_expecting(&fleet, clock.now(), Some(&expected));
    match format {
        Format::Json => println!("{}", crate::snapshot::to_json(&snap)),
        Format::Table => print!("{}", crate::snapshot::to_table(&snap)),
    }
    if snap.complete {
        ExitCode::SUCCESS
    } else {
        // Printed in full, but a script must not take it for the whole truth.
        ExitCode::from(SNAPSHOT_INCOMPLETE)
    }
}

/// `opsdeck snapshot`'s exit code when a source failed, went stale or never answered.
pub const SNAPSHOT_INCOMPLETE: u8 = 3;

/// The sources a configured fleet's snapshot should hear from.
fn expected_sources(config: &crate::config::Config) -> crate::snapshot::Expected {
    use crate::source::aws;
    let plan = aws::plan(config);
    let targets = |ts: &[aws::eks::EksTarget]| -> Vec<crate::domain::ClusterId> {
        ts.iter().map(|t| t.cluster.clone()).collect()
    };
    crate::snapshot::Expected {
        clusters: crate::source::kube::targets(config)
            .into_iter()
            .map(|t| t.info.id)
            .collect(),
        alarms: plan.alarms.iter().map(|a| a.scope.label()).collect(),
        eks: plan.eks.iter().flat_map(|s| targets(&s.targets)).collect(),
        metrics: plan
            .metrics
            .iter()
            .flat_map(|s| targets(&s.targets))
            .collect(),
        cost: plan.cost.is_some(),
    }
}

fn user_themes_dir(paths: &Paths) -> Option<PathBuf> {
    paths.config_dir.as_ref().map(|d| d.join("themes"))
}

pub(crate) fn random_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    t.as_nanos() as u64 ^ std::process::id() as u64
}

/// The config in force, if any. Errors are printed here.
pub(crate) fn resolve_config(
    flag: Option<&Path>,
    env: Option<std::ffi::OsString>,
    paths: &Paths,
) -> Result<Option<(ConfigOrigin, Config)>, ExitCode> {
    let Some(origin) = config::locate(flag, env, paths.config_dir.as_deref()) else {
        return Ok(None);
    };
    match config::load_origin(&origin) {
        Ok(c) => Ok(Some((origin, c))),
        Err(e) => {
            say_err!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

fn check_config(flag: Option<&Path>, env: Option<std::ffi::OsString>, paths: &Paths) -> ExitCode {
    let Some(origin) = config::locate(flag, env, paths.config_dir.as_deref()) else {
        let where_ = paths
            .config_dir
            .as_ref()
            .map(|d| d.join("config.toml").display().to_string())
            .unwrap_or("(no platform config directory)".into());
        say!(
            "no config file found (looked at --config, $OPSDECK_CONFIG and {where_}); opsdeck opens the demo fleet"
        );
        return ExitCode::SUCCESS;
    };
    match config::load_origin(&origin) {
        Ok(c) => {
            let clusters: usize = c.environments.iter().map(|e| e.clusters.len()).sum();
            say!(
                "{origin}: ok ({} environments, {} regions, {clusters} clusters)",
                c.environments.len(),
                c.regions.len()
            );
            if let Err(e) = theme::load_theme(&c.ui.theme, user_themes_dir(paths).as_deref(), false)
            {
                say_err!("{}: ui.theme: {e}", origin.path().display());
                return ExitCode::from(1);
            }
            // Profiles the AWS SDK would not find: a warning (the files may be set up later).
            let text = std::fs::read_to_string(origin.path()).unwrap_or_default();
            let file = origin.path().display().to_string();
            for w in config::aws_profiles::unknown_profiles(&c, &text, &file, &aws_files()) {
                say_err!("{w}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            say_err!("{e}");
            ExitCode::from(1)
        }
    }
}

/// The AWS config and shared credentials files, where the SDK looks for them.
fn aws_files() -> config::aws_profiles::AwsFiles {
    use crate::source::aws::health::{aws_config_path, aws_credentials_path};
    let (config_path, credentials_path) = (aws_config_path(), aws_credentials_path());
    let read = |p: &Option<PathBuf>| p.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    config::aws_profiles::AwsFiles {
        config: read(&config_path),
        credentials: read(&credentials_path),
        config_path: config_path.map(|p| p.display().to_string()),
        credentials_path: credentials_path.map(|p| p.display().to_string()),
    }
}

fn run_console(
    cli: Cli,
    paths: Paths,
    env_config: Option<std::ffi::OsString>,
    no_color: bool,
) -> ExitCode {
    let config = match resolve_config(cli.config.as_deref(), env_config, &paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut cfg = config.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
    // `--read-only` reaches every place requests are made, the collectors' included.
    cfg.ui.read_only |= cli.read_only;
    let theme_name = cli.theme.clone().unwrap_or(cfg.ui.theme.clone());
    let theme = match theme::load_theme(&theme_name, user_themes_dir(&paths).as_deref(), no_color) {
        Ok(t) => t,
        Err(e) => {
            say_err!("opsdeck: {e}");
            return ExitCode::from(2);
        }
    };
    let keymap = match Keymap::load(paths.config_dir.as_deref()) {
        Ok(k) => k,
        Err(e) => {
            say_err!("opsdeck: {e}");
            return ExitCode::from(2);
        }
    };
    let _log = crate::logging::init(
        &cfg.logging.level,
        cfg.logging.file.as_deref(),
        paths.data_dir.as_deref(),
    );
    let demo = cli.demo || config.is_none() || cfg.is_demo();
    let fleet = if demo {
        let seed = cli.seed.or(cfg.demo.seed).unwrap_or_else(random_seed);
        Fleet::Demo {
            seed,
            tick: Duration::from_millis(cfg.demo.tick_ms.clamp(100, 60_000)),
        }
    } else {
        Fleet::Configured(Box::new(cfg.clone()))
    };
    tracing::info!(demo, theme = %theme.name, "starting console");
    let opts = ConsoleOptions {
        fleet,
        theme,
        keymap,
        settings: settings(&cfg, demo),
        // The demo's actions go to their own log, never the real fleets'.
        audit_log: paths.audit_log(demo),
        read_only_envs: cfg.read_only_envs(),
        loop_options: LoopOptions {
            max_fps: cfg.ui.max_fps,
            panic_after: cli.debug_panic_after_ms.map(Duration::from_millis),
            first_frame: None,
            metric_targets: None,
        },
        cache_dir: paths.cache_dir.clone(),
    };
    if let Err(e) = console::terminal::install_panic_hook() {
        say_err!("opsdeck: {e}");
    }
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = runtime.block_on(console::run_console(opts));
    // Input readers may still be parked on the (possibly gone) terminal: don't wait for them.
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not `eprintln!`: the error may be that the terminal went away, and then printing
            // it would panic.
            let _ = writeln!(
                std::io::stderr(),
                "opsdeck: {}",
                crate::text_clean::clean_lines(&e.to_string())
            );
            ExitCode::FAILURE
        }
    }
}

/// The person at the keyboard as the OS knows them (the cluster's identity is asked for when an
/// action is sent).
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The async runtime every command uses: two workers (the UI task runs on the main thread).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            say_err!("opsdeck: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        })
}

/// Settings for the console and the action subcommands, from the config.
pub(crate) fn settings(cfg: &Config, demo: bool) -> Settings {
    Settings {
        read_only: cfg.ui.read_only,
        stale_after_secs: cfg.ui.stale_after_secs,
        demo,
        user: local_user(),
        policies: cfg
            .environments
            .iter()
            .map(|e| (e.name.clone(), e.policy()))
            .collect(),
    }
}
