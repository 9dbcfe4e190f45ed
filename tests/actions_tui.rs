//! Release actions in the console: dialogs, typed confirmation, policy refusals, read-only, and
//! the executor's audit-then-send path on the demo fleet.

mod support;

use insta::assert_snapshot;
use opsdeck::actions::audit::{AuditLog, Phase};
use opsdeck::actions::{Action as Op, ActionError};
use opsdeck::app::key::KeyCode;
use opsdeck::app::{ActivityStatus, Effect, Msg, State, View, update};
use opsdeck::console::Executor;
use opsdeck::domain::WorkloadKey;
use opsdeck::source::demo::{self, DemoWorld, GATE_CLUSTER, GATE_SERVICE};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::mpsc;

fn gate_key() -> WorkloadKey {
    WorkloadKey::new("payments", GATE_SERVICE)
}

/// The release detail of the gated service, at the gated stage.
fn at_gate(state: &mut State) {
    state.ui.stack = vec![View::Pipelines, View::Release(gate_key())];
    state.ui.release_selected = None;
}

fn press(state: &mut State, c: char) -> Vec<Effect> {
    update(state, key(c))
}

fn typed(state: &mut State, text: &str) {
    keys(state, text);
}

fn enter(state: &mut State) -> Vec<Effect> {
    update(state, code(KeyCode::Enter))
}

#[test]
fn approve_dialog_shows_the_plan_and_what_the_policy_will_refuse() {
    let mut s = state_with_fleet(0);
    at_gate(&mut s);
    press(&mut s, 'a');
    let d = s.ui.dialog.as_ref().expect("the dialog opens");
    assert!(d.plan.production);
    assert_eq!(d.plan.confirm_word.as_deref(), Some(GATE_SERVICE));
    let warning = d.error.as_deref().unwrap();
    assert!(warning.contains("Team notified"), "{warning}");
    let theme = theme("dark");
    assert_snapshot!("approve_dialog_80x24", render(&s, &theme, 80, 24));
    assert_snapshot!("approve_dialog_200x50", render(&s, &theme, 200, 50));
    // Esc: nothing sent.
    let effects = update(&mut s, code(KeyCode::Esc));
    assert!(effects.is_empty() && s.ui.dialog.is_none());
    assert!(s.ui.notice.as_ref().unwrap().0.contains("nothing was sent"));
}

#[test]
fn production_needs_the_typed_service_name_and_a_reason() {
    let mut s = state_with_fleet(0);
    s.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("catalog", "catalog-api")),
    ];
    // The prod/us-east-1 instance: the 4th stage of catalog-api.
    let row = s
        .fleet
        .service_row(&WorkloadKey::new("catalog", "catalog-api"))
        .unwrap()
        .clone();
    s.ui.detail_selected = row
        .instances
        .iter()
        .position(|i| i.cluster.name == "prod-euw1")
        .unwrap();
    press(&mut s, 'r');
    assert!(s.ui.dialog.is_some());
    // No reason, wrong word: refused, still open, nothing emitted.
    enter(&mut s);
    typed(&mut s, "catalog");
    assert!(enter(&mut s).is_empty());
    let err = s.ui.dialog.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("type catalog-api"), "{err}");
    // Reason and the right word: one Perform for the prod-euw1 instance.
    update(&mut s, code(KeyCode::BackTab));
    typed(&mut s, "5xx since 1.8");
    update(&mut s, code(KeyCode::Tab));
    typed(&mut s, "-api");
    let effects = enter(&mut s);
    let [Effect::Perform(p)] = effects.as_slice() else {
        panic!("{effects:?} / {:?}", s.ui.dialog)
    };
    assert_eq!(p.len(), 1);
    assert!(p[0].production);
    assert_eq!(p[0].request.who, "lee");
    assert!(
        matches!(&p[0].request.action, Op::Rollback { reason, .. } if reason == "5xx since 1.8")
    );
    // The audit's state before is this instance's (not a line of the dialog's text).
    let target = &p[0].request.target;
    let w = &s.fleet.clusters()[&target.cluster].workloads[&target.workload];
    assert_eq!(
        p[0].before,
        format!("{} (rev {})", w.template_version, w.revision)
    );
    assert!(matches!(s.activity[0].status, ActivityStatus::Pending));
}

