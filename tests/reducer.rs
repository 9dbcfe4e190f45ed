//! The reducer, message by message: navigation, filter, palette, help, and redraw decisions.

mod support;

use jiff::SignedDuration;
use opsdeck::app::key::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use opsdeck::app::{
    AlertSort, CapacitySort, CostSort, Effect, Input, Msg, PipelineSort, ServiceSort, TOP_VIEWS,
    TimeWindow, TimelineSort, View, release, update, visible_alerts, visible_capacity,
    visible_changes, visible_cost_rows, visible_pipelines, visible_services,
};
use opsdeck::domain::{Attention, ChangeKind, CostScope, Severity, Stage};
use opsdeck::domain::{ServiceRow, WorkloadKey};
use support::*;

#[test]
fn number_keys_tab_and_backtab_switch_views() {
    let mut s = state_with_fleet(0);
    assert_eq!(*s.view(), View::Overview);
    update(&mut s, key('2'));
    assert_eq!(*s.view(), View::Services);
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(*s.view(), View::Pipelines);
    update(&mut s, code(KeyCode::BackTab));
    assert_eq!(*s.view(), View::Services);
    update(&mut s, key('1'));
    assert_eq!(*s.view(), View::Overview);
    update(&mut s, code(KeyCode::BackTab));
    assert_eq!(*s.view(), View::Activity, "backtab wraps around");
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(*s.view(), View::Overview, "tab wraps around");
    for (k, view) in ('1'..='8').zip(TOP_VIEWS) {
        update(&mut s, key(k));
        assert_eq!(*s.view(), view, "key {k}");
    }
}

#[test]
fn filter_narrows_fuzzily_and_esc_clears() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('/'));
    assert_eq!(
        *s.view(),
        View::Services,
        "/ from the overview filters services"
    );
    assert_eq!(s.ui.input, Input::Filter);
    keys(&mut s, "chkapi");
    let rows = visible_services(&s);
    assert_eq!(
        rows.len(),
        1,
        "{:?}",
        rows.iter().map(|r| r.key.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(rows[0].key.name, "checkout-api");
    // Typing q while filtering types, it does not quit.
    update(&mut s, key('q'));
    assert!(!s.should_quit);
    update(&mut s, code(KeyCode::Backspace));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.ui.input, Input::None);
    assert_eq!(s.ui.lists.services.filter, "chkapi");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        s.ui.lists.services.filter, "",
        "esc clears a kept filter first"
    );
    assert_eq!(visible_services(&s).len(), 32);
}

#[test]
fn filter_matches_team_and_namespace() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('/'));
    keys(&mut s, "identity");
    let names: Vec<String> = visible_services(&s)
        .iter()
        .map(|r| r.key.name.clone())
        .collect();
    assert_eq!(
        names,
        ["auth", "session-store", "sso-bridge", "user-profile"]
    );
}

#[test]
fn enter_drills_in_and_esc_goes_back() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('2'));
    update(&mut s, key('j'));
    let second = visible_services(&s)[1].key.clone();
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::ServiceDetail(second));
    update(&mut s, key('j'));
    assert_eq!(s.ui.detail_selected, 1);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(*s.view(), View::Services);
    assert_eq!(s.ui.lists.services.selected, 1, "selection kept");
}

#[test]
fn enter_on_an_overview_cell_lists_that_stage() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('j'));
    update(&mut s, key('j'));
    update(&mut s, key('l'));
    update(&mut s, key('l'));
    assert_eq!(s.ui.cell, (2, 2));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::Services);
    let rows = visible_services(&s);
    assert_eq!(rows.len(), 29, "prod/ap-southeast-2 runs 29 services");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(*s.view(), View::Overview);
    assert!(s.ui.services_stage.is_none());
}

#[test]
fn movement_is_bounded() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('2'));
    update(&mut s, key('G'));
    assert_eq!(s.ui.lists.services.selected, 31);
    update(&mut s, key('j'));
    assert_eq!(s.ui.lists.services.selected, 31);
    update(&mut s, key('g'));
    assert_eq!(s.ui.lists.services.selected, 0);
    update(&mut s, key('k'));
    assert_eq!(s.ui.lists.services.selected, 0);
    update(&mut s, code(KeyCode::PageDown));
    assert!(s.ui.lists.services.selected > 0);
    update(&mut s, key('1'));
    for _ in 0..10 {
        update(&mut s, key('l'));
        update(&mut s, key('j'));
    }
    assert_eq!(s.ui.cell, (2, 2));
}

