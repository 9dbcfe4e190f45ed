//! Release actions from the command line: `opsdeck approve|reject|rollback|scale|hpa|checklist`.
//! The same plan, policy, confirmation, audit log and executor as the console. `--yes` skips
//! the question, never the policy or read-only.

use super::{Cli, Command, random_seed, resolve_config, runtime, settings};
use crate::actions::preview::preview;
use crate::actions::{Action, Target};
use crate::app::dialog::{policy_check, release_stage};
use crate::app::{Effect, Msg, Perform, State};
use crate::clock::{Clock, SystemClock};
use crate::console::Executor;
use crate::domain::resolve::{
    CLUSTER_HINT, Candidate, cluster_candidate, resolve, resolve_cluster, resolve_service,
};
use crate::domain::{FleetState, SourceUpdate, WorkloadKey, release_checklist, tickable_item};
use crate::keymap::Keymap;
use crate::paths::Paths;
use crate::source::{aws, demo, kube};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The service: NAME or NAMESPACE/NAME.
    pub service: String,
    /// The cluster: NAME (e.g. prod-euw1), ENV/NAME or ENV/REGION/NAME. Needed when the
    /// service runs in more than one; a NAME that more than one cluster has is refused.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Why: recorded with the action (required by policy in production).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Do not ask for confirmation (for scripts). Policy and read-only still apply.
    #[arg(long)]
    pub yes: bool,
    /// Real clusters: how long to wait for them to answer, in seconds.
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub timeout: u32,
}

/// Scaling past the environment's limits (`policy.min_replicas`, `policy.max_scale_factor`):
/// each flag names the one limit it overrides; neither skips the reason, the typed
/// confirmation or read-only.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Limits {
    /// Go below the environment's min_replicas (in production: scale to 0, or empty a
    /// nodegroup).
    #[arg(long)]
    pub allow_scale_to_zero: bool,
    /// Scale by more than the environment's max_scale_factor (production: 5×), up or down.
    #[arg(long)]
    pub allow_large_scale: bool,
}

impl Limits {
    fn overrides(self) -> crate::actions::policy::Overrides {
        crate::actions::policy::Overrides {
            scale_to_zero: self.allow_scale_to_zero,
            large_scale: self.allow_large_scale,
        }
    }
}