#[test]
fn rollback_in_every_prod_region_is_one_confirmation() {
    let mut s = state_with_fleet(0);
    s.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("catalog", "recommendations")),
    ];
    press(&mut s, 'R');
    let d = s.ui.dialog.as_ref().unwrap();
    assert_eq!(d.plan.targets.len(), 3, "{:?}", d.plan.lines);
    typed(&mut s, "bad deploy");
    enter(&mut s);
    typed(&mut s, "recommendations");
    let effects = enter(&mut s);
    let [Effect::Perform(p)] = effects.as_slice() else {
        panic!("{:?}", s.ui.dialog)
    };
    assert_eq!(p.len(), 3);
}

/// `R` on the release screen rolls back the release's version: the prod regions where it is
/// deployed, the one held at its gate included (not refused), each to its own previous
/// revision; the region still on the version before is named unchanged and not touched.
#[test]
fn rollback_in_every_prod_region_from_the_release_touches_only_where_it_is_deployed() {
    let mut s = state_with_fleet(0);
    at_gate(&mut s);
    let held = s
        .fleet
        .clusters()
        .values()
        .find(|c| c.info.name == GATE_CLUSTER)
        .unwrap();
    let version = held.workloads[&gate_key()].template_version.clone();
    let want: Vec<String> = s
        .fleet
        .clusters()
        .values()
        .filter(|c| c.info.env == "prod")
        .filter(|c| c.workloads[&gate_key()].template_version == version)
        .map(|c| c.info.name.clone())
        .collect();
    assert!(want.len() >= 2 && want.len() < 3, "{want:?}");
    press(&mut s, 'R');
    let d = s.ui.dialog.as_ref().unwrap();
    assert_eq!(d.plan.blocked, None, "{:?}", d.plan.lines);
    let got: Vec<&str> = d
        .plan
        .targets
        .iter()
        .map(|t| t.cluster.name.as_str())
        .collect();
    assert_eq!(got, want);
    assert!(
        d.plan
            .lines
            .iter()
            .any(|l| l.starts_with("prod-apse2: unchanged (runs ")),
        "{:?}",
        d.plan.lines
    );
    assert!(
        matches!(&d.action, Op::Rollback { from_version: Some(v), .. } if *v == version),
        "{:?}",
        d.action
    );
    typed(&mut s, "bad deploy");
    enter(&mut s);
    typed(&mut s, GATE_SERVICE);
    let effects = enter(&mut s);
    let [Effect::Perform(p)] = effects.as_slice() else {
        panic!("{:?}", s.ui.dialog)
    };
    assert_eq!(p.len(), want.len());
}

#[test]
fn self_approval_and_read_only_are_refused_before_anything_is_sent() {
    let mut s = state_with_fleet(0);
    s.settings.user = "deploy-bot".into();
    at_gate(&mut s);
    press(&mut s, 'a');
    assert!(
        s.ui.dialog
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("cannot approve")
    );
    typed(&mut s, "mine");
    enter(&mut s);
    typed(&mut s, GATE_SERVICE);
    assert!(enter(&mut s).is_empty(), "refused");

    let mut ro = state_with_fleet(0);
    ro.settings.read_only = true;
    at_gate(&mut ro);
    assert!(press(&mut ro, 'a').is_empty());
    assert!(ro.ui.dialog.is_none());
    assert!(ro.ui.notice.as_ref().unwrap().0.starts_with("read-only"));
}

