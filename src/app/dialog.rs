//! The action flow in the reducer: open a dialog for the selected instance, take the reason
//! (and, in production, the typed service name), check the policy, and emit `Effect::Perform`.
//! Results come back as `Msg::ActionDone` and land in the activity list.

use super::effect::{Effect, Perform};
use super::queries::{release, selected_index};
use super::state::{ActivityEntry, ActivityStatus, Dialog, DialogField, State, View};
use crate::actions::policy::{CheckContext, Override, Overrides, ScaleFacts, check, scale_guard};
use crate::actions::preview::preview;
use crate::actions::{self as ops, ActionRequest, Target};
use crate::app::key::{KeyCode, KeyEvent, KeyModifiers};
use crate::domain::{FleetState, PipelineRow, open_items};

/// The instance the current screen is about: the selected instance of the service detail, or
/// the selected stage of the release detail.
pub fn action_target(state: &State) -> Option<Target> {
    let (key, cluster) = match state.view() {
        View::ServiceDetail(key) => {
            let row = state.fleet.service_row(key)?;
            let i = selected_index(state.ui.detail_selected, row.instances.len())?;
            (key.clone(), row.instances[i].cluster.clone())
        }
        View::Release(_) => {
            let (row, i) = release(state)?;
            (row.key.clone(), row.present().nth(i)?.cluster.clone())
        }
        _ => return None,
    };
    let kind = state
        .fleet
        .clusters()
        .get(&cluster)?
        .workloads
        .get(&key)?
        .kind;
    Some(Target {
        cluster,
        workload: key,
        kind: kind.into(),
    })
}

/// The pipeline row of a service and the index of the stage a cluster serves.
pub fn release_stage<'a>(fleet: &'a FleetState, t: &Target) -> Option<(&'a PipelineRow, usize)> {
    let row = fleet.pipeline_row(&t.workload)?;
    let i = row.present().position(|s| s.cluster == t.cluster)?;
    Some((row, i))
}

/// Open the dialog for `which` (a key or palette action), or say why not. On real clusters the
/// dialog asks them whether we may (RBAC) at once.
pub fn open(state: &mut State, which: super::Intent) -> Vec<Effect> {
    let notice = |state: &mut State, text: String| {
        state.ui.notice = Some((text, state.now));
        vec![]
    };
    if state.settings.read_only {
        return notice(
            state,
            "read-only: actions are disabled (--read-only / ui.read_only)".into(),
        );
    }
    if state.view() == &View::Capacity {
        return match which {
            super::Intent::Scale => open_nodegroup(state),
            _ => notice(state, "on Capacity, S scales the selected nodegroup".into()),
        };
    }
    let Some(target) = action_target(state) else {
        return notice(
            state,
            "open a service (enter) and pick an instance to act on it".into(),
        );
    };
    let env = state.fleet.clusters()[&target.cluster].info.env.clone();
    if state.fleet.layout().env(&env).is_some_and(|e| e.read_only) {
        return notice(
            state,
            format!("read-only: environment {env} does not allow actions"),
        );
    }
    let w = &state.fleet.clusters()[&target.cluster].workloads[&target.workload];
    let version = w
        .gate
        .as_ref()
        .map_or(w.template_version.clone(), |g| g.version.clone());
    let (desired, hpa) = (w.desired, w.hpa.clone());
    let mut items = Vec::new();
    let (action, fields) = match which {
        super::Intent::Approve => (
            ops::Action::Approve {
                reason: String::new(),
            },
            vec![],
        ),
        super::Intent::Reject => (
            ops::Action::Reject {
                reason: String::new(),
            },
            vec![],
        ),
        super::Intent::Rollback | super::Intent::RollbackProd => (
            ops::Action::Rollback {
                to_revision: None,
                reason: String::new(),
                from_version: None,
            },
            vec![],
        ),
        super::Intent::Scale => (
            ops::Action::Scale {
                replicas: desired,
                reason: String::new(),
                allow: Overrides::default(),
            },
            vec![DialogField::Replicas],
        ),
        super::Intent::ScaleHpa => {
            let Some(h) = hpa else {
                return notice(state, format!("{} has no HPA here", target.workload));
            };
            (
                ops::Action::ScaleHpa {
                    min: h.min,
                    max: h.max,
                    reason: String::new(),
                    allow: Overrides::default(),
                },
                vec![DialogField::Bounds],
            )
        }
        super::Intent::Tick => {
            let Some((row, i)) = release_stage(&state.fleet, &target) else {
                return notice(state, "no release to tick a checklist for".into());
            };
            // The open items a person ticks (monitoring too, where no alert source reports).
            items = crate::domain::release_checklist(&state.fleet, row, i)
                .into_iter()
                .filter(|item| !item.verified_by_console && !item.state.done())
                .map(|item| item.label.to_string())
                .collect();
            if items.is_empty() {
                return notice(
                    state,
                    "every checklist item a person ticks is ticked".into(),
                );
            }
            let version = row.candidate(i).unwrap_or(&version).to_string();
            (
                ops::Action::TickChecklist {
                    item: items[0].clone(),
                    version,
                    reason: String::new(),
                },
                vec![DialogField::Item],
            )
        }
        _ => return vec![],
    };
    let (action, targets) = if which == super::Intent::RollbackProd {
        match prod_rollback_scope(state, &target) {
            Ok(scope) => {
                let action = match action {
                    ops::Action::Rollback {
                        to_revision,
                        reason,
                        ..
                    } => ops::Action::Rollback {
                        to_revision,
                        reason,
                        from_version: Some(scope.version),
                    },
                    other => other,
                };
                (action, scope.targets)
            }
            Err(why) => return notice(state, format!("rollback of every prod region: {why}")),
        }
    } else {
        (action, vec![target])
    };
    let number = match &action {
        ops::Action::Scale { replicas, .. } => replicas.to_string(),
        ops::Action::ScaleHpa { min, max, .. } => format!("{min}..{max}"),
        _ => String::new(),
    };
    show(state, action, &targets, fields, number, items);
    if state.settings.demo {
        return vec![];
    }
    let d = state.ui.dialog.as_ref().expect("just opened");
    let asks = d
        .plan
        .targets
        .iter()
        .map(|t| ActionRequest {
            target: t.clone(),
            action: d.action.clone(),
            who: state.settings.user.clone(),
            local_user: state.settings.user.clone(),
        })
        .collect();
    vec![Effect::CheckAccess(asks)]
}