#[test]
fn sort_cycles_and_health_puts_the_worst_first() {
    let mut s = state_with_fleet(30);
    update(&mut s, key('2'));
    update(&mut s, key('s'));
    assert_eq!(s.ui.lists.services.sort, ServiceSort::Health);
    let rows = visible_services(&s);
    assert!(rows.windows(2).all(|w| w[0].worst >= w[1].worst));
    for _ in 0..3 {
        update(&mut s, key('s'));
    }
    assert_eq!(s.ui.lists.services.sort, ServiceSort::Name);
}

#[test]
fn palette_runs_actions_by_alias_and_fuzzy_name() {
    let mut s = state_with_fleet(0);
    update(&mut s, key(':'));
    keys(&mut s, "svc");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::Services);
    assert_eq!(s.ui.input, Input::None);
    update(&mut s, key(':'));
    keys(&mut s, "ovrv");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::Overview);
    update(&mut s, key(':'));
    keys(&mut s, "zzzz");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.ui.notice.as_ref().unwrap().0.contains("no command"));
    update(&mut s, key(':'));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.ui.input, Input::None);
    update(&mut s, key(':'));
    keys(&mut s, "quit");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.should_quit);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('?'));
    assert!(s.ui.help_open);
    update(&mut s, key('j'));
    assert_eq!(s.ui.help_scroll, 1);
    update(&mut s, key('2'));
    assert_eq!(
        *s.view(),
        View::Overview,
        "keys other than help/scroll do nothing under help"
    );
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.ui.help_open);
    update(&mut s, key('q'));
    assert!(s.should_quit);
}

#[test]
fn refresh_asks_the_sources() {
    let mut s = state_with_fleet(0);
    let effects = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    assert_eq!(effects, vec![Effect::RefreshSources]);
}

#[test]
fn key_releases_are_ignored() {
    let mut s = state_with_fleet(0);
    let mut ev = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    update(&mut s, Msg::Key(ev));
    assert!(!s.should_quit);
}

#[test]
fn nothing_redraws_when_nothing_visible_changed() {
    let mut s = state_with_fleet(0);
    s.dirty = false;
    // Same minute, all sources fresh: a tick changes nothing on screen.
    let next = s.now + SignedDuration::from_secs(1);
    update(&mut s, Msg::Tick(next));
    assert!(!s.dirty);
    // The same data again is not a change either.
    let mut w = world(0);
    w.mark_all_dirty();
    for u in w.take_updates(true) {
        update(&mut s, Msg::Source(u));
    }
    assert!(!s.dirty, "identical updates do not redraw");
    // A real change does.
    let mut w2 = world(0);
    w2.scale("prod-use1", &WorkloadKey::new("identity", "auth"), 9)
        .unwrap();
    for u in w2.take_updates(false) {
        update(&mut s, Msg::Source(u));
    }
    assert!(s.dirty);
}

#[test]
fn stale_sources_are_marked_and_redraw_every_second() {
    let mut s = state_with_fleet(0);
    let later = s.now + SignedDuration::from_secs(95);
    update(&mut s, Msg::Tick(later));
    s.dirty = false;
    update(&mut s, Msg::Tick(later + SignedDuration::from_secs(1)));
    assert!(s.dirty, "a stale age on screen counts up");
    let text = render(&s, &theme("dark"), 120, 30);
    assert!(text.contains("13 of 13 sources not live"), "{text}");
}

#[test]
fn one_stale_cluster_is_named_with_its_age() {
    use opsdeck::domain::{ClusterId, SourceHealth, SourceStatus, SourceUpdate};
    let mut s = state_with_fleet(0);
    let id = ClusterId::parse("prod", "us-east-1", "prod-use1").unwrap();
    let health = SourceHealth {
        status: SourceStatus::Stale("connection refused".into()),
        last_data: Some(s.now - SignedDuration::from_secs(125)),
        reports_every_secs: None,
        next_retry: None,
    };
    update(
        &mut s,
        Msg::Source(SourceUpdate::ClusterHealth {
            cluster: id,
            health,
        }),
    );
    let text = render(&s, &theme("dark"), 80, 24);
    assert!(text.contains("prod-use1 stale 2m"), "{text}");
    assert!(
        text.contains("connection refused"),
        "the cell says why:\n{text}"
    );
}

#[test]
fn a_deleted_service_in_detail_shows_a_notice() {
    let mut s = state_with_fleet(0);
    s.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("gone", "nothing")),
    ];
    let text = render(&s, &theme("dark"), 80, 24);
    assert!(text.contains("is gone from every cluster"));
    update(&mut s, key('j'));
}

