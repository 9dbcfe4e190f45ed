//! The reducer, message by message: navigation, filter, palette, help, and redraw decisions.

mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::SignedDuration;
use opsdeck::app::{Effect, Input, Msg, ServiceSort, View, update, visible_services};
use opsdeck::domain::WorkloadKey;
use support::*;

#[test]
fn number_keys_tab_and_backtab_switch_views() {
    let mut s = state_with_fleet(0);
    assert_eq!(*s.view(), View::Overview);
    update(&mut s, key('2'));
    assert_eq!(*s.view(), View::Services);
    update(&mut s, code(KeyCode::Tab));
    assert_eq!(*s.view(), View::Overview);
    update(&mut s, code(KeyCode::BackTab));
    assert_eq!(*s.view(), View::Services);
    update(&mut s, key('1'));
    assert_eq!(*s.view(), View::Overview);
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
    assert_eq!(s.ui.services_filter, "chkapi");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.ui.services_filter, "", "esc clears a kept filter first");
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
    assert_eq!(s.ui.services_selected, 1, "selection kept");
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
    assert_eq!(s.ui.services_selected, 31);
    update(&mut s, key('j'));
    assert_eq!(s.ui.services_selected, 31);
    update(&mut s, key('g'));
    assert_eq!(s.ui.services_selected, 0);
    update(&mut s, key('k'));
    assert_eq!(s.ui.services_selected, 0);
    update(&mut s, code(KeyCode::PageDown));
    assert!(s.ui.services_selected > 0);
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
    assert_eq!(s.ui.services_sort, ServiceSort::Health);
    let rows = visible_services(&s);
    assert!(rows.windows(2).all(|w| w[0].worst >= w[1].worst));
    for _ in 0..3 {
        update(&mut s, key('s'));
    }
    assert_eq!(s.ui.services_sort, ServiceSort::Name);
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
    let id = ClusterId::new("prod", "us-east-1", "prod-use1");
    let health = SourceHealth {
        status: SourceStatus::Stale("connection refused".into()),
        last_data: Some(s.now - SignedDuration::from_secs(125)),
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
fn two_apps_in_one_process_are_independent() {
    let mut a = state_with_fleet(0);
    let b = state_with_fleet(0);
    update(&mut a, key('2'));
    assert_eq!(*a.view(), View::Services);
    assert_eq!(*b.view(), View::Overview);
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
    assert_eq!(s.ui.services_selected, 31);
    // The list shrinks under the selection (here: restricted to one stage, 29 services).
    s.ui.services_stage = Some(opsdeck::domain::Stage {
        env: "prod".into(),
        region: "ap-southeast-2".into(),
    });
    let rows = visible_services(&s);
    assert_eq!(rows.len(), 29);
    update(&mut s, key('k'));
    assert_eq!(
        s.ui.services_selected, 27,
        "moves up from the last row, not from the stale index"
    );
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(*s.view(), View::ServiceDetail(rows[27].key.clone()));
}