/// The nodegroup selected on the Capacity screen, with its bounds as EKS (or the demo) gives them.
pub fn selected_nodegroup(state: &State) -> Option<(Target, crate::domain::Bounds)> {
    use super::screens::{Capacity, ListScreen, selected_row};
    let lines = Capacity::rows(state);
    let line = lines[selected_row::<Capacity>(state, &lines)?];
    let g = &line.cluster.nodegroups[line.nodegroup?];
    Some((
        Target::nodegroup(line.cluster.cluster.clone(), &g.name),
        g.bounds?,
    ))
}

/// Scale the selected nodegroup: the dialog takes `min/desired/max`, prefilled. EKS decides
/// (IAM) when the request is sent, so there is no RBAC question to ask first.
fn open_nodegroup(state: &mut State) -> Vec<Effect> {
    let Some((target, b)) = selected_nodegroup(state) else {
        state.ui.notice = Some((
            "select a nodegroup that EKS describes (one with min/desired/max)".into(),
            state.now,
        ));
        return vec![];
    };
    let env = target.cluster.env.to_string();
    if state.fleet.layout().env(&env).is_some_and(|e| e.read_only) {
        state.ui.notice = Some((
            format!("read-only: environment {env} does not allow actions"),
            state.now,
        ));
        return vec![];
    }
    let action = ops::Action::ScaleNodegroup {
        min: b.min,
        desired: b.desired,
        max: b.max,
        reason: String::new(),
        allow: Overrides::default(),
    };
    let number = format!("{}/{}/{}", b.min, b.desired, b.max);
    show(
        state,
        action,
        &[target],
        vec![DialogField::Sizes],
        number,
        Vec::new(),
    );
    vec![]
}

/// Open the confirmation dialog for `action` on `targets`: the plan, the action's own fields,
/// then a reason and (production) the typed word; and what the policy will refuse, said at once
/// rather than after everything is typed.
fn show(
    state: &mut State,
    action: ops::Action,
    targets: &[Target],
    mut fields: Vec<DialogField>,
    number: String,
    items: Vec<String>,
) {
    let p = preview(&state.fleet, targets, &action);
    fields.push(DialogField::Reason);
    if p.confirm_word.is_some() {
        fields.push(DialogField::Confirm);
    }
    let warning = precheck(state, &p, &action);
    let mut d = Dialog {
        error: warning,
        action: action.clone(),
        plan: p,
        fields,
        field: 0,
        reason: String::new(),
        typed: String::new(),
        number,
        ack: String::new(),
        ack_needed: Vec::new(),
        items,
        item: 0,
        access: None,
    };
    sync_ack(state, &mut d, &action);
    state.ui.dialog = Some(d);
}

