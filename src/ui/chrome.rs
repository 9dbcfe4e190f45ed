//! Header (fleet, sources' health and age, read-only badge, views) and footer (key hints).

use super::text::{age, clean};
use super::{freshness_short, freshness_style, status_style};
use crate::app::{Input, Intent, State, View, list_filter};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn header(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let mut left = vec![
        Span::styled(" opsdeck ", theme.title),
        Span::styled(clean(&state.fleet.layout().name).into_owned(), theme.header),
    ];
    if state.settings.demo {
        left.push(Span::styled(" DEMO", theme.info));
    }
    if state.settings.read_only {
        left.push(Span::raw(" "));
        left.push(Span::styled(" READ-ONLY ", theme.read_only));
    }
    left.push(Span::styled("  ", theme.header));
    let healths = state.fleet.source_healths();
    let stale_after = state.settings.stale_after_secs;
    let problems: Vec<_> = healths
        .iter()
        .filter(|(_, h)| {
            h.is_stale(state.now, stale_after)
                || !matches!(h.status, crate::domain::SourceStatus::Live)
        })
        .collect();
    let clusters = state.fleet.clusters().len();
    if healths.is_empty() {
        left.push(Span::styled("waiting for sources…", theme.muted));
    } else if problems.is_empty() {
        left.push(Span::styled("●", theme.ok));
        left.push(Span::styled(
            format!(
                " {clusters} cluster{} live",
                if clusters == 1 { "" } else { "s" }
            ),
            theme.header,
        ));
    } else {
        // Name the sources in trouble when few are; count them when many are (the cells say which).
        let shown = if problems.len() <= 2 {
            problems.len()
        } else {
            0
        };
        if shown == 0 {
            let worst = problems
                .iter()
                .map(|(_, h)| &h.status)
                .max_by_key(|s| crate::domain::status_rank(s))
                .cloned();
            let worst = worst.unwrap_or(crate::domain::SourceStatus::Connecting);
            left.push(Span::styled("● ", status_style(theme, &worst)));
            left.push(Span::styled(
                format!(
                    "{} of {} sources not live (:sources)",
                    problems.len(),
                    healths.len()
                ),
                theme.stale,
            ));
        }
        for (name, h) in problems.iter().take(shown) {
            let f = crate::app::freshness(state, h);
            let word = match (&f, h.age_secs(state.now)) {
                // Live or degraded but named here: say how old its data is.
                (crate::domain::Freshness::Degraded(_), Some(a)) => {
                    format!("degraded {}", age(a))
                }
                _ => freshness_short(&f),
            };
            left.push(Span::styled("● ", freshness_style(theme, &f)));
            left.push(Span::styled(
                format!("{} {word}  ", clean(name)),
                theme.stale,
            ));
        }
        if shown > 0 && problems.len() > shown {
            left.push(Span::styled(
                format!("+{} more", problems.len() - 3),
                theme.stale,
            ));
        }
    }
    let left_w: usize = left.iter().map(|s| s.width()).sum();
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.header), area);
    // Views on the right, the current one highlighted; only its title when room is short.
    let current = state.ui.stack.first().cloned().unwrap_or(View::Overview);
    let tabs = |compact: bool| -> Vec<Span<'static>> {
        crate::app::TOP_VIEWS
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if *v == current {
                    Span::styled(format!(" {} {} ", i + 1, v.title()), theme.selection)
                } else if compact {
                    Span::styled(format!(" {} ", i + 1), theme.header)
                } else {
                    Span::styled(format!(" {} {} ", i + 1, v.title()), theme.header)
                }
            })
            .collect()
    };
    let room = (area.width as usize).saturating_sub(left_w + 1);
    let width = |t: &[Span]| t.iter().map(|s| s.width()).sum::<usize>();
    let tabs = [tabs(false), tabs(true)]
        .into_iter()
        .find(|t| width(t) <= room);
    if let Some(tabs) = tabs {
        let w = width(&tabs) as u16;
        let r = Rect {
            x: area.x + area.width - w,
            width: w,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Line::from(tabs)).alignment(Alignment::Right),
            r,
        );
    }
}

