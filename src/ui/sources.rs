//! Sources (`:sources`): every source the console reads — each cluster, each cluster's EKS
//! discovery and metrics, the alarm sources, cost — with what its data is worth now (live,
//! degraded, stale with its age, failed, never connected), when it last delivered, its last
//! error and when it tries again.

use super::freshness_style;
use super::parts::{ListTable, draw_list, stale_style};
use super::text::{age, age_coarse, fit};
use crate::app::screens::{SourceList, selected_row};
use crate::app::{SourceRow, State, source_rows};
use crate::domain::Freshness;
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let rows = source_rows(state);
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for r in &rows {
        let label = r.freshness.label();
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => counts.push((label, 1)),
        }
    }
    let summary: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
    let mut title = vec![Span::styled(
        format!(" Sources {} ", rows.len()),
        theme.title,
    )];
    if !summary.is_empty() {
        title.push(Span::styled(
            format!(" {} ", summary.join(" · ")),
            theme.muted,
        ));
    }
    let inner_w = area.width.saturating_sub(2) as usize;
    let wide = inner_w >= 120;
    let name_w = if wide { 28 } else { 14 };
    let state_w = 15;
    let last_w = if wide { 12 } else { 9 };
    let retry_w = if wide { 10 } else { 6 };
    let kind_w = 7;
    let error_w = inner_w.saturating_sub(kind_w + name_w + state_w + last_w + retry_w + 5);
    let widths = vec![
        Constraint::Length(kind_w as u16),
        Constraint::Length(name_w as u16),
        Constraint::Length(state_w as u16),
        Constraint::Length(last_w as u16),
        Constraint::Length(retry_w as u16),
        Constraint::Min(1),
    ];
    let header = Row::new(["KIND", "SOURCE", "STATE", "LAST DATA", "RETRY", "ERROR"]);
    let rows_ref = &rows;
    let list = ListTable {
        title: Line::from(title),
        header,
        header_height: 1,
        widths,
        len: rows.len(),
        row: Box::new(move |i| source_row(state, theme, &rows_ref[i], name_w, error_w)),
        selected: selected_row::<SourceList>(state, &rows),
        empty: "no sources yet: the console is starting them".into(),
    };
    // Each row says its own age: no data-age line at the bottom.
    draw_list(state, theme, frame, area, &[], list);
}

fn source_row<'a>(
    state: &State,
    theme: &Theme,
    r: &SourceRow,
    name_w: usize,
    error_w: usize,
) -> Row<'a> {
    let f = &r.freshness;
    // Live data is judged at minute resolution (an idle screen does not change every second);
    // stale data counts its age in seconds.
    let last = match (r.last_data, f.stale_age()) {
        (None, _) => "never".to_string(),
        (Some(_), Some(a)) => format!("{} ago", age(a)),
        (Some(t), None) => format!("{} ago", age_coarse((state.now - t).get_seconds())),
    };
    let retry = match r.next_retry {
        Some(t) if t > state.now => format!("in {}", age((t - state.now).get_seconds())),
        Some(_) => "now".to_string(),
        None => "—".to_string(),
    };
    let state_word = match f {
        Freshness::NeverConnected { failed: Some(_) } => "failed",
        _ => f.label(),
    };
    let why = f.why().unwrap_or("");
    let error = if matches!(f, Freshness::NeverConnected { failed: Some(_) }) {
        format!("{why} (never connected)")
    } else {
        why.to_string()
    };
    let row = Row::new(vec![
        Cell::from(r.kind),
        Cell::from(fit(&r.name, name_w)),
        Cell::from(Span::styled(state_word, freshness_style(theme, f))),
        Cell::from(last),
        Cell::from(retry),
        Cell::from(fit(&error, error_w.max(1))).style(freshness_style(theme, f)),
    ]);
    match f.stale_age() {
        Some(_) => row.style(stale_style(theme)),
        None => row,
    }
}