/// The environment's scaling limits `action` goes past on any target: each needs its word
/// typed in the `Acknowledge` field, which is shown (after the numbers) only while one does.
fn sync_ack(state: &State, d: &mut Dialog, action: &ops::Action) {
    let mut needed: Vec<Override> = Vec::new();
    let bare = action.clone().with_overrides(Overrides::default());
    for t in &d.plan.targets {
        let (Some(policy), Some(facts)) = (target_policy(state, t), scale_facts(state, t)) else {
            continue;
        };
        // Each limit in turn: granting one shows whether another is gone past too.
        let mut allow = Overrides::default();
        while let Err(r) = scale_guard(&policy, &bare.clone().with_overrides(allow), &facts) {
            let Some(o) = r.needs else { break };
            if !needed.contains(&o) {
                needed.push(o);
            }
            allow = allow.with(o);
        }
    }
    d.ack_needed = needed;
    let has = d.fields.contains(&DialogField::Acknowledge);
    if d.ack_needed.is_empty() && has {
        let i = d.fields.iter().position(|f| *f == DialogField::Acknowledge);
        if let Some(i) = i {
            d.fields.remove(i);
            if d.field > i {
                d.field -= 1;
            }
        }
        d.ack.clear();
    } else if !d.ack_needed.is_empty() && !has {
        let at = d
            .fields
            .iter()
            .position(|f| {
                matches!(
                    f,
                    DialogField::Replicas | DialogField::Bounds | DialogField::Sizes
                )
            })
            .map_or(0, |i| i + 1);
        d.fields.insert(at, DialogField::Acknowledge);
    }
}

/// The overrides whose words the person typed in the `Acknowledge` field.
fn typed_overrides(d: &Dialog) -> Overrides {
    let words: Vec<&str> = d
        .ack
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    [Override::ScaleToZero, Override::LargeScale]
        .into_iter()
        .filter(|o| words.contains(&o.word()))
        .fold(Overrides::default(), Overrides::with)
}

/// The policy of a target's environment.
fn target_policy(state: &State, t: &Target) -> Option<crate::actions::policy::Policy> {
    let cluster = state.fleet.clusters().get(&t.cluster)?;
    let env = &cluster.info.env;
    Some(
        state
            .settings
            .policy_for(env, state.fleet.layout().is_production(env)),
    )
}

/// What a scaling action on `t` changes, as the console holds it.
pub fn scale_facts(state: &State, t: &Target) -> Option<ScaleFacts> {
    let cluster = state.fleet.clusters().get(&t.cluster)?;
    if t.kind == ops::TargetKind::Nodegroup {
        let g = cluster
            .nodegroups
            .iter()
            .find(|g| g.name == t.workload.name)?;
        return Some(ScaleFacts::Nodegroup {
            min: g.min,
            desired: g.desired,
            max: g.max,
        });
    }
    let w = cluster.workloads.get(&t.workload)?;
    Some(ScaleFacts::Workload {
        desired: w.desired,
        hpa: w.hpa.as_ref().map(|h| (h.min, h.max)),
    })
}

/// A cluster answered the RBAC question for the open dialog.
pub fn access_checked(state: &mut State, request: ActionRequest, result: Result<(), String>) {
    let Some(d) = state.ui.dialog.as_mut() else {
        return;
    };
    if !d.plan.targets.contains(&request.target) || d.action.name() != request.action.name() {
        return;
    }
    // Any denial wins over other targets' permissions.
    if !matches!(d.access, Some(Err(_))) {
        d.access = Some(result.map_err(|why| format!("{}: {why}", request.target.cluster)));
    }
}

/// The policy's verdict before the person typed a reason (which it cannot judge yet).
fn precheck(
    state: &State,
    p: &crate::actions::preview::Preview,
    action: &ops::Action,
) -> Option<String> {
    let probe = action.clone().with_reason("-");
    p.targets
        .iter()
        .find_map(|t| policy_check(state, t, &probe).err())
}