pub fn footer(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let line = match &state.ui.input {
        Input::Filter => Line::from(vec![
            Span::styled(" / ", theme.filter),
            Span::styled(
                clean(list_filter(state).unwrap_or_default()).into_owned(),
                theme.filter,
            ),
            Span::styled("▏", theme.filter),
            Span::styled("   enter keep · esc clear", theme.muted),
        ]),
        _ => {
            let contexts = state.key_contexts();
            let hint = |a: Intent, label: &str| -> Vec<Span<'static>> {
                match state.keymap.keys_for_in(&contexts, a).first() {
                    Some(k) => vec![
                        Span::styled(format!(" {k}"), theme.accent),
                        Span::styled(format!(" {label} "), theme.header),
                    ],
                    None => vec![],
                }
            };
            let mut spans = Vec::new();
            match state.view() {
                View::Overview => {
                    spans.extend(hint(Intent::Select, "open"));
                    let keys: Vec<String> = [Intent::Left, Intent::Down, Intent::Up, Intent::Right]
                        .iter()
                        .filter_map(|a| state.keymap.keys_for_in(&contexts, *a).into_iter().next())
                        .collect();
                    spans.push(Span::styled(format!(" {}", keys.join("")), theme.accent));
                    spans.push(Span::styled(" move ", theme.header));
                }
                View::ServiceDetail(_) | View::Release(_) => {
                    let what = if matches!(state.view(), View::Release(_)) {
                        "stage"
                    } else {
                        "instance"
                    };
                    spans.extend(hint(Intent::Down, what));
                    // The actions, when there is room for them (help lists them all).
                    if area.width >= 100 {
                        for (a, label) in [
                            (Intent::Approve, "approve"),
                            (Intent::Rollback, "rollback"),
                            (Intent::Scale, "scale"),
                            (Intent::Tick, "tick"),
                        ] {
                            spans.extend(hint(a, label));
                        }
                    }
                    spans.extend(hint(Intent::Back, "back"));
                }
                View::Activity => {
                    spans.extend(hint(Intent::Select, "service"));
                }
                View::Sources => {
                    spans.extend(hint(Intent::Refresh, "refresh"));
                    spans.extend(hint(Intent::Back, "back"));
                }
                View::Timeline => {
                    for (a, label) in [
                        (Intent::Filter, "filter"),
                        (Intent::Sort, "sort"),
                        (Intent::TimeWindow, "window"),
                    ] {
                        spans.extend(hint(a, label));
                    }
                }
                list => {
                    let open = match list {
                        View::Pipelines => "release",
                        View::Capacity => "services",
                        _ => "open",
                    };
                    for (a, label) in [
                        (Intent::Select, open),
                        (Intent::Filter, "filter"),
                        (Intent::Sort, "sort"),
                    ] {
                        spans.extend(hint(a, label));
                    }
                }
            }
            spans.extend(hint(Intent::Palette, "commands"));
            spans.extend(hint(Intent::Help, "help"));
            spans.extend(hint(Intent::Quit, "quit"));
            Line::from(spans)
        }
    };
    // The notice takes the right (at most half); the hints keep the rest, cut rather than
    // overwritten, so the two never run into each other.
    let notice_w = state.ui.notice.as_ref().map_or(0, |(n, _)| {
        (n.chars().count() as u16 + 2).min(area.width / 2)
    });
    let hints = Rect {
        width: area.width - notice_w,
        ..area
    };
    frame.render_widget(Paragraph::new(line).style(theme.header), hints);
    if let Some((notice, _)) = &state.ui.notice {
        let r = Rect {
            x: area.x + area.width - notice_w,
            width: notice_w,
            ..area
        };
        frame.render_widget(
            Paragraph::new(format!(" {}", clean(notice))).style(theme.info),
            r,
        );
    }
}
