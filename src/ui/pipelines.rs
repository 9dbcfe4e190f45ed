//! Pipelines: services x stages (in the layout's order), the version at each stage with drift
//! highlighted, rollouts in progress, gates with their approvals, stuck rollouts.

use super::parts::{
    ListTable, draw_list, sources_gate, stage_short, stale_mark, stale_style, ui_title,
    version_text,
};
use super::text::{clean, fit, region_short};
use super::{health_glyph, health_style};
use crate::app::screens::{Pipelines, selected_row};
use crate::app::{SourceKind, State, stage_stale_age, visible_pipelines};
use crate::domain::{Attention, PipelineRow, RolloutState, StageState};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Row};

const KINDS: &[SourceKind] = &[SourceKind::Clusters];

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(area) = sources_gate(state, theme, frame, area, KINDS) else {
        return;
    };
    let ui = &state.ui.lists.pipelines;
    let rows = visible_pipelines(state);
    let stages = state.fleet.stages();
    let total = state.fleet.service_count();
    let title = ui_title(state, theme, "Pipelines", (rows.len(), total), vec![], ui);

    // Stages get up to 20 columns each; the service name and the status share the rest.
    let inner_w = area.width.saturating_sub(2) as usize;
    let n = stages.len();
    let stage_w = (inner_w.saturating_sub(16 + 8 + n + 1) / n.max(1)).clamp(8, 20);
    let rest = inner_w.saturating_sub(n * (stage_w + 1) + 1);
    let name_w = (rest / 2).clamp(15, 30).min(rest.saturating_sub(8));
    let status_w = rest.saturating_sub(name_w).max(1);
    let wide = stage_w >= 14;

    // A stage whose data is no longer current: its cells dimmed, its age under its name.
    let stale: Vec<Option<i64>> = stages.iter().map(|s| stage_stale_age(state, s)).collect();
    let any_stale = stale.iter().any(Option::is_some);
    let mut header = vec![Cell::from("SERVICE")];
    for (s, stale) in stages.iter().zip(&stale) {
        let region = if wide {
            s.region.clone()
        } else {
            region_short(&s.region)
        };
        let mut label = Text::from(vec![
            Line::from(fit(&s.env, stage_w)),
            Line::from(fit(&region, stage_w)),
        ]);
        if let Some(a) = stale {
            label.push_line(Line::styled(fit(&stale_mark(*a), stage_w), theme.stale));
        }
        let prod = state.fleet.layout().is_production(&s.env);
        header.push(Cell::from(label).style(if prod { theme.prod } else { theme.title }));
    }
    header.push(Cell::from("STATUS"));
    let mut widths = vec![Constraint::Length(name_w as u16)];
    widths.extend(std::iter::repeat_n(Constraint::Length(stage_w as u16), n));
    widths.push(Constraint::Length(status_w as u16));
    let selected = selected_row::<Pipelines>(state, &rows);
    let mut list = ListTable::new(
        ui,
        selected,
        title,
        Row::new(header),
        widths,
        rows.len(),
        move |i| pipeline_row(theme, rows[i], &stale, name_w, stage_w, status_w),
        "no services in the fleet yet",
    );
    list.header_height = if any_stale { 3 } else { 2 };
    draw_list(state, theme, frame, area, KINDS, list);
}

fn pipeline_row<'a>(
    theme: &Theme,
    r: &PipelineRow,
    stale: &[Option<i64>],
    name_w: usize,
    stage_w: usize,
    status_w: usize,
) -> Row<'a> {
    let name = if name_w >= 28 {
        r.key.to_string()
    } else {
        r.key.name.clone()
    };
    let mut cells = vec![Cell::from(fit(&name, name_w))];
    for (i, s) in r.stages.iter().enumerate() {
        let cell = match s {
            None => Cell::from(Span::styled("—", theme.muted)),
            Some(s) => stage_cell(theme, s, stage_w),
        };
        cells.push(match stale.get(i) {
            Some(Some(_)) => cell.style(stale_style(theme)),
            _ => cell,
        });
    }
    let (text, style) = status(theme, r, status_w);
    cells.push(Cell::from(Span::styled(fit(&text, status_w), style)));
    Row::new(cells)
}

/// Glyph and version; where there is room, rollout progress or gate approvals too.
fn stage_cell<'a>(theme: &Theme, s: &StageState, width: usize) -> Cell<'a> {
    let vstyle = if s.drift { theme.accent } else { theme.base };
    let version = version_text(
        &s.version,
        s.pending_version.as_deref(),
        width.saturating_sub(1),
    );
    let mut spans = vec![
        Span::styled(health_glyph(s.health), health_style(theme, s.health)),
        Span::styled(version.clone(), vstyle),
    ];
    if width >= 14 {
        let extra = match (&s.rollout, &s.gate) {
            (_, Some(g)) => format!(" {}/{} appr", g.approvals, g.required),
            (RolloutState::Stuck(_), _) => " stuck".into(),
            (RolloutState::Progressing, _) => format!(" {}/{}", s.updated, s.desired),
            _ => String::new(),
        };
        let room = width.saturating_sub(1 + version.chars().count());
        spans.push(Span::styled(
            fit(&extra, room),
            health_style(theme, s.health),
        ));
    }
    Cell::from(Line::from(spans))
}

/// The row's most urgent state, short or (with room) with where and why.
fn status(theme: &Theme, r: &PipelineRow, width: usize) -> (String, ratatui::style::Style) {
    let first = |f: &dyn Fn(&StageState) -> bool| r.present().find(|s| f(s));
    let long = width >= 24;
    let at = |s: &StageState| {
        if long {
            format!(" at {}", stage_short(&s.stage))
        } else {
            String::new()
        }
    };
    match r.attention() {
        Attention::Stuck => {
            let s = first(&|s| matches!(s.rollout, RolloutState::Stuck(_)));
            let why = match s.map(|s| &s.rollout) {
                Some(RolloutState::Stuck(why)) if long => format!(": {}", clean(why)),
                _ => String::new(),
            };
            let text = format!("✖ stuck{}{why}", s.map(at).unwrap_or_default());
            (text, theme.critical)
        }
        Attention::Gate => {
            let s = first(&|s| s.gate.is_some());
            let g = s.and_then(|s| s.gate.as_ref());
            let n = g.map_or(String::new(), |g| format!("{}/{}", g.approvals, g.required));
            let word = if long { " approvals" } else { "" };
            (
                format!("⏸ {n}{word}{}", s.map(at).unwrap_or_default()),
                theme.warn,
            )
        }
        Attention::Rolling => {
            let s = first(&|s| s.in_flight());
            let pct = s.map_or(0, |s| s.progress_pct());
            let word = if long { " rolled" } else { "" };
            (
                format!("◐ {pct}%{word}{}", s.map(at).unwrap_or_default()),
                theme.info,
            )
        }
        Attention::Drift => {
            let text = if long {
                format!("drift: {} versions", r.version_count())
            } else {
                format!("{} vers", r.version_count())
            };
            (text, theme.accent)
        }
        Attention::Settled => ("in sync".into(), theme.muted),
    }
}
