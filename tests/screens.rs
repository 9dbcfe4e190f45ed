//! Rendered screens, as insta snapshots at 80x24 and 200x50 on a fixed seed and clock.

mod support;

use crossterm::event::KeyCode;
use opsdeck::app::{Msg, View, update};
use opsdeck::domain::WorkloadKey;
use support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

fn snap_all(name: &str, state: &opsdeck::app::State) {
    let theme = theme("dark");
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(state, &theme, w, h));
    }
}

#[test]
fn overview() {
    let state = state_with_fleet(20);
    snap_all("overview", &state);
}

#[test]
fn services() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('2'));
    snap_all("services", &state);
}

#[test]
fn services_filtered_and_sorted() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('2'));
    update(&mut state, key('/'));
    keys(&mut state, "pay");
    update(&mut state, code(KeyCode::Enter));
    update(&mut state, key('s'));
    snap_all("services_filtered", &state);
}

#[test]
fn service_detail_of_the_gated_service() {
    let mut state = state_with_fleet(20);
    state.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("payments", "checkout-api")),
    ];
    // Select the prod/eu-west-1 instance, where the gate waits.
    for _ in 0..4 {
        update(&mut state, key('j'));
    }
    snap_all("service_detail", &state);
}

#[test]
fn help() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('?'));
    snap_all("help", &state);
}

#[test]
fn palette() {
    let mut state = state_with_fleet(20);
    update(&mut state, key(':'));
    keys(&mut state, "sv");
    snap_all("palette", &state);
}

#[test]
fn before_any_data_arrives() {
    let state = opsdeck::app::State::new(opsdeck::keymap::Keymap::default(), settings(), t0());
    snap_all("empty", &state);
}

#[test]
fn a_tiny_terminal_gets_a_notice_not_a_panic() {
    let state = state_with_fleet(5);
    let theme = theme("dark");
    for (w, h) in [(0, 0), (1, 1), (20, 5), (59, 24), (80, 14), (300, 3)] {
        let text = render(&state, &theme, w, h);
        if w >= 20 && h >= 5 {
            assert!(text.contains("needs at least"), "{w}x{h}:\n{text}");
        }
    }
    insta::assert_snapshot!("tiny_40x10", render(&state, &theme, 40, 10));
}

#[test]
fn huge_terminal_and_every_view_never_panics() {
    let mut state = state_with_fleet(5);
    let theme = theme("dark");
    for view in [
        View::Overview,
        View::Services,
        View::ServiceDetail(WorkloadKey::new("catalog", "catalog-api")),
    ] {
        state.ui.stack = vec![view];
        render(&state, &theme, 500, 200);
        render(&state, &theme, 60, 15);
    }
    update(
        &mut state,
        Msg::Resize {
            width: 1,
            height: 1,
        },
    );
}

/// Styles matter (production is visibly production): capture them for every theme.
#[test]
fn overview_styles_per_theme() {
    let state = state_with_fleet(20);
    for name in opsdeck::theme::theme_names_builtin() {
        let theme = theme(name);
        let buf = render_buffer(&state, &theme, 80, 24);
        insta::assert_debug_snapshot!(format!("styles_overview_{name}"), buf);
    }
}

#[test]
fn no_color_keeps_production_and_selection_visible() {
    let state = state_with_fleet(20);
    let theme = opsdeck::theme::load_theme("dark", None, true).unwrap();
    let buf = render_buffer(&state, &theme, 80, 24);
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "NO_COLOR leaves no colour"
        );
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    // The PROD badge still stands out through modifiers.
    let text = buffer_text(&buf);
    let (y, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("PROD"))
        .unwrap();
    let col = line[..line.find("PROD").unwrap()].chars().count() as u16;
    assert!(
        !buf[(col, y as u16)].modifier.is_empty(),
        "PROD label has a modifier"
    );
}