#[test]
fn a_selection_past_a_shrunken_list_reads_as_its_last_row() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('2'));
    update(&mut s, key('G'));
    assert_eq!(s.ui.lists.services.selected, 31);
    // The list shrinks under the selection (here: restricted to one stage, 29 services).
    s.ui.services_stage = Some(opsdeck::domain::Stage {
        env: "prod".into(),
        region: "ap-southeast-2".into(),
    });
    let rows: Vec<ServiceRow> = visible_services(&s).into_iter().cloned().collect();
    assert_eq!(rows.len(), 29);
    update(&mut s, key('k'));
    assert_eq!(
        s.ui.lists.services.selected, 27,
        "moves up from the last row, not from the stale index"
    );
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::ServiceDetail(rows[27].key.clone()));
}

#[test]
fn pipelines_filter_sort_and_open_the_release() {
    let mut s = state_with_fleet(20);
    update(&mut s, key('3'));
    assert_eq!(visible_pipelines(&s).len(), 32);
    update(&mut s, key('s'));
    assert_eq!(s.ui.lists.pipelines.sort, PipelineSort::Attention);
    let rows = visible_pipelines(&s);
    assert!(
        rows.windows(2)
            .all(|w| w[0].attention() >= w[1].attention())
    );
    assert_eq!(rows[0].attention(), Attention::Stuck);
    update(&mut s, key('/'));
    keys(&mut s, "checkout");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.ui.lists.pipelines.filter, "checkout");
    assert_eq!(visible_pipelines(&s).len(), 1);
    update(&mut s, code(KeyCode::Enter));
    let checkout = WorkloadKey::new("payments", "checkout-api");
    assert_eq!(*s.view(), View::Release(checkout.clone()));
    // The release opens at its gate (prod/eu-west-1, the fifth stage); j/k move over stages.
    assert_eq!(release(&s).unwrap().1, 4);
    update(&mut s, key('j'));
    assert_eq!(release(&s).unwrap().1, 5);
    update(&mut s, key('j'));
    assert_eq!(release(&s).unwrap().1, 5, "bounded");
    update(&mut s, key('g'));
    assert_eq!(release(&s).unwrap().1, 0);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(*s.view(), View::Pipelines);
    assert_eq!(
        s.ui.release_selected, None,
        "the next release opens at its focus"
    );
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(
        s.ui.lists.pipelines.filter, "",
        "esc clears the filter next"
    );
}

#[test]
fn alerts_sort_filter_by_field_and_open_the_service_at_its_stage() {
    let mut s = state_with_fleet(20);
    update(&mut s, key('4'));
    let rows = visible_alerts(&s);
    assert!(rows.len() >= 5);
    assert!(rows.windows(2).all(|w| w[0].severity >= w[1].severity));
    assert_eq!(rows[0].severity, Severity::Critical);
    assert!(rows[0].production, "production first among equals");
    update(&mut s, key('s'));
    assert_eq!(s.ui.lists.alerts.sort, AlertSort::Newest);
    let rows = visible_alerts(&s);
    assert!(rows.windows(2).all(|w| w[0].since >= w[1].since));
    update(&mut s, key('/'));
    keys(&mut s, "env:staging svc:recomm");
    update(&mut s, code(KeyCode::Enter));
    let rows = visible_alerts(&s);
    let titles: Vec<&str> = rows.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["recommendations-error-rate", "CrashLoopBackOff"]);
    assert!(rows[0].rollback.is_some(), "the canary is mid-rollout");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        *s.view(),
        View::ServiceDetail(WorkloadKey::new("catalog", "recommendations"))
    );
    assert_eq!(s.ui.detail_selected, 2, "the staging/eu-west-1 instance");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(*s.view(), View::Alerts);
}

#[test]
fn capacity_sorts_by_fullest_and_opens_a_clusters_services() {
    let mut s = state_with_fleet(20);
    update(&mut s, key('5'));
    update(&mut s, key('s'));
    assert_eq!(s.ui.lists.capacity.sort, CapacitySort::Fullest);
    let rows = visible_capacity(&s);
    assert!(rows.windows(2).all(|w| w[0].used_pct() >= w[1].used_pct()));
    // Cluster and nodegroup lines: 6 clusters with 2 nodegroups each.
    update(&mut s, key('G'));
    assert_eq!(s.ui.lists.capacity.selected, 17);
    update(&mut s, key('/'));
    keys(&mut s, "env:prod apse2");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(visible_capacity(&s).len(), 1);
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::Services);
    let stage = Stage {
        env: "prod".into(),
        region: "ap-southeast-2".into(),
    };
    assert_eq!(s.ui.services_stage, Some(stage));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(*s.view(), View::Capacity);
    assert_eq!(s.ui.services_stage, None);
}