/// The console's dialog offers only open person items, and the policy check its submit runs
/// (the same function as the CLI's) refuses a tick of a verified item or of no item at all.
#[test]
fn the_console_ticks_only_real_person_items() {
    use opsdeck::app::dialog::policy_check;
    let mut w = world(0);
    let mut s = State::new(opsdeck::keymap::Keymap::default(), settings(), w.now);
    for u in w.take_updates(true) {
        update(&mut s, Msg::Source(u));
    }
    let cluster = s
        .fleet
        .clusters()
        .values()
        .find(|c| c.info.name == GATE_CLUSTER)
        .unwrap()
        .info
        .id
        .clone();
    let target = opsdeck::actions::Target {
        cluster,
        workload: gate_key(),
        kind: opsdeck::actions::TargetKind::Deployment,
    };
    let version = s.fleet.clusters()[&target.cluster].workloads[&gate_key()]
        .gate
        .as_ref()
        .unwrap()
        .version
        .clone();
    let tick = |item: &str| Op::TickChecklist {
        item: item.into(),
        version: version.clone(),
        reason: "r".into(),
    };
    let verified = policy_check(&s, &target, &tick("Rollback plan prepared")).unwrap_err();
    assert!(
        verified.contains("is verified by the console"),
        "{verified}"
    );
    let typo = policy_check(&s, &target, &tick("Team notifed")).unwrap_err();
    assert!(typo.contains("did you mean \"Team notified\""), "{typo}");
    let case = policy_check(&s, &target, &tick("team notified")).unwrap_err();
    assert!(case.contains("is \"Team notified\""), "{case}");
    assert_eq!(policy_check(&s, &target, &tick("Team notified")), Ok(()));
}

#[test]
fn tick_then_approve_resumes_the_gate_on_the_demo_fleet() {
    let mut w = world(0);
    let mut s = State::new(opsdeck::keymap::Keymap::default(), settings(), w.now);
    for u in w.take_updates(true) {
        update(&mut s, Msg::Source(u));
    }
    at_gate(&mut s);
    let run = |s: &mut State, w: &mut DemoWorld, effects: Vec<Effect>| {
        for e in effects {
            if let Effect::Perform(ps) = e {
                for p in ps {
                    let result = w.perform(&p.request);
                    update(
                        s,
                        Msg::ActionDone {
                            request: p.request,
                            result,
                        },
                    );
                }
            }
        }
        for u in w.take_updates(false) {
            update(s, Msg::Source(u));
        }
    };
    press(&mut s, 't');
    assert_eq!(
        s.ui.dialog.as_ref().unwrap().items,
        vec!["Team notified".to_string()]
    );
    assert_eq!(
        s.ui.dialog.as_ref().unwrap().plan.confirm_word,
        None,
        "ticking is not typed-confirmed"
    );
    enter(&mut s);
    typed(&mut s, "posted in #payments");
    let effects = enter(&mut s);
    run(&mut s, &mut w, effects);
    press(&mut s, 'a');
    assert_eq!(
        s.ui.dialog.as_ref().unwrap().error,
        None,
        "checklist complete now"
    );
    typed(&mut s, "error rate flat");
    enter(&mut s);
    typed(&mut s, GATE_SERVICE);
    let effects = enter(&mut s);
    run(&mut s, &mut w, effects);
    let gated = s
        .fleet
        .clusters()
        .values()
        .find(|c| c.info.name == GATE_CLUSTER)
        .unwrap();
    let wl = &gated.workloads[&gate_key()];
    assert!(wl.gate.is_none() && !wl.paused, "resumed");
    assert!(
        s.ui.notice
            .as_ref()
            .unwrap()
            .0
            .contains("approved 2/2: rollout resumed")
    );
    assert!(
        s.activity
            .iter()
            .all(|a| matches!(a.status, ActivityStatus::Done(_)))
    );
    // Both actions are on the timeline.
    let ours = s
        .fleet
        .changes
        .iter()
        .filter(|c| matches!(c.kind, opsdeck::domain::ChangeKind::Action { .. }))
        .count();
    assert_eq!(ours, 2);
    s.ui.stack = vec![View::Activity];
    assert_snapshot!("activity_80x24", render(&s, &theme("dark"), 80, 24));
}

