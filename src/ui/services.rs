//! Every service across the fleet, one column per stage (env/region).

use super::parts::{
    list_title, sources_gate, stale_mark, stale_style, version_text, visible_window,
};
use super::text::{clean, fit, region_short};
use super::{health_glyph, health_style};
use crate::app::screens::{Services, selected_row};
use crate::app::{SortOrder, SourceKind, State, stage_stale_age, visible_services};
use crate::domain::{ServiceRow, Stage};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(area) = sources_gate(state, theme, frame, area, &[SourceKind::Clusters]) else {
        return;
    };
    let rows = visible_services(state);
    let stages = state.fleet.stages();
    let total = state.fleet.service_count();
    let mut extra = Vec::new();
    if let Some(stage) = &state.ui.services_stage {
        extra.push(Span::styled(
            format!(" in {} ", clean(&stage.to_string())),
            theme.accent,
        ));
    }
    let title = list_title(
        state,
        theme,
        "Services",
        (rows.len(), total),
        extra,
        &state.ui.lists.services.filter,
        state.ui.lists.services.sort.label(),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let inner_w = area.width.saturating_sub(2) as usize;

    // Column widths: the name gets what the stages leave; stage cells widen when there is room.
    let n = stages.len().max(1);
    let show_team = inner_w >= 120;
    let team_w = if show_team { 10 } else { 0 };
    let alarm_w = 3;
    let min_name = 18;
    let spare = inner_w.saturating_sub(min_name + team_w + alarm_w + n + 3);
    let stage_w = (spare / n).clamp(6, 16);
    let detailed = stage_w >= 12;
    let name_w = inner_w
        .saturating_sub(team_w + alarm_w + n * (stage_w + 1) + 3)
        .max(10);

    // A stage whose data is no longer current: its cells dimmed, its age under its name.
    let stale: Vec<Option<i64>> = stages.iter().map(|s| stage_stale_age(state, s)).collect();
    let header_h: u16 = if stale.iter().any(Option::is_some) {
        3
    } else {
        2
    };
    let mut header = vec![Cell::from("SERVICE")];
    if show_team {
        header.push(Cell::from("TEAM"));
    }
    for (s, stale) in stages.iter().zip(&stale) {
        let style = if state.fleet.layout().is_production(&s.env) {
            theme.prod
        } else {
            theme.title
        };
        let mut label = ratatui::text::Text::from(vec![
            Line::from(fit(&s.env, stage_w)),
            Line::from(fit(
                &if stage_w >= 14 {
                    s.region.clone()
                } else {
                    short(&s.region)
                },
                stage_w,
            )),
        ]);
        if let Some(a) = stale {
            label.push_line(Line::styled(fit(&stale_mark(*a), stage_w), theme.stale));
        }
        header.push(Cell::from(label).style(style));
    }
    header.push(Cell::from("AL"));
    // Only the rows on screen are built (a large fleet has hundreds of services).
    let selected = selected_row::<Services>(state, &rows);
    let columns: Vec<(&Stage, Option<i64>)> = stages.iter().zip(stale.iter().copied()).collect();
    let lines = area.height.saturating_sub(2 + header_h) as usize;
    let window = visible_window(rows.len(), selected, lines);
    let body: Vec<Row> = rows[window.clone()]
        .iter()
        .map(|r| service_row(theme, r, &columns, name_w, stage_w, detailed, show_team))
        .collect();
    let mut widths = vec![Constraint::Length(name_w as u16)];
    if show_team {
        widths.push(Constraint::Length(team_w as u16));
    }
    widths.extend(std::iter::repeat_n(
        Constraint::Length(stage_w as u16),
        stages.len(),
    ));
    widths.push(Constraint::Length(alarm_w as u16));
    let empty = rows.is_empty();
    let table = Table::new(body, widths)
        .header(Row::new(header).style(theme.title).height(header_h))
        .block(block)
        .row_highlight_style(theme.selection)
        .column_spacing(1);
    let mut ts = TableState::default().with_selected(
        selected
            .filter(|_| !window.is_empty())
            .map(|s| s - window.start),
    );
    frame.render_stateful_widget(table, area, &mut ts);
    if empty {
        let msg = if state.fleet.clusters().is_empty() {
            "waiting for data…"
        } else {
            "no service matches the filter (esc clears it)"
        };
        let r = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        frame.render_widget(Line::styled(msg, theme.muted), r);
    }
}

fn short(region: &str) -> String {
    region_short(region)
}

fn service_row<'a>(
    theme: &Theme,
    r: &ServiceRow,
    columns: &[(&Stage, Option<i64>)],
    name_w: usize,
    stage_w: usize,
    detailed: bool,
    show_team: bool,
) -> Row<'a> {
    let mut cells = vec![Cell::from(Line::from(vec![
        Span::styled(health_glyph(r.worst), health_style(theme, r.worst)),
        Span::raw(" "),
        // Namespaces only when there is room: the name is what people scan for.
        Span::raw(fit(
            &if show_team {
                r.key.to_string()
            } else {
                r.key.name.clone()
            },
            name_w.saturating_sub(2),
        )),
    ]))];
    if show_team {
        cells.push(Cell::from(fit(r.team.as_deref().unwrap_or("—"), 10)).style(theme.muted));
    }
    // The version furthest along the pipeline (the last stage) is the reference for drift.
    let reference = r
        .instances
        .last()
        .map(|i| i.version.clone())
        .unwrap_or_default();
    for &(s, stale) in columns {
        let cell = match r.instance_at(s) {
            None => Cell::from(Span::styled("—", theme.muted)),
            Some(i) => {
                let glyph = health_glyph(i.health);
                let vstyle = if i.version != reference {
                    theme.accent
                } else {
                    theme.base
                };
                let mut spans = vec![Span::styled(glyph, health_style(theme, i.health))];
                if detailed {
                    spans.push(Span::styled(
                        format!("{:>2}/{:<2} ", i.ready, i.desired),
                        health_style(theme, i.health),
                    ));
                }
                let used = if detailed { 7 } else { 1 };
                spans.push(Span::styled(
                    version_text(
                        &i.version,
                        i.pending_version.as_deref(),
                        stage_w.saturating_sub(used),
                    ),
                    vstyle,
                ));
                Cell::from(Line::from(spans))
            }
        };
        cells.push(match stale {
            Some(_) => cell.style(stale_style(theme)),
            None => cell,
        });
    }
    cells.push(if r.firing_alarms > 0 {
        Cell::from(Span::styled(format!("{}", r.firing_alarms), theme.critical))
    } else {
        Cell::from(Span::styled("·", theme.muted))
    });
    Row::new(cells)
}