/// Run one action subcommand. Exit 0 when every target succeeded, 1 when refused (a name that
/// is unknown or could mean several targets included) or failed, 2 for a malformed command.
pub fn run(cli: Cli, paths: Paths, env_config: Option<std::ffi::OsString>) -> ExitCode {
    let config = match resolve_config(cli.config.as_deref(), env_config, &paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let mut cfg = config.as_ref().map(|(_, c)| c.clone()).unwrap_or_default();
    cfg.ui.read_only |= cli.read_only;
    let demo_fleet = cli.demo || config.is_none() || cfg.is_demo();
    let _log = crate::logging::init(
        &cfg.logging.level,
        cfg.logging.file.as_deref(),
        paths.data_dir.as_deref(),
    );
    let seed = cli.seed.or(cfg.demo.seed).unwrap_or_else(random_seed);
    let Some(command) = cli.command else {
        return ExitCode::from(2);
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let settings = settings(&cfg, demo_fleet);
    let code = runtime.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (reply_tx, mut replies) = mpsc::channel(64);
        let mut executor = Executor {
            reply: Some(reply_tx),
            clock: Some(clock.clone()),
            read_only: cfg.ui.read_only,
            read_only_envs: cfg.read_only_envs(),
            // The demo's actions go to their own log, never the real fleets'.
            audit: paths
                .audit_log(demo_fleet)
                .map(|p| Arc::new(crate::actions::audit::AuditLog::new(p))),
            ..Executor::default()
        };
        let (source_tx, mut source_rx) = mpsc::channel(1024);
        let fleet = if demo_fleet {
            say_err!("opsdeck: demo fleet (simulated: nothing persists after this command)");
            let mut world = demo::DemoWorld::generate(seed, clock.now());
            let fleet = world.to_fleet_state();
            let handle = demo::spawn(world, Duration::from_secs(1), clock.clone(), source_tx);
            executor.demo = Some(handle.control);
            tokio::spawn(async move { while source_rx.recv().await.is_some() {} });
            fleet
        } else {
            let targets = kube::targets(&cfg);
            let expected = targets.len();
            let (_, clusters) = kube::spawn_with_actions(
                targets,
                kube::Timings::default(),
                clock.clone(),
                source_tx,
            );
            executor.clusters = clusters;
            let mut fleet = FleetState::default();
            fleet.apply(SourceUpdate::Layout(crate::console::configured_layout(
                &cfg,
            )));
            let deadline = Duration::from_secs(args_of(&command).timeout.into());
            kube::settle_into(&mut fleet, &mut source_rx, expected, deadline).await;
            tokio::spawn(async move { while source_rx.recv().await.is_some() {} });
            executor.eks = aws::clients::EksEndpoint::all(&cfg);
            if matches!(command, Command::Nodegroup { .. }) && aws::in_use(&cfg) {
                // Nodegroups are EKS's: describe them once (no alarms, no cost).
                let mut plan = aws::plan(&cfg);
                plan.alarms.clear();
                plan.cost = None;
                let options = aws::Options::from_config(&cfg, paths.cache_dir.clone());
                for u in aws::once::collect(plan, options, clock.clone(), deadline).await {
                    fleet.apply(u);
                }
            }
            fleet
        };
        let mut state = State::new(Keymap::default(), settings, clock.now());
        state.fleet = fleet;
        act(&mut state, &command, &mut executor, &mut replies).await
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
    code
}

fn args_of(c: &Command) -> &Args {
    match c {
        Command::Approve(a) | Command::Reject(a) => a,
        Command::Rollback { args, .. }
        | Command::Scale { args, .. }
        | Command::Hpa { args, .. }
        | Command::Nodegroup { args, .. }
        | Command::Checklist { args, .. } => args,
        _ => unreachable!("only action subcommands come here"),
    }
}

async fn act(
    state: &mut State,
    command: &Command,
    executor: &mut Executor,
    replies: &mut mpsc::Receiver<Msg>,
) -> ExitCode {
    let args = args_of(command);
    if let Command::Nodegroup {
        min,
        desired,
        max,
        limits,
        ..
    } = command
    {
        let Some(cluster) = args.cluster.as_deref() else {
            say_err!("opsdeck: --cluster is required for a nodegroup");
            return ExitCode::from(2);
        };
        let target = match nodegroup_target(&state.fleet, &args.service, cluster) {
            Ok(t) => t,
            Err(why) => {
                say_err!("opsdeck: refused: {why}; nothing was sent");
                return ExitCode::FAILURE;
            }
        };
        let action = Action::ScaleNodegroup {
            min: *min,
            desired: *desired,
            max: *max,
            reason: args.reason.clone(),
            allow: limits.overrides(),
        };
        return confirm_and_send(state, args, vec![target], action, executor, replies).await;
    }
    let key = match resolve_service(&state.fleet, &args.service) {
        Ok(k) => k,
        Err(why) => {
            say_err!("opsdeck: refused: {why}; nothing was sent");
            return ExitCode::FAILURE;
        }
    };
    let resolved = match command {
        Command::Rollback {
            all_prod: true,
            version,
            ..
        } => crate::actions::scope::prod_rollback(&state.fleet, &key, version.as_deref())
            .map(|s| (s.targets, Some(s.version))),
        _ => resolve_targets(&state.fleet, &key, args.cluster.as_deref()).map(|t| (t, None)),
    };
    let (targets, from_version) = match resolved {
        Ok(t) => t,
        Err(why) => {
            say_err!("opsdeck: refused: {why}; nothing was sent");
            return ExitCode::FAILURE;
        }
    };
    let reason = args.reason.clone();
    let action = match command {
        Command::Approve(_) => Action::Approve { reason },
        Command::Reject(_) => Action::Reject { reason },
        Command::Rollback { to_revision, .. } => Action::Rollback {
            to_revision: *to_revision,
            reason,
            from_version,
        },
        Command::Scale {
            replicas, limits, ..
        } => Action::Scale {
            replicas: *replicas,
            reason,
            allow: limits.overrides(),
        },
        Command::Hpa {
            min, max, limits, ..
        } => Action::ScaleHpa {
            min: *min,
            max: *max,
            reason,
            allow: limits.overrides(),
        },
        Command::Checklist { tick, .. } => {
            let Some((row, i)) = release_stage(&state.fleet, &targets[0]) else {
                say_err!("opsdeck: no release of {key} to show a checklist for");
                return ExitCode::from(2);
            };
            let version = row.candidate(i).unwrap_or("").to_string();
            let Some(item) = tick else {
                say!("checklist of {key} {version} in {}", targets[0].cluster);
                for item in release_checklist(&state.fleet, row, i) {
                    use crate::domain::CheckState;
                    let (mark, how) = match &item.state {
                        CheckState::Verified(d) => ("x", format!("verified: {d}")),
                        CheckState::Failed(d) => (" ", format!("not met: {d}")),
                        CheckState::NotTicked => (" ", "open".to_string()),
                        CheckState::Ticked { who, at } => (
                            "x",
                            format!("ticked by {who} at {}", at.strftime("%Y-%m-%d %H:%M UTC")),
                        ),
                    };
                    let line = format!("[{mark}] {} — {how}", item.label);
                    say!("{line}");
                }
                return ExitCode::SUCCESS;
            };
            // A person-tickable item of this checklist, in any letter case; a typo or an item
            // the console verifies is refused here, before anything is planned or sent.
            let label = match tickable_item(&state.fleet, row, i, item) {
                Ok(label) => label,
                Err(why) => {
                    say_err!("opsdeck: refused: {why}; nothing was ticked");
                    return ExitCode::FAILURE;
                }
            };
            Action::TickChecklist {
                item: label.to_string(),
                version,
                reason,
            }
        }
        _ => unreachable!("only action subcommands come here"),
    };
    confirm_and_send(state, args, targets, action, executor, replies).await
}

/// Plan, policy, confirmation, then the executor; one result line per target.
async fn confirm_and_send(
    state: &State,
    args: &Args,
    targets: Vec<Target>,
    action: Action,
    executor: &mut Executor,
    replies: &mut mpsc::Receiver<Msg>,
) -> ExitCode {
    let p = preview(&state.fleet, &targets, &action);
    say!("{}{}", if p.production { "[PROD] " } else { "" }, p.title);
    for line in &p.lines {
        say!("  {line}");
    }
    if let Some(why) = &p.blocked {
        say_err!("opsdeck: refused: {why}");
        return ExitCode::FAILURE;
    }
    for t in &p.targets {
        if let Err(why) = policy_check(state, t, &action) {
            say_err!("opsdeck: refused by policy: {why}");
            return ExitCode::FAILURE;
        }
    }
    if !args.yes && !confirmed(p.confirm_word.as_deref()) {
        say_err!("opsdeck: not confirmed: nothing was sent");
        return ExitCode::FAILURE;
    }
    let performs: Vec<Perform> = p
        .targets
        .iter()
        .map(|t| Perform {
            request: crate::actions::ActionRequest {
                target: t.clone(),
                action: action.clone(),
                who: state.settings.user.clone(),
                local_user: state.settings.user.clone(),
            },
            before: p.before(t),
            production: state
                .fleet
                .clusters()
                .get(&t.cluster)
                .is_some_and(|c| state.fleet.layout().is_production(&c.info.env)),
        })
        .collect();
    let n = performs.len();
    executor.run(Effect::Perform(performs));
    let mut failed = 0;
    for _ in 0..n {
        match tokio::time::timeout(Duration::from_secs(60), replies.recv()).await {
            Ok(Some(Msg::ActionDone { request, result })) => match result {
                Ok(o) => say!("{}: {}", request.target.cluster, o.summary),
                Err(e) => {
                    failed += 1;
                    say!("{}: not done: {e}", request.target.cluster);
                }
            },
            _ => {
                say_err!("opsdeck: no answer within 60 s; see the audit log");
                return ExitCode::FAILURE;
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Ask on the terminal. Production: type the service name. No terminal: no.
fn confirmed(word: Option<&str>) -> bool {
    if !std::io::stdin().is_terminal() {
        say_err!("opsdeck: no terminal to confirm on; pass --yes to confirm in a script");
        return false;
    }
    let prompt = match word {
        Some(w) => format!("production: type {w} to confirm: "),
        None => "proceed? [y/N] ".to_string(),
    };
    eprint!("{}", crate::text_clean::clean(&prompt));
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    match word {
        Some(w) => line.trim() == w,
        None => matches!(line.trim(), "y" | "Y" | "yes"),
    }
}

/// A nodegroup by name in the named cluster, as EKS (or the demo) describes it.
fn nodegroup_target(fleet: &FleetState, name: &str, cluster: &str) -> Result<Target, String> {
    let c = resolve_cluster(fleet, cluster)?;
    if c.nodegroups.is_empty() {
        return Err(format!(
            "EKS describes no nodegroups of {} (is eks_cluster set for it?)",
            c.info.id
        ));
    }
    let candidates = c
        .nodegroups
        .iter()
        .map(|g| Candidate {
            spellings: vec![g.name.clone()],
            value: g.name.as_str(),
        })
        .collect();
    let group = resolve(
        &format!("nodegroup of {}", c.info.id),
        Some(name),
        candidates,
        "name it exactly",
    )?;
    Ok(Target::nodegroup(c.info.id.clone(), group))
}

/// The cluster an action on `key` goes to: the one `--cluster` names (unique in the whole
/// fleet, and running the service), or the only cluster running it. Anything else is refused
/// with the candidates. (`rollback --all-prod` goes through `scope::prod_rollback`.)
fn resolve_targets(
    fleet: &FleetState,
    key: &WorkloadKey,
    cluster: Option<&str>,
) -> Result<Vec<Target>, String> {
    let c = match cluster {
        Some(name) => {
            let c = resolve_cluster(fleet, name)?;
            if !c.workloads.contains_key(key) {
                return Err(format!("{key} does not run in cluster {}", c.info.id));
            }
            c
        }
        None => {
            let running = fleet
                .clusters()
                .values()
                .filter(|c| c.workloads.contains_key(key))
                .map(cluster_candidate)
                .collect();
            resolve(
                &format!("cluster running {key}"),
                None,
                running,
                CLUSTER_HINT,
            )?
        }
    };
    Ok(vec![Target {
        cluster: c.info.id.clone(),
        workload: key.clone(),
        kind: c.workloads[key].kind.into(),
    }])
}