/// The executor's answer to the action it was given.
async fn next_result(
    rx: &mut mpsc::Receiver<Msg>,
) -> Result<opsdeck::actions::Outcome, ActionError> {
    match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        Ok(Some(Msg::ActionDone { result, .. })) => result,
        other => panic!("no ActionDone within 5 s: {other:?}"),
    }
}

fn perform_effect(s: &mut State) -> Effect {
    s.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("catalog", "catalog-api")),
    ];
    s.ui.detail_selected = 0; // dev: no typed confirmation, no reason required
    press(s, 'S');
    let d = s.ui.dialog.as_mut().unwrap();
    d.number = "4".into();
    update(s, code(KeyCode::Tab));
    let mut effects = enter(s);
    effects.pop().expect("a Perform")
}

#[tokio::test]
async fn the_executor_audits_before_sending_and_completes_after() {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("data/audit.jsonl");
    let clock = Arc::new(opsdeck::clock::ManualClock::new(t0()));
    let (fleet_tx, _fleet_rx) = mpsc::channel(1024);
    let handle = demo::spawn(
        DemoWorld::generate(SEED, t0()),
        Duration::from_millis(50),
        clock.clone(),
        fleet_tx,
    );
    let (tx, mut rx) = mpsc::channel(16);
    let mut exec = Executor {
        demo: Some(handle.control.clone()),
        reply: Some(tx),
        audit: Some(Arc::new(AuditLog::new(&audit_path))),
        clock: Some(clock),
        ..Executor::default()
    };
    let mut s = state_with_fleet(0);
    exec.run(perform_effect(&mut s));
    let result = next_result(&mut rx).await;
    let outcome = result.unwrap();
    assert!(outcome.summary.contains("→ 4 replicas"), "{outcome:?}");
    let records = AuditLog::new(&audit_path).read().unwrap();
    assert_eq!(records.len(), 1);
    let (_, phase, after, _) = records[0].finished.clone().unwrap();
    assert_eq!((phase, after.as_str()), (Phase::Done, "4 replicas"));
}

#[tokio::test]
async fn no_audit_no_request_and_read_only_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The audit log's folder is a file: the entry cannot be written.
    std::fs::write(dir.path().join("blocked"), "").unwrap();
    let clock = Arc::new(opsdeck::clock::ManualClock::new(t0()));
    let (ctl_tx, mut ctl_rx) = mpsc::channel(16);
    let (tx, mut rx) = mpsc::channel(16);
    let mut exec = Executor {
        demo: Some(ctl_tx),
        reply: Some(tx),
        audit: Some(Arc::new(AuditLog::new(
            dir.path().join("blocked/audit.jsonl"),
        ))),
        clock: Some(clock),
        ..Executor::default()
    };
    let mut s = state_with_fleet(0);
    exec.run(perform_effect(&mut s));
    let result = next_result(&mut rx).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, ActionError::Failed(m) if m.contains("nothing was sent")),
        "{err}"
    );
    assert!(ctl_rx.try_recv().is_err(), "the source was never asked");

    exec.read_only = true;
    exec.audit = Some(Arc::new(AuditLog::new(dir.path().join("ok/audit.jsonl"))));
    exec.run(perform_effect(&mut s));
    let result = next_result(&mut rx).await;
    assert!(matches!(result, Err(ActionError::ReadOnly(_))));
    assert!(ctl_rx.try_recv().is_err());
    assert!(
        !dir.path().join("ok/audit.jsonl").exists(),
        "refused actions are not sent, so not audited"
    );
}

