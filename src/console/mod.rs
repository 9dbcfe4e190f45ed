//! The interactive console: wires sources, input, signals and the UI loop together.

pub mod event_loop;
pub mod executor;
pub mod input;
pub mod quiet_backend;
pub mod terminal;

pub use event_loop::{LoopOptions, LoopStats, run};
pub use executor::Executor;

use crate::app::{Msg, Settings, State};
use crate::clock::{Clock, SystemClock};
use crate::domain::{EnvInfo, FleetLayout, SourceUpdate};
use crate::keymap::Keymap;
use crate::source::demo::{self, DemoWorld};
use crate::source::{aws, kube};
use crate::theme::Theme;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Capacity of the one channel into the UI task; sources wait when it is full (backpressure).
pub const CHANNEL_CAPACITY: usize = 1024;

/// What feeds the console.
#[derive(Debug, Clone)]
pub enum Fleet {
    Demo {
        seed: u64,
        tick: Duration,
    },
    /// Configured clusters, each watched by its own collector.
    Configured(Box<crate::config::Config>),
}

pub struct ConsoleOptions {
    pub fleet: Fleet,
    pub theme: Theme,
    pub keymap: Keymap,
    pub settings: Settings,
    pub loop_options: LoopOptions,
    /// Where actions are recorded before they are sent (None: actions are refused).
    pub audit_log: Option<std::path::PathBuf>,
    pub read_only_envs: std::collections::HashSet<crate::domain::EnvName>,
    /// The platform cache folder (Cost Explorer answers are cached there).
    pub cache_dir: Option<std::path::PathBuf>,
}

/// Run the console in the real terminal until the user quits or the terminal goes away.
pub async fn run_console(mut opts: ConsoleOptions) -> color_eyre::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let Wired {
        tx,
        rx,
        mut executor,
    } = wire(&mut opts, clock.clone()).await?;
    input::spawn_signals(tx.clone());
    let mut term = terminal::enter().map_err(|e| {
        color_eyre::eyre::eyre!(
            "cannot open the terminal ({e}); the console needs an interactive terminal — for scripts use `opsdeck snapshot`"
        )
    })?;
    input::spawn_terminal_input(tx.clone());
    input::spawn_terminal_watch(tx.clone(), Duration::from_millis(500));
    drop(tx);
    let state = State::new(opts.keymap, opts.settings, clock.now());
    let mut stats = LoopStats::default();
    let result = run(
        &mut term,
        state,
        &opts.theme,
        rx,
        &mut executor,
        opts.loop_options,
        &mut stats,
    )
    .await;
    terminal::leave(term);
    tracing::info!(
        frames = stats.frames,
        messages = stats.messages,
        "console stopped"
    );
    if let Err(e) = &result {
        // Also in the log: when the terminal went away, stderr went with it.
        tracing::error!(error = %e, "console failed");
    }
    result?;
    Ok(())
}

/// A console's own channel, sources and executor, running but not yet drawing.
pub struct Wired {
    /// For whatever else feeds this console (the terminal's keys, signals); the sources and the
    /// clock ticks hold their own clones.
    pub tx: mpsc::Sender<Msg>,
    /// What the UI loop (`run`) reads.
    pub rx: mpsc::Receiver<Msg>,
    pub executor: Executor,
}

