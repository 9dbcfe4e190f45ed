//! Timeline ("what changed"): deploys, scaling, gate approvals, pauses, alarm state changes and
//! our own audited actions in one chronological list, the last hour by default — the first
//! screen an incident responder opens.

use super::parts::{ListTable, draw_list, sources_gate, ui_title};
use super::text::{age_coarse, clean, fit, region_short};
use crate::app::screens::{Timeline, selected_row};
use crate::app::{SortOrder, SourceKind, State, visible_changes};
use crate::domain::{AlarmState, ChangeKind};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row};

const KINDS: &[SourceKind] = &[SourceKind::Clusters, SourceKind::Alarms];

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(area) = sources_gate(state, theme, frame, area, KINDS) else {
        return;
    };
    let ui = &state.ui.lists.timeline;
    let window = state.ui.timeline_window;
    let rows = visible_changes(state);
    let extra = vec![Span::styled(format!(" {} ", window.label()), theme.accent)];
    let title = ui_title(
        state,
        theme,
        "Timeline",
        (rows.len(), state.fleet.changes.len()),
        extra,
        ui,
    );
    let inner_w = area.width.saturating_sub(2) as usize;
    let wide = inner_w >= 120;
    let stage_w = if wide { 22 } else { 12 };
    let service_w = if wide { 30 } else { 16 };
    let row = |i: usize| {
        let c = rows[i];
        let prod = c
            .env
            .as_deref()
            .is_some_and(|e| state.fleet.layout().is_production(e));
        let stage = match (&c.env, &c.region) {
            (Some(e), Some(r)) if wide => format!("{e}/{r}"),
            (Some(e), Some(r)) => format!("{e}/{}", region_short(r)),
            (e, r) => e.clone().or(r.clone()).unwrap_or_else(|| "—".into()),
        };
        let service = match (&c.namespace, &c.service) {
            (Some(ns), Some(s)) if wide => format!("{ns}/{s}"),
            (_, Some(s)) => s.clone(),
            _ => "—".into(),
        };
        let mut cells = vec![Cell::from(age_coarse((state.now - c.at).get_seconds()))];
        if wide {
            cells.push(Cell::from(c.at.strftime("%H:%M:%S").to_string()).style(theme.muted));
        }
        cells.extend([
            Cell::from(fit(&stage, stage_w)).style(if prod { theme.prod } else { theme.base }),
            Cell::from(fit(&service, service_w)),
            Cell::from(c.kind.label()).style(kind_style(theme, &c.kind)),
            Cell::from(clean(&c.kind.describe()).into_owned()),
        ]);
        // Automatic scaling is context, not news: muted. A cluster whose data is no longer
        // current: dimmed (nothing newer is known from it; the banner says how old).
        let hpa = matches!(c.kind, ChangeKind::Scale { by_hpa: true, .. });
        let stale = c
            .cluster
            .as_ref()
            .and_then(|id| crate::app::cluster_stale_age(state, id));
        Row::new(cells).style(match (stale, hpa) {
            (Some(_), _) => super::parts::stale_style(theme),
            (None, true) => theme.muted,
            (None, false) => theme.base,
        })
    };
    let mut header = vec!["AGE"];
    let mut widths = vec![Constraint::Length(4)];
    if wide {
        header.push("UTC");
        widths.push(Constraint::Length(8));
    }
    header.extend(["ENV/REGION", "SERVICE", "CHANGE", "WHAT"]);
    widths.extend([
        Constraint::Length(stage_w as u16),
        Constraint::Length(service_w as u16),
        Constraint::Length(8),
        Constraint::Min(10),
    ]);
    let key = state
        .keymap
        .keys_for_in(&state.key_contexts(), crate::app::Intent::TimeWindow)
        .into_iter()
        .next();
    let nothing = match key {
        Some(k) => format!("no changes ({}) — {k} widens the window", window.label()),
        None => format!("no changes ({})", window.label()),
    };
    let table = ListTable::new(
        ui,
        selected_row::<Timeline>(state, &rows),
        title,
        Row::new(header),
        widths,
        rows.len(),
        row,
        &nothing,
    );
    draw_list(state, theme, frame, area, KINDS, table);
}

fn kind_style(theme: &Theme, kind: &ChangeKind) -> Style {
    match kind {
        ChangeKind::Deploy { rollback: true, .. } => theme.warn,
        ChangeKind::Deploy { .. } | ChangeKind::Created { .. } => theme.info,
        ChangeKind::Alarm {
            to: AlarmState::Alarm,
            ..
        } => theme.critical,
        ChangeKind::Alarm { .. } => theme.ok,
        ChangeKind::GateOpened { .. } | ChangeKind::Paused => theme.warn,
        ChangeKind::GateApproved { .. } | ChangeKind::Resumed { .. } => theme.ok,
        ChangeKind::Deleted { .. } => theme.critical,
        ChangeKind::Action { .. } => theme.accent,
        ChangeKind::Scale { by_hpa: true, .. } => theme.muted,
        ChangeKind::Scale { .. } => theme.accent,
    }
}