#[test]
fn an_incomplete_audit_entry_shows_in_activity() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::new(dir.path().join("audit.jsonl"));
    let mut s = state_with_fleet(0);
    let Effect::Perform(p) = perform_effect(&mut s) else {
        panic!()
    };
    log.begin(&p[0].request, &p[0].before, t0()).unwrap();
    let mut fresh = state_with_fleet(0);
    update(&mut fresh, Msg::ActivityLoaded(log.read().unwrap()));
    assert!(matches!(
        fresh.activity[0].status,
        ActivityStatus::Incomplete
    ));
    fresh.ui.stack = vec![View::Activity];
    let screen = render(&fresh, &theme("dark"), 120, 20);
    assert!(screen.contains("incomplete"), "{screen}");
}

#[test]
fn real_clusters_are_asked_for_rbac_before_the_action_is_offered() {
    let mut s = state_with_fleet(0);
    s.settings.demo = false;
    s.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("catalog", "catalog-api")),
    ];
    s.ui.detail_selected = 0;
    let effects = press(&mut s, 'S');
    let [Effect::CheckAccess(asks)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(asks.len(), 1);
    update(
        &mut s,
        Msg::AccessChecked {
            request: asks[0].clone(),
            result: Err("scale needs to patch deployments/scale (apps) in namespace catalog, which is denied".into()),
        },
    );
    let screen = render(&s, &theme("dark"), 100, 30);
    assert!(screen.contains("✖ RBAC:"), "{screen}");
    update(&mut s, code(KeyCode::Tab));
    assert!(
        enter(&mut s).is_empty(),
        "a denied action cannot be confirmed"
    );
    assert!(
        s.ui.dialog
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("denied")
    );
}

#[test]
fn the_scale_plan_follows_the_replicas_typed() {
    let mut s = state_with_fleet(0);
    s.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("catalog", "catalog-api")),
    ];
    s.ui.detail_selected = 0;
    press(&mut s, 'S');
    update(&mut s, code(KeyCode::Backspace));
    typed(&mut s, "7");
    let d = s.ui.dialog.as_ref().unwrap();
    assert!(d.plan.lines[0].ends_with("→ 7"), "{:?}", d.plan.lines);
    assert!(
        d.plan.lines.last().unwrap().contains("+$"),
        "{:?}",
        d.plan.lines
    );
}