#[test]
fn cost_rows_sort_by_change_and_a_service_row_opens_the_service() {
    let mut s = state_with_fleet(20);
    update(&mut s, key('6'));
    let rows = visible_cost_rows(&s);
    assert!(matches!(rows[0].scope, CostScope::Env { .. }));
    for _ in 0..3 {
        update(&mut s, key('s'));
    }
    assert_eq!(s.ui.lists.cost.sort, CostSort::Change);
    let rows = visible_cost_rows(&s);
    let size = |i: usize| rows[i].change7().unwrap_or(0.0).abs();
    assert!((1..rows.len()).all(|i| size(i - 1) >= size(i)));
    update(&mut s, key('/'));
    keys(&mut s, "svc:recomm");
    update(&mut s, code(KeyCode::Enter));
    let rows = visible_cost_rows(&s);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].change7().unwrap() > 0.0, "recommendations grows");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        *s.view(),
        View::ServiceDetail(WorkloadKey::new("catalog", "recommendations"))
    );
}

#[test]
fn timeline_shows_what_changed_newest_first_within_a_window() {
    let mut s = state_following_fleet(300);
    update(&mut s, key('7'));
    assert_eq!(s.ui.timeline_window, TimeWindow::Hour);
    let rows = visible_changes(&s);
    assert!(rows.windows(2).all(|w| w[0].at >= w[1].at));
    let labels: std::collections::BTreeSet<&str> = rows.iter().map(|c| c.kind.label()).collect();
    for kind in ["deploy", "scale", "alarm"] {
        assert!(labels.contains(kind), "{labels:?}");
    }
    // The canary's alarm fired ten seconds in: it is on the timeline.
    assert!(rows.iter().any(|c| matches!(
        &c.kind,
        ChangeKind::Alarm { name, .. } if name == "recommendations-error-rate"
    )));
    update(&mut s, key('s'));
    assert_eq!(s.ui.lists.timeline.sort, TimelineSort::Oldest);
    let rows = visible_changes(&s);
    assert!(rows.windows(2).all(|w| w[0].at <= w[1].at));
    update(&mut s, key('/'));
    keys(&mut s, "env:dev deploy");
    update(&mut s, code(KeyCode::Enter));
    let rows = visible_changes(&s);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|c| c.env.as_deref() == Some("dev")));
    assert!(rows.iter().all(|c| c.kind.label() == "deploy"));
    update(&mut s, code(KeyCode::Enter));
    assert!(matches!(s.view(), View::ServiceDetail(_)));
    update(&mut s, code(KeyCode::Esc));
    // The window: an hour later nothing of this is in the last hour, but in the last 6h.
    let later = s.now + SignedDuration::from_secs(3600 + 301);
    update(&mut s, Msg::Tick(later));
    update(&mut s, code(KeyCode::Esc));
    assert!(visible_changes(&s).is_empty());
    update(&mut s, key('w'));
    assert_eq!(s.ui.timeline_window, TimeWindow::SixHours);
    assert!(s.ui.notice.as_ref().unwrap().0.contains("6h"));
    assert!(!visible_changes(&s).is_empty());
}

#[test]
fn filter_from_a_view_without_a_list_filters_the_services() {
    let mut s = state_with_fleet(0);
    s.ui.stack = vec![
        View::Pipelines,
        View::Release(WorkloadKey::new("payments", "checkout-api")),
    ];
    update(&mut s, key('/'));
    assert_eq!(*s.view(), View::Services);
    assert_eq!(s.ui.input, Input::Filter);
    // Every list keeps its own filter.
    keys(&mut s, "auth");
    update(&mut s, key('3'));
    assert_eq!(
        s.ui.lists.services.filter, "auth3",
        "typing goes to the prompt"
    );
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, key('3'));
    assert_eq!(s.ui.lists.pipelines.filter, "");
    assert_eq!(visible_pipelines(&s).len(), 32);
}

