//! Rendered screens, as insta snapshots at 80x24 and 200x50 on a fixed seed and clock.

mod support;

use opsdeck::app::key::KeyCode;
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
fn pipelines() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('3'));
    snap_all("pipelines", &state);
}

#[test]
fn release_of_the_gated_service() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('3'));
    update(&mut state, key('/'));
    keys(&mut state, "checkout");
    update(&mut state, code(KeyCode::Enter));
    update(&mut state, code(KeyCode::Enter));
    assert_eq!(
        *state.view(),
        View::Release(WorkloadKey::new("payments", "checkout-api"))
    );
    snap_all("release", &state);
}

#[test]
fn alerts() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('4'));
    snap_all("alerts", &state);
}

#[test]
fn capacity() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('5'));
    snap_all("capacity", &state);
}

#[test]
fn cost() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('6'));
    snap_all("cost", &state);
}

#[test]
fn timeline_after_five_minutes() {
    let mut state = state_following_fleet(300);
    update(&mut state, key('7'));
    snap_all("timeline", &state);
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
        View::Pipelines,
        View::Release(WorkloadKey::new("catalog", "catalog-api")),
        View::Release(WorkloadKey::new("gone", "nothing")),
        View::Alerts,
        View::Capacity,
        View::Cost,
        View::Timeline,
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

/// The alerts screen carries severity, production and new-alert styling: capture it per theme.
#[test]
fn alerts_styles_per_theme() {
    let mut state = state_with_fleet(20);
    update(&mut state, key('4'));
    for name in opsdeck::theme::theme_names_builtin() {
        let theme = theme(name);
        let buf = render_buffer(&state, &theme, 80, 24);
        insta::assert_debug_snapshot!(format!("styles_alerts_{name}"), buf);
    }
}

const NEW_VIEWS: [(char, &str); 5] = [
    ('3', "Pipelines"),
    ('4', "Alerts"),
    ('5', "Capacity"),
    ('6', "Cost"),
    ('7', "Timeline"),
];

#[test]
fn every_new_screen_says_what_it_waits_for_before_data() {
    use opsdeck::domain::{ClusterId, ClusterInfo, ClusterState, SourceUpdate};
    let theme = theme("dark");
    let mut state = opsdeck::app::State::new(opsdeck::keymap::Keymap::default(), settings(), t0());
    for (k, name) in NEW_VIEWS {
        update(&mut state, key(k));
        let text = render(&state, &theme, 80, 24);
        assert!(
            text.contains("waiting for the first data from the sources"),
            "{name}:\n{text}"
        );
    }
    // A cluster the source announced but has not delivered yet: counted.
    let info = ClusterInfo {
        id: ClusterId::parse("prod", "us-east-1", "c1").unwrap(),
        name: "c1".into(),
        env: "prod".into(),
        region: "us-east-1".into(),
        kubernetes_version: "1.33".into(),
    };
    update(
        &mut state,
        Msg::Source(SourceUpdate::Cluster(Box::new(ClusterState::new(info)))),
    );
    update(&mut state, key('3'));
    let text = render(&state, &theme, 80, 24);
    assert!(text.contains("waiting for 1 source…"), "{text}");
}

#[test]
fn empty_screens_say_so() {
    use opsdeck::domain::{ClusterId, ClusterInfo, ClusterState, SourceHealth, SourceUpdate};
    let theme = theme("dark");
    let mut state = opsdeck::app::State::new(opsdeck::keymap::Keymap::default(), settings(), t0());
    let mut cluster = ClusterState::new(ClusterInfo {
        id: ClusterId::parse("prod", "us-east-1", "c1").unwrap(),
        name: "c1".into(),
        env: "prod".into(),
        region: "us-east-1".into(),
        kubernetes_version: "1.33".into(),
    });
    cluster.health = SourceHealth::live(t0());
    update(
        &mut state,
        Msg::Source(SourceUpdate::Cluster(Box::new(cluster))),
    );
    for (k, expect) in [
        ('3', "no services in the fleet yet"),
        ('4', "no firing alarms and no cluster alerts"),
        ('7', "no changes (last 1h) — w widens the window"),
    ] {
        update(&mut state, key(k));
        let text = render(&state, &theme, 80, 24);
        assert!(text.contains(expect), "{expect}:\n{text}");
    }
    // A filter that hides everything says so, and how to undo it.
    let mut state = state_with_fleet(20);
    for (k, _) in NEW_VIEWS {
        update(&mut state, key(k));
        update(&mut state, key('/'));
        keys(&mut state, "zzzq");
        update(&mut state, code(KeyCode::Enter));
        let text = render(&state, &theme, 80, 24);
        assert!(
            text.contains("nothing matches /zzzq (esc clears it)"),
            "{text}"
        );
    }
}

#[test]
fn a_failed_source_is_named_with_its_age_on_every_screen_that_reads_it() {
    use jiff::SignedDuration;
    use opsdeck::domain::{ClusterId, SourceHealth, SourceStatus, SourceUpdate};
    let theme = theme("dark");
    let mut state = state_with_fleet(20);
    let health = SourceHealth {
        status: SourceStatus::Failed("connection refused".into()),
        last_data: Some(state.now - SignedDuration::from_secs(125)),
        reports_every_secs: None,
        next_retry: None,
    };
    update(
        &mut state,
        Msg::Source(SourceUpdate::ClusterHealth {
            cluster: ClusterId::parse("prod", "us-east-1", "prod-use1").unwrap(),
            health,
        }),
    );
    for (k, name) in [
        ('3', "Pipelines"),
        ('4', "Alerts"),
        ('5', "Capacity"),
        ('7', "Timeline"),
    ] {
        update(&mut state, key(k));
        let text = render(&state, &theme, 80, 24);
        assert!(
            text.contains("⚠ prod-use1 failed: connection refused (last data 2m ago)"),
            "{name}:\n{text}"
        );
        assert!(text.contains("data age: 6 clusters 2m"), "{name}:\n{text}");
    }
    // The cost screen does not read clusters: no banner there (the header still names it).
    update(&mut state, key('6'));
    assert!(!render(&state, &theme, 80, 24).contains("⚠"));
    // A source that failed before delivering anything: the screen says so instead of a list.
    let mut state = opsdeck::app::State::new(opsdeck::keymap::Keymap::default(), settings(), t0());
    update(
        &mut state,
        Msg::Source(SourceUpdate::Cost {
            report: Default::default(),
            health: SourceHealth {
                status: SourceStatus::Failed("AccessDeniedException".into()),
                last_data: None,
                reports_every_secs: None,
                next_retry: None,
            },
        }),
    );
    update(&mut state, key('6'));
    let text = render(&state, &theme, 80, 24);
    assert!(
        text.contains("no data: cost failed: AccessDeniedException"),
        "{text}"
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

/// A cluster name with zero-width and bidi characters is drawn with each of them as a visible
/// `�`: nothing reorders or hides text, and every column after the name stays in line.
#[test]
fn zero_width_and_bidi_characters_in_a_name_keep_the_columns_aligned() {
    let theme = theme("dark");
    let mut state = state_with_fleet(20);
    for c in state.fleet.clusters_mut().values_mut() {
        if c.info.name == "dev-use1" {
            c.info.name = "dev\u{200B}\u{202E}u\u{2066}s\u{FEFF}".into();
        }
    }
    update(&mut state, key('5'));
    for (w, h) in SIZES {
        let buf = render_buffer(&state, &theme, w, h);
        let text = buffer_text(&buf);
        assert!(text.contains("dev��u�s�"), "{text}");
        let unsafe_cells: Vec<(u16, u16)> = buf
            .content()
            .iter()
            .enumerate()
            .filter(|(_, cell)| {
                cell.symbol().chars().any(|c| {
                    c.is_control()
                        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}')
                        || matches!(c, '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}')
                })
            })
            .map(|(i, _)| buf.pos_of(i))
            .collect();
        assert!(unsafe_cells.is_empty(), "{unsafe_cells:?}\n{text}");
        // The CPU bar starts in the same column on every cluster's line.
        let bar_columns: Vec<usize> = text
            .lines()
            .filter(|l| l.contains(" dev/") || l.contains(" staging/") || l.contains(" prod/"))
            .map(|l| l.chars().position(|c| c == '█' || c == '░').expect("a bar"))
            .collect();
        assert!(bar_columns.len() >= 6, "{text}");
        assert!(
            bar_columns.iter().all(|&c| c == bar_columns[0]),
            "{bar_columns:?}\n{text}"
        );
    }
}

/// `prod-use1` lost contact 4 minutes ago (its data stays on screen) and so did the alarm
/// source of its account and region.
fn state_with_a_stale_cluster() -> opsdeck::app::State {
    use jiff::SignedDuration;
    use opsdeck::domain::{ClusterId, SourceHealth, SourceStatus, SourceUpdate};
    let mut state = state_following_fleet(300);
    let four_minutes_ago = state.now - SignedDuration::from_secs(240);
    let stale = SourceHealth {
        status: SourceStatus::Stale("connection refused".into()),
        last_data: Some(four_minutes_ago),
        ..SourceHealth::connecting()
    };
    update(
        &mut state,
        Msg::Source(SourceUpdate::ClusterHealth {
            cluster: ClusterId::parse("prod", "us-east-1", "prod-use1").unwrap(),
            health: stale.clone(),
        }),
    );
    let sources: Vec<String> = state.fleet.alarm_health.keys().cloned().collect();
    for source in sources.into_iter().filter(|s| s.contains("us-east-1")) {
        let alarms = state.fleet.alarms()[&source].clone();
        update(
            &mut state,
            Msg::Source(SourceUpdate::Alarms {
                source,
                alarms,
                health: stale.clone(),
            }),
        );
    }
    state
}

/// The cells drawn in `theme.stale_row`'s modifiers on the line holding `needle`.
fn line_is_dimmed(
    buf: &ratatui::buffer::Buffer,
    needle: &str,
    theme: &opsdeck::theme::Theme,
) -> bool {
    let text = buffer_text(buf);
    let Some(y) = text.lines().position(|l| l.contains(needle)) else {
        panic!("no line with {needle:?}:\n{text}");
    };
    let want = theme.stale_row.add_modifier;
    (0..buf.area.width).any(|x| {
        let cell = &buf[(x, y as u16)];
        cell.symbol() != " " && cell.modifier.contains(want)
    })
}

/// A stale cluster's rows are dimmed and carry the age of their data on every list screen —
/// the Services list and the service detail too, which used to show it in live green.
#[test]
fn a_stale_clusters_rows_are_dimmed_with_their_age_on_every_list_screen() {
    let theme = theme("dark");
    let mut state = state_with_a_stale_cluster();
    assert!(!theme.stale_row.add_modifier.is_empty());
    // Overview: the cell says how old, and its numbers are dimmed.
    let buf = render_buffer(&state, &theme, 200, 50);
    let text = buffer_text(&buf);
    assert!(text.contains("● prod-use1 stale 4m"), "{text}");
    let y = text
        .lines()
        .position(|l| l.contains("● prod-use1 stale 4m"))
        .unwrap() as u16;
    // The cell's line after the reason: `svc n/m`, in the cell's columns (the first region).
    let svc_line: String = (1..60)
        .map(|x| buf[(x, y + 2)].symbol().to_string())
        .collect();
    assert!(svc_line.starts_with("svc "), "{svc_line}\n{text}");
    assert!(
        (1..4).all(|x| buf[(x, y + 2)]
            .modifier
            .contains(theme.stale_row.add_modifier)),
        "the cell's numbers are dimmed"
    );
    // Services: the prod/us-east-1 column says how old and its cells are dimmed.
    update(&mut state, key('2'));
    for (w, h) in SIZES {
        let buf = render_buffer(&state, &theme, w, h);
        let text = buffer_text(&buf);
        assert!(text.contains("stale 4m"), "services {w}x{h}:\n{text}");
        assert!(line_is_dimmed(&buf, "catalog-api", &theme), "{text}");
    }
    // The service detail: the prod-use1 instance row.
    state.ui.stack = vec![
        View::Services,
        View::ServiceDetail(WorkloadKey::new("payments", "checkout-api")),
    ];
    let buf = render_buffer(&state, &theme, 200, 50);
    let text = buffer_text(&buf);
    assert!(text.contains("stale 4m · "), "{text}");
    assert!(line_is_dimmed(&buf, "prod/us-east-1", &theme), "{text}");
    // Pipelines, capacity, alerts: the stage, the cluster, the alarm.
    for (k, needle) in [
        ('3', "catalog-api"),
        ('5', "prod-use1 prod"),
        ('4', "stale 4m · "),
    ] {
        update(&mut state, key(k));
        let buf = render_buffer(&state, &theme, 200, 50);
        let text = buffer_text(&buf);
        assert!(text.contains("stale 4m"), "{k}:\n{text}");
        assert!(line_is_dimmed(&buf, needle, &theme), "{k}:\n{text}");
    }
    // Every screen's banner says it in words.
    update(&mut state, key('7'));
    let text = render(&state, &theme, 200, 50);
    assert!(
        text.contains("prod-use1 stale, last data 4m ago: connection refused"),
        "{text}"
    );
}

#[test]
fn services_with_a_stale_cluster() {
    let mut state = state_with_a_stale_cluster();
    update(&mut state, key('2'));
    snap_all("services_stale", &state);
}

/// `:sources` lists every source: live, stale with its age, never connected, failed before
/// and after data, with the last error and the next retry where the source knows it.
#[test]
fn sources_view() {
    use jiff::SignedDuration;
    use opsdeck::domain::{ClusterId, SourceHealth, SourceStatus, SourceUpdate};
    let mut state = state_with_a_stale_cluster();
    let now = state.now;
    let ago = |s: i64| Some(now - SignedDuration::from_secs(s));
    let set = |state: &mut opsdeck::app::State, id: ClusterId, health: SourceHealth| {
        update(
            state,
            Msg::Source(SourceUpdate::ClusterHealth {
                cluster: id,
                health,
            }),
        );
    };
    // Never connected: its data never came (the fleet's layout names it; no workloads).
    let mut c =
        state.fleet.clusters()[&ClusterId::parse("dev", "us-east-1", "dev-use1").unwrap()].clone();
    c.info.id = ClusterId::parse("dev", "us-east-1", "dev-use1-b").unwrap();
    c.info.name = "dev-use1-b".into();
    c.workloads.clear();
    c.pods.clear();
    c.health = SourceHealth {
        next_retry: Some(now + SignedDuration::from_secs(8)),
        ..SourceHealth::connecting()
    };
    update(&mut state, Msg::Source(SourceUpdate::Cluster(Box::new(c))));
    set(
        &mut state,
        ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
        SourceHealth {
            status: SourceStatus::Failed("Unauthorized: run aws sso login".into()),
            last_data: ago(125),
            next_retry: Some(now + SignedDuration::from_secs(30)),
            ..SourceHealth::connecting()
        },
    );
    set(
        &mut state,
        ClusterId::parse("staging", "eu-west-1", "stg-euw1").unwrap(),
        SourceHealth {
            status: SourceStatus::Degraded("pods forbidden (RBAC)".into()),
            last_data: ago(5),
            ..SourceHealth::connecting()
        },
    );
    update(
        &mut state,
        Msg::Source(SourceUpdate::Cost {
            report: Default::default(),
            health: SourceHealth {
                status: SourceStatus::Failed("unknown aws_profile \"ops\"".into()),
                last_data: None,
                ..SourceHealth::connecting()
            },
        }),
    );
    // Opened from the command palette.
    update(&mut state, key(':'));
    keys(&mut state, "sources");
    update(&mut state, code(KeyCode::Enter));
    assert_eq!(*state.view(), View::Sources);
    let text = render(&state, &theme("dark"), 200, 50);
    for want in [
        "never connected",
        "stale           4m ago",
        "Unauthorized: run aws sso login",
        "in 30s",
        "in 8s",
        "unknown aws_profile \"ops\" (never connected)",
        "pods forbidden (RBAC)",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    snap_all("sources", &state);
}