#[test]
fn a_nodegroup_is_scaled_from_the_capacity_screen() {
    let mut w = world(0);
    let mut s = State::new(opsdeck::keymap::Keymap::default(), settings(), w.now);
    for u in w.take_updates(true) {
        update(&mut s, Msg::Source(u));
    }
    s.ui.stack = vec![View::Capacity];
    // The first nodegroup of a production cluster.
    let clusters = opsdeck::app::visible_capacity(&s);
    let lines = opsdeck::app::capacity_lines(&clusters);
    s.ui.lists.capacity.selected = lines
        .iter()
        .position(|l| l.nodegroup.is_some() && l.cluster.production)
        .unwrap();
    let (target, before) = opsdeck::app::dialog::selected_nodegroup(&s).unwrap();
    press(&mut s, 'S');
    let d = s.ui.dialog.as_ref().expect("the dialog opens");
    assert_eq!(
        d.number,
        format!("{}/{}/{}", before.min, before.desired, before.max)
    );
    assert_eq!(
        d.plan.confirm_word.as_deref(),
        Some(target.workload.name.as_str())
    );
    // Typed sizes re-plan at once: two more nodes, priced.
    for _ in 0..d.number.len() {
        update(&mut s, code(KeyCode::Backspace));
    }
    typed(
        &mut s,
        &format!("{}/{}/{}", before.min, before.desired + 2, before.max),
    );
    let d = s.ui.dialog.as_ref().unwrap();
    let text = d.plan.lines.join("\n");
    assert!(
        text.contains(&format!(
            "→ {}/{}/{}",
            before.min,
            before.desired + 2,
            before.max
        )),
        "{text}"
    );
    assert!(text.contains("2 nodes change"), "{text}");
    assert!(text.contains("estimated cost change: +$"), "{text}");
    assert_snapshot!("nodegroup_dialog_80x24", render(&s, &theme("dark"), 80, 24));
    // Impossible sizes are refused in the dialog.
    s.ui.dialog.as_mut().unwrap().number = "5/2/3".into();
    update(&mut s, code(KeyCode::Tab));
    typed(&mut s, "peak traffic");
    update(&mut s, code(KeyCode::Tab));
    typed(&mut s, &target.workload.name);
    assert!(enter(&mut s).is_empty());
    assert!(
        s.ui.dialog
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("min ≤ desired ≤ max")
    );
    s.ui.dialog.as_mut().unwrap().number =
        format!("{}/{}/{}", before.min, before.desired + 2, before.max);
    let effects = enter(&mut s);
    let Some(Effect::Perform(ps)) = effects.first() else {
        panic!("{effects:?}");
    };
    assert_eq!(ps[0].request.target, target);
    let result = w.perform(&ps[0].request);
    assert!(result.is_ok(), "{result:?}");
    update(
        &mut s,
        Msg::ActionDone {
            request: ps[0].request.clone(),
            result,
        },
    );
    for u in w.take_updates(false) {
        update(&mut s, Msg::Source(u));
    }
    let c = &s.fleet.clusters()[&target.cluster];
    let ng = c
        .nodegroups
        .iter()
        .find(|g| g.name == target.workload.name)
        .unwrap();
    assert_eq!(ng.desired, before.desired + 2);
    let nodes = c.nodes.values().filter(|n| n.nodegroup == ng.name).count();
    assert_eq!(nodes as u32, before.desired + 2, "the demo's nodes follow");
    assert!(matches!(s.activity[0].status, ActivityStatus::Done(_)));
}

/// A user keymap that binds every destructive action to other keys (ctrl and plain, in the
/// global table too) cannot get past read-only: no dialog, no effect; and were an effect made
/// anyway, the executor refuses it before the source hears of it.
#[tokio::test]
async fn a_keymap_override_cannot_bypass_read_only() {
    use opsdeck::keymap::{DEFAULT_KEYMAP, Keymap};
    let actions = [
        "approve",
        "reject",
        "rollback",
        "rollback_prod",
        "scale",
        "scale_hpa",
        "tick",
    ];
    let keys = ["z", "enter", "ctrl-a", "y", "f5", "ctrl-e", "space"];
    let mut user = String::new();
    for table in ["global", "release", "service_detail", "capacity"] {
        user.push_str(&format!("[{table}]\n"));
        for (i, action) in actions.iter().enumerate() {
            user.push_str(&format!("{action} = [{:?}]\n", keys[i % keys.len()]));
        }
    }
    let keymap = Keymap::from_toml_str(
        DEFAULT_KEYMAP,
        Some((
            &user,
            std::path::Path::new("/home/me/.config/opsdeck/keymap.toml"),
        )),
    )
    .expect("the override parses");
    let mut s = state_with_fleet(0);
    s.keymap = keymap;
    s.settings.read_only = true;
    let (ctl_tx, mut ctl_rx) = mpsc::channel(16);
    let (tx, mut rx) = mpsc::channel(16);
    let mut exec = Executor {
        demo: Some(ctl_tx),
        reply: Some(tx),
        read_only: true,
        ..Executor::default()
    };
    let presses: Vec<Msg> = vec![
        key('z'),
        key('y'),
        key('a'),
        key('r'),
        key('S'),
        code(KeyCode::Enter),
        code(KeyCode::F(5)),
        key(' '),
        Msg::Key(opsdeck::app::key::KeyEvent::new(
            KeyCode::Char('a'),
            opsdeck::app::key::KeyModifiers::CONTROL,
        )),
        Msg::Key(opsdeck::app::key::KeyEvent::new(
            KeyCode::Char('e'),
            opsdeck::app::key::KeyModifiers::CONTROL,
        )),
    ];
    for view in [
        View::Release(gate_key()),
        View::ServiceDetail(gate_key()),
        View::Capacity,
    ] {
        for press in &presses {
            at_gate(&mut s);
            s.ui.stack = vec![view.clone()];
            let effects = update(&mut s, press.clone());
            assert!(
                !effects.iter().any(|e| matches!(e, Effect::Perform(_))),
                "{view:?} {press:?}: an action was made in read-only mode: {effects:?}"
            );
            assert!(s.ui.dialog.is_none(), "{view:?} {press:?}: a dialog opened");
            for e in effects {
                exec.run(e);
            }
        }
    }
    // An action made some other way is refused by the executor, before the source.
    exec.run(perform_effect(&mut state_with_fleet(0)));
    let answer = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match rx.recv().await {
                Some(Msg::ActionDone { result, .. }) => break result,
                Some(_) => continue,
                None => panic!("the executor dropped its reply channel"),
            }
        }
    })
    .await
    .expect("no answer to the action within 5 s");
    assert!(
        matches!(answer, Err(ActionError::ReadOnly(_))),
        "{answer:?}"
    );
    assert!(ctl_rx.try_recv().is_err(), "the source was asked to act");
}