/// The environment's policy for one target.
pub fn policy_check(state: &State, t: &Target, action: &ops::Action) -> Result<(), String> {
    let cluster = state
        .fleet
        .clusters()
        .get(&t.cluster)
        .ok_or_else(|| format!("{} is gone", t.cluster))?;
    let env = &cluster.info.env;
    let policy = state
        .settings
        .policy_for(env, state.fleet.layout().is_production(env));
    if t.kind == ops::TargetKind::Nodegroup {
        let ctx = CheckContext {
            now: state.now,
            who: &state.settings.user,
            gate: None,
            checklist_open: Vec::new(),
            scale: scale_facts(state, t),
        };
        return check(&policy, action, &ctx).map_err(|why| format!("{}: {why}", cluster.info.name));
    }
    let w = cluster
        .workloads
        .get(&t.workload)
        .ok_or_else(|| format!("{} is gone from {}", t.workload, cluster.info.name))?;
    let stage = release_stage(&state.fleet, t);
    if let ops::Action::TickChecklist { item, .. } = action {
        // Only a person-tickable item of this release's checklist, named exactly.
        let (row, i) = stage.ok_or_else(|| {
            format!(
                "{}: no release of {} to tick a checklist for",
                cluster.info.name, t.workload
            )
        })?;
        let label = crate::domain::tickable_item(&state.fleet, row, i, item)
            .map_err(|why| format!("{}: {why}", cluster.info.name))?;
        if label != item {
            return Err(format!(
                "{}: the checklist item is \"{label}\", not \"{item}\"",
                cluster.info.name
            ));
        }
    }
    let checklist_open = stage
        .map(|(row, i)| open_items(&state.fleet, row, i))
        .unwrap_or_default();
    let ctx = CheckContext {
        now: state.now,
        who: &state.settings.user,
        gate: w.gate.as_ref(),
        checklist_open,
        scale: scale_facts(state, t),
    };
    check(&policy, action, &ctx).map_err(|why| format!("{}: {why}", cluster.info.name))
}

/// `R`: the production clusters a rollback of the release's version touches. From the release
/// screen, the version is the release's (the selected stage's candidate) when some production
/// cluster has it deployed; otherwise, and from elsewhere, the newest version in production.
fn prod_rollback_scope(
    state: &State,
    target: &Target,
) -> Result<crate::actions::scope::ProdRollback, String> {
    use crate::actions::scope::prod_rollback;
    let release_version = match state.view() {
        View::Release(_) => release(state).and_then(|(row, i)| row.candidate(i)),
        _ => None,
    };
    release_version
        .and_then(|v| prod_rollback(&state.fleet, &target.workload, Some(v)).ok())
        .map_or_else(|| prod_rollback(&state.fleet, &target.workload, None), Ok)
}

/// Keys while the dialog is open: it has the keyboard.
pub fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(mut d) = state.ui.dialog.take() else {
        return vec![];
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => {
            state.ui.notice = Some(("cancelled: nothing was sent".into(), state.now));
            return vec![];
        }
        KeyCode::Tab | KeyCode::Down
            if d.current() != DialogField::Item || key.code == KeyCode::Tab =>
        {
            d.field = (d.field + 1) % d.fields.len()
        }
        KeyCode::BackTab | KeyCode::Up
            if d.current() != DialogField::Item || key.code == KeyCode::BackTab =>
        {
            d.field = (d.field + d.fields.len() - 1) % d.fields.len()
        }
        KeyCode::Down => d.item = (d.item + 1).min(d.items.len().saturating_sub(1)),
        KeyCode::Up => d.item = d.item.saturating_sub(1),
        KeyCode::Enter if d.field + 1 < d.fields.len() => d.field += 1,
        KeyCode::Enter => {
            return match submit(state, &d) {
                Ok(effects) => effects,
                Err(why) => {
                    d.error = Some(why);
                    state.ui.dialog = Some(d);
                    vec![]
                }
            };
        }
        KeyCode::Backspace => {
            text_of(&mut d).map(String::pop);
        }
        KeyCode::Char('u') if ctrl => {
            if let Some(t) = text_of(&mut d) {
                t.clear()
            }
        }
        KeyCode::Char(c) if !ctrl && !c.is_control() => {
            if let Some(t) = text_of(&mut d)
                && t.chars().count() < 200
            {
                t.push(c);
            }
        }
        _ => {}
    }
    d.error = None;
    // The plan follows the numbers as they are typed (replicas, HPA bounds, cost).
    if matches!(
        d.current(),
        DialogField::Replicas | DialogField::Bounds | DialogField::Sizes
    ) && let Ok(action) = confirmed_action(&d)
    {
        d.plan = preview(&state.fleet, &d.plan.targets, &action);
        sync_ack(state, &mut d, &action);
    }
    state.ui.dialog = Some(d);
    vec![]
}

