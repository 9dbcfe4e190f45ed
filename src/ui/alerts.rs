//! Alerts: firing alarms and cluster-derived alerts across the fleet, most urgent first; new ones
//! highlighted; an alert on a service mid-rollout carries the rollback it suggests. The selected
//! alert's full text is shown below the list.

use super::parts::{ListTable, draw_list, env_style, sources_gate, stage_short, ui_title};
use super::text::{age_coarse, clean, fit};
use crate::app::screens::{Alerts, selected_row};
use crate::app::{AlertSort, SourceKind, State, visible_alerts};
use crate::domain::{Alert, AlertOrigin, Severity};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Wrap};

const KINDS: &[SourceKind] = &[SourceKind::Clusters, SourceKind::Alarms];

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(area) = sources_gate(state, theme, frame, area, KINDS) else {
        return;
    };
    let ui = &state.ui.lists.alerts;
    let rows = visible_alerts(state);
    let total = state.fleet.alerts(state.now).len();
    let selected = selected_row::<Alerts>(state, &rows);
    let detail_h = if area.height >= 30 { 7 } else { 5 };
    let [list, detail] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(detail_h)]).areas(area);

    let firing = rows
        .iter()
        .filter(|a| a.severity == Severity::Critical)
        .count();
    let extra = vec![Span::styled(format!(" {firing} critical "), theme.critical)];
    let title = ui_title(state, theme, "Alerts", (rows.len(), total), extra, ui);
    let inner_w = list.width.saturating_sub(2) as usize;
    let wide = inner_w >= 120;
    let stage_w = if wide { 22 } else { 12 };
    let service_w = if wide { 24 } else { 16 };
    let grouped = matches!(ui.sort, AlertSort::Stage | AlertSort::Service);
    let group = |a: &Alert| (a.env.clone(), a.service.clone());
    let row = |i: usize| {
        let repeat = grouped && i > 0 && group(&rows[i - 1]) == group(&rows[i]);
        alert_row(state, theme, &rows[i], repeat, stage_w, service_w, wide)
    };
    let mut header = vec!["", "AGE", "ENV/REGION", "SERVICE", "ALERT"];
    let mut widths = vec![
        Constraint::Length(5),
        Constraint::Length(4),
        Constraint::Length(stage_w as u16),
        Constraint::Length(service_w as u16),
        Constraint::Min(10),
    ];
    if wide {
        header.push("ROLLBACK");
        widths.push(Constraint::Length(30));
    }
    let nothing = "no firing alarms and no cluster alerts";
    let table = ListTable::new(
        ui,
        selected,
        title,
        Row::new(header),
        widths,
        rows.len(),
        row,
        nothing,
    );
    draw_list(state, theme, frame, list, KINDS, table);
    detail_box(state, theme, frame, detail, selected.map(|i| &rows[i]));
}

fn severity_style(theme: &Theme, s: Severity) -> Style {
    match s {
        Severity::Critical => theme.critical,
        Severity::Warning => theme.warn,
        Severity::Info => theme.info,
    }
}

fn alert_row<'a>(
    state: &State,
    theme: &Theme,
    a: &Alert,
    repeat: bool,
    stage_w: usize,
    service_w: usize,
    wide: bool,
) -> Row<'a> {
    let new = a.is_new(state.now);
    let sev = severity_style(theme, a.severity);
    let glyph = match a.severity {
        Severity::Critical => "✖",
        Severity::Warning => "▲",
        Severity::Info => "·",
    };
    let stage = match (repeat, a.stage()) {
        (true, _) => String::new(),
        (false, Some(s)) if wide => s.to_string(),
        (false, Some(s)) => stage_short(&s),
        (false, None) => a.region.clone(),
    };
    let service = if repeat {
        String::new()
    } else {
        a.service.clone().unwrap_or_else(|| "—".into())
    };
    // New alerts stand out without colour too: a marker and bold text.
    let emphasis = if new {
        Modifier::BOLD
    } else {
        Modifier::empty()
    };
    // Its source's data is no longer current: dimmed, and the alert says how old it is.
    let stale = crate::app::alert_stale_age(state, a);
    let mark = stale
        .map(|age| format!("{} · ", super::parts::stale_mark(age)))
        .unwrap_or_default();
    let mut cells = vec![
        Cell::from(Line::from(vec![
            Span::styled(glyph, sev),
            Span::styled(if new { " new" } else { "" }, theme.warn),
        ])),
        Cell::from(age_coarse((state.now - a.since).get_seconds())),
        Cell::from(fit(&stage, stage_w)).style(env_style(theme, a.production)),
        Cell::from(fit(&service, service_w)),
        Cell::from(Line::from(vec![
            Span::styled(mark, theme.stale),
            Span::styled(if a.rollback.is_some() { "↶ " } else { "" }, theme.critical),
            Span::styled(clean(&a.title).into_owned(), sev.add_modifier(emphasis)),
            Span::styled(format!("  {}", clean(&a.detail)), theme.muted),
        ])),
    ];
    if wide {
        let hint = a
            .rollback
            .as_ref()
            .map(|h| format!("{} → {} ({})", h.from, h.to, h.why))
            .unwrap_or_default();
        cells.push(Cell::from(fit(&hint, 30)).style(theme.critical));
    }
    match stale {
        Some(_) => Row::new(cells).style(super::parts::stale_style(theme)),
        None => Row::new(cells),
    }
}

/// The selected alert in full: what, where, since when, from which source, and the rollback.
fn detail_box(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, a: Option<&Alert>) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border);
    let Some(a) = a else {
        frame.render_widget(block, area);
        return;
    };
    let origin = match &a.origin {
        AlertOrigin::Alarm { account, metric } => {
            format!("CloudWatch alarm · account {account} · {metric}")
        }
        AlertOrigin::Cluster { cluster } => format!("cluster {cluster}"),
    };
    let place = a.stage().map_or(a.region.clone(), |s| s.to_string());
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} ", a.severity.label().to_uppercase()),
            severity_style(theme, a.severity),
        ),
        Span::styled(clean(&a.title).into_owned(), theme.title),
        Span::styled(
            clean(&format!(
                "  {place} · since {} ago · {origin}",
                age_coarse((state.now - a.since).get_seconds())
            ))
            .into_owned(),
            theme.muted,
        ),
    ])];
    if let Some(h) = &a.rollback {
        lines.push(Line::styled(
            clean(&format!(
                "↶ {} is {} in {}: roll back {} → {} (rev {})",
                h.key, h.why, h.cluster, h.from, h.to, h.to_revision
            ))
            .into_owned(),
            theme.critical,
        ));
    }
    lines.push(Line::styled(clean(&a.detail).into_owned(), theme.base));
    let p = Paragraph::new(lines).block(block).wrap(Wrap { trim: true });
    frame.render_widget(p, area);
}