/// Scaling a production service to 0 asks for the override's word, typed: without it the
/// confirm is refused (nothing emitted); with it the Perform carries the acknowledgement.
#[test]
fn scaling_prod_to_zero_needs_the_acknowledgement_typed() {
    use opsdeck::app::DialogField;
    let mut s = state_with_fleet(0);
    let key = WorkloadKey::new("catalog", "catalog-api");
    s.ui.stack = vec![View::Services, View::ServiceDetail(key.clone())];
    let row = s.fleet.service_row(&key).unwrap().clone();
    s.ui.detail_selected = row
        .instances
        .iter()
        .position(|i| i.cluster.name == "prod-euw1")
        .unwrap();
    press(&mut s, 'S');
    assert!(
        !s.ui
            .dialog
            .as_ref()
            .unwrap()
            .fields
            .contains(&DialogField::Acknowledge),
        "the current size needs no acknowledgement"
    );
    for _ in 0..4 {
        update(&mut s, code(KeyCode::Backspace));
    }
    typed(&mut s, "0");
    let d = s.ui.dialog.as_ref().unwrap();
    assert_eq!(
        d.fields,
        [
            DialogField::Replicas,
            DialogField::Acknowledge,
            DialogField::Reason,
            DialogField::Confirm
        ]
    );
    let theme = theme("dark");
    let shown = render(&s, &theme, 80, 24);
    assert!(
        shown.contains("type scale-to-zero to acknowledge"),
        "{shown}"
    );
    enter(&mut s); // to the acknowledgement, left empty
    enter(&mut s);
    typed(&mut s, "drain for migration");
    enter(&mut s);
    typed(&mut s, "catalog-api");
    assert!(
        enter(&mut s).is_empty(),
        "refused without the acknowledgement"
    );
    let err = s.ui.dialog.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("scale-to-zero"), "{err}");
    // Back to the acknowledgement, type it, confirm.
    update(&mut s, code(KeyCode::BackTab));
    update(&mut s, code(KeyCode::BackTab));
    typed(&mut s, "scale-to-zero");
    update(&mut s, code(KeyCode::Tab));
    update(&mut s, code(KeyCode::Tab));
    let effects = enter(&mut s);
    let [Effect::Perform(p)] = effects.as_slice() else {
        panic!("{effects:?} / {:?}", s.ui.dialog)
    };
    assert!(matches!(
        &p[0].request.action,
        Op::Scale { replicas: 0, allow, .. } if allow.scale_to_zero && !allow.large_scale
    ));
}