/// The frame after a key press, a clock tick or a liveness probe reads the rows the fleet keeps
/// instead of deriving them again (issue #7: deriving them on every frame cost 2.5–12 ms on a
/// 30-cluster fleet). Checked by identity: the same allocation before and after.
#[test]
fn keys_ticks_and_probes_reuse_the_derived_rows_and_data_replaces_them() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('2'));
    let services = s.fleet.service_rows().as_ptr();
    let pipelines = s.fleet.pipeline_rows().as_ptr();
    for k in ['j', 'j', '3', 'k', '2', 's', '1'] {
        update(&mut s, key(k));
    }
    let later = s.now + SignedDuration::from_secs(61);
    update(&mut s, Msg::Tick(later));
    let c = s.fleet.clusters().values().next().unwrap().clone();
    let mut probe = opsdeck::domain::ClusterDelta::new(c.info.id.clone());
    probe.health = Some(opsdeck::domain::SourceHealth::live(
        s.now + SignedDuration::from_secs(5),
    ));
    update(
        &mut s,
        Msg::Source(opsdeck::domain::SourceUpdate::ClusterDelta(Box::new(probe))),
    );
    assert!(s.dirty, "the probe's new data age is drawn");
    assert!(std::ptr::eq(s.fleet.service_rows().as_ptr(), services));
    assert!(std::ptr::eq(s.fleet.pipeline_rows().as_ptr(), pipelines));

    // A real change (a deploy in one cluster) is seen at once.
    let mut w = c.workloads.values().next().unwrap().clone();
    w.template_version = "9.9.9-test".into();
    w.running.clear();
    let mut delta = opsdeck::domain::ClusterDelta::new(c.info.id.clone());
    delta.workloads = vec![(w.key.clone(), Some(w.clone()))];
    update(
        &mut s,
        Msg::Source(opsdeck::domain::SourceUpdate::ClusterDelta(Box::new(delta))),
    );
    let row = s.fleet.service_row(&w.key).unwrap();
    assert!(row.versions().contains(&"9.9.9-test"), "{row:?}");
}

/// Issue 16 (1): selection is by row key. A service that sorts first arrives while the cursor
/// is on a row: the cursor stays on that service (by index it would be on the row above), and
/// `enter` opens it.
#[test]
fn the_selection_follows_its_row_when_rows_arrive_and_re_sort() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('2'));
    keys(&mut s, "jjj");
    let before: Vec<WorkloadKey> = visible_services(&s).iter().map(|r| r.key.clone()).collect();
    let chosen = before[3].clone();
    assert_eq!(s.ui.lists.services.selected, 3);

    let c = s.fleet.clusters().values().next().unwrap().clone();
    let mut w = c.workloads.values().next().unwrap().clone();
    w.key = WorkloadKey::new(w.key.namespace.clone(), "aaa-first-by-name");
    let mut delta = opsdeck::domain::ClusterDelta::new(c.info.id.clone());
    delta.workloads = vec![(w.key.clone(), Some(w.clone()))];
    update(
        &mut s,
        Msg::Source(opsdeck::domain::SourceUpdate::ClusterDelta(Box::new(delta))),
    );
    let after: Vec<WorkloadKey> = visible_services(&s).iter().map(|r| r.key.clone()).collect();
    assert_eq!(after.len(), before.len() + 1);
    let moved_to = after.iter().position(|k| *k == chosen).unwrap();
    assert_ne!(moved_to, 3, "the new service sorts before the chosen one");
    let rows = visible_services(&s);
    assert_eq!(
        opsdeck::app::selected_row::<opsdeck::app::screens::Services>(&s, &rows),
        Some(moved_to)
    );
    let text = render(&s, &theme("dark"), 120, 40);
    assert!(text.contains(&chosen.name), "{text}");
    update(&mut s, key('j'));
    let rows = visible_services(&s);
    assert_eq!(
        opsdeck::app::selected_row::<opsdeck::app::screens::Services>(&s, &rows),
        Some(moved_to + 1),
        "moving goes on from the row, not from the old index"
    );
    update(&mut s, key('k'));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::ServiceDetail(chosen));
}

/// A list whose selected row is gone keeps the cursor at its index (clamped), for every list.
#[test]
fn a_gone_selected_row_leaves_the_cursor_at_its_index() {
    let mut s = state_with_fleet(0);
    update(&mut s, key('3'));
    keys(&mut s, "jj");
    assert_eq!(
        s.ui.lists.pipelines.selected_key,
        Some(visible_pipelines(&s)[2].key.clone())
    );
    s.ui.lists.pipelines.selected_key = Some(WorkloadKey::new("nowhere", "gone"));
    let rows = visible_pipelines(&s);
    assert_eq!(
        opsdeck::app::selected_row::<opsdeck::app::screens::Pipelines>(&s, &rows),
        Some(2)
    );
    update(&mut s, key('j'));
    assert_eq!(s.ui.lists.pipelines.selected, 3);
}