fn text_of(d: &mut Dialog) -> Option<&mut String> {
    match d.current() {
        DialogField::Reason => Some(&mut d.reason),
        DialogField::Confirm => Some(&mut d.typed),
        DialogField::Replicas | DialogField::Bounds | DialogField::Sizes => Some(&mut d.number),
        DialogField::Acknowledge => Some(&mut d.ack),
        DialogField::Item => None,
    }
}

/// The action as confirmed: the person's inputs filled in.
fn confirmed_action(d: &Dialog) -> Result<ops::Action, String> {
    let action = match &d.action {
        ops::Action::Scale { reason, .. } => ops::Action::Scale {
            replicas: d
                .number
                .trim()
                .parse()
                .map_err(|_| format!("replicas: a whole number, not {:?}", d.number))?,
            reason: reason.clone(),
            allow: Overrides::default(),
        },
        ops::Action::ScaleHpa { reason, .. } => {
            let (min, max) = d
                .number
                .split_once("..")
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or_else(|| format!("HPA bounds: min..max, e.g. 3..12, not {:?}", d.number))?;
            ops::Action::ScaleHpa {
                min,
                max,
                reason: reason.clone(),
                allow: Overrides::default(),
            }
        }
        ops::Action::ScaleNodegroup { reason, .. } => {
            let sizes: Vec<u32> = d
                .number
                .split('/')
                .map(|n| n.trim().parse())
                .collect::<Result<_, _>>()
                .map_err(|_| format!("nodes: min/desired/max, e.g. 2/3/6, not {:?}", d.number))?;
            let [min, desired, max] = sizes[..] else {
                return Err(format!(
                    "nodes: min/desired/max, e.g. 2/3/6, not {:?}",
                    d.number
                ));
            };
            ops::Action::ScaleNodegroup {
                min,
                desired,
                max,
                reason: reason.clone(),
                allow: Overrides::default(),
            }
        }
        ops::Action::TickChecklist {
            version, reason, ..
        } => ops::Action::TickChecklist {
            item: d.items.get(d.item).cloned().unwrap_or_default(),
            version: version.clone(),
            reason: reason.clone(),
        },
        other => other.clone(),
    };
    Ok(action
        .with_reason(d.reason.trim())
        .with_overrides(typed_overrides(d)))
}

/// Confirm: re-plan with the inputs, check the typed word and the policy for every target.
fn submit(state: &mut State, d: &Dialog) -> Result<Vec<Effect>, String> {
    if let Some(Err(why)) = &d.access {
        return Err(why.clone());
    }
    let action = confirmed_action(d)?;
    let p = preview(&state.fleet, &d.plan.targets, &action);
    if let Some(why) = &p.blocked {
        return Err(why.clone());
    }
    if let Some(word) = &p.confirm_word
        && d.typed.trim() != word
    {
        return Err(format!("production: type {word} to confirm"));
    }
    let mut performs = Vec::new();
    for t in &p.targets {
        policy_check(state, t, &action)?;
        let production = state
            .fleet
            .clusters()
            .get(&t.cluster)
            .is_some_and(|c| state.fleet.layout().is_production(&c.info.env));
        performs.push(Perform {
            request: ActionRequest {
                target: t.clone(),
                action: action.clone(),
                who: state.settings.user.clone(),
                local_user: state.settings.user.clone(),
            },
            before: p.before(t),
            production,
        });
    }
    for perf in &performs {
        super::activity::push(
            state,
            ActivityEntry {
                at: state.now,
                request: perf.request.clone(),
                status: ActivityStatus::Pending,
            },
        );
    }
    state.ui.notice = Some((
        format!(
            "{} sent to {} cluster(s): results in Activity (8)",
            action.name(),
            performs.len()
        ),
        state.now,
    ));
    Ok(vec![Effect::Perform(performs)])
}