/// Start everything a console owns apart from its terminal: the channel, the fleet's sources
/// (the demo simulator or the configured collectors), the audit log's history, the clock ticks
/// and the executor that routes effects to those sources. Nothing here is shared with another
/// console: two of them run side by side in one process (`tests/end_to_end.rs`).
pub async fn wire(opts: &mut ConsoleOptions, clock: Arc<dyn Clock>) -> color_eyre::Result<Wired> {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let mut executor = Executor {
        reply: Some(tx.clone()),
        clock: Some(clock.clone()),
        read_only: opts.settings.read_only,
        read_only_envs: opts.read_only_envs.clone(),
        audit: opts
            .audit_log
            .clone()
            .map(|p| Arc::new(crate::actions::audit::AuditLog::new(p))),
        ..Executor::default()
    };
    if let Some(audit) = executor.audit.clone() {
        // Earlier actions, incomplete ones included, for the Activity view; off the UI task.
        let tx = tx.clone();
        tokio::spawn(async move {
            if let Ok(Ok(records)) = tokio::task::spawn_blocking(move || audit.read()).await
                && !records.is_empty()
            {
                let _ = tx.send(Msg::ActivityLoaded(records)).await;
            }
        });
    }
    match &opts.fleet {
        Fleet::Demo { seed, tick } => {
            let (seed, tick, clock2, tx2) = (*seed, *tick, clock.clone(), tx.clone());
            // Generating the world is quick but not free: do it off the UI task so the first
            // frame is not delayed by it.
            let (ctl_tx, ctl_rx) = mpsc::channel(16);
            tokio::spawn(async move {
                let now = clock2.now();
                let world =
                    tokio::task::spawn_blocking(move || DemoWorld::generate(seed, now)).await;
                if let Ok(world) = world {
                    demo::run(world, tick, clock2, tx2, ctl_rx).await;
                }
            });
            executor.demo = Some(ctl_tx);
        }
        Fleet::Configured(config) => {
            tx.send(Msg::Source(SourceUpdate::Layout(configured_layout(config))))
                .await?;
            // Opened at the first frame, for the AWS sources and the clusters reached through EKS.
            let (aws_gate, aws_gate_rx) = tokio::sync::watch::channel(false);
            // ctrl-r reaches every source through this (see `source::refresh`): the clusters
            // relist, the AWS pollers poll.
            let (refresh, refreshes) = tokio::sync::watch::channel(0u64);
            executor.refresh = Some(refresh);
            let (_, clusters) = kube::spawn_refreshable(
                kube::targets(config),
                kube::Timings::default(),
                clock.clone(),
                tx.clone(),
                Some(aws_gate_rx),
                Some(refreshes.clone()),
            );
            executor.clusters = clusters;
            executor.eks = aws::clients::EksEndpoint::all(config);
            // AWS sources wait for the first frame: nothing AWS-related runs before it.
            let mut plan = aws::plan(config);
            if aws::in_use(config) {
                let first_frame = Arc::new(tokio::sync::Notify::new());
                opts.loop_options.first_frame = Some(first_frame.clone());
                let mut options = aws::Options::from_config(config, opts.cache_dir.clone());
                let clock2 = clock.clone();
                let tx2 = tx.clone();
                let (targets, watched) = tokio::sync::watch::channel(Vec::new());
                if !plan.metrics.is_empty() {
                    opts.loop_options.metric_targets = Some(targets);
                }
                tokio::spawn(async move {
                    first_frame.notified().await;
                    let _ = aws_gate.send(true);
                    options.aws_config_text =
                        tokio::task::spawn_blocking(aws::health::read_aws_config)
                            .await
                            .ok()
                            .flatten();
                    let metrics = std::mem::take(&mut plan.metrics);
                    aws::spawn_metrics(
                        metrics,
                        options.clone(),
                        clock2.clone(),
                        watched,
                        tx2.clone(),
                        Some(refreshes.clone()),
                    );
                    aws::spawn_with_refresh(plan, options, clock2, tx2, Some(refreshes));
                });
            }
        }
    }
    input::spawn_ticker(tx.clone(), clock, Duration::from_secs(1));
    Ok(Wired { tx, rx, executor })
}

/// The configured fleet's rows and columns; the clusters announce themselves.
pub fn configured_layout(config: &crate::config::Config) -> FleetLayout {
    FleetLayout {
        name: config.fleet.name.clone(),
        envs: config
            .environments
            .iter()
            .map(|e| EnvInfo {
                name: e.name.clone(),
                production: e.production,
                read_only: e.read_only,
                waves: e.waves.clone(),
            })
            .collect(),
        regions: config.regions.clone(),
    }
}
