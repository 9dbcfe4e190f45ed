//! One service's release: where each stage is, the gate and its approvals, the selected stage's
//! revision history, and the deployment checklist (what the console verifies itself, the rest
//! not ticked until checklist state arrives with #5).

use super::parts::{env_style, revision_lines, stage_short};
use super::text::{age, age_coarse, clean, fit};
use super::{health_glyph, health_style};
use crate::app::{State, release};
use crate::domain::{
    CheckState, PipelineRow, RolloutState, StageState, Workload, release_checklist,
};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some((row, index)) = release(state) else {
        let msg = " this service is gone from every cluster (deleted?) — esc to go back";
        frame.render_widget(Paragraph::new(Line::styled(msg, theme.warn)), area);
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let stages_h = (row.present().count() as u16 + 3).min(left.height / 2);
    let [top, gate, history] = Layout::vertical([
        Constraint::Length(stages_h),
        Constraint::Length(5),
        Constraint::Min(3),
    ])
    .areas(left);
    let view = Release {
        state,
        theme,
        row,
        index,
    };
    view.stage_table(frame, top);
    view.gate_box(frame, gate);
    view.history_box(frame, history);
    view.checklist_box(frame, right);
}

/// The release being drawn: a service's pipeline row and the selected stage (an index into the
/// stages it runs in).
struct Release<'a> {
    state: &'a State,
    theme: &'a Theme,
    row: &'a PipelineRow,
    index: usize,
}

fn block<'a>(theme: &Theme, title: Line<'a>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title)
}

impl Release<'_> {
    /// The service's workload at one of its stages.
    fn workload(&self, s: &StageState) -> Option<&Workload> {
        let cluster = self.state.fleet.clusters().get(&s.cluster)?;
        cluster.workloads.get(&self.row.key)
    }

    fn stage_table(&self, frame: &mut Frame, area: Rect) {
        let (state, theme, row, index) = (self.state, self.theme, self.row, self.index);
        let version = row.candidate(index).unwrap_or("—");
        let wide = area.width >= 60;
        let target = row.present().nth(index).map(|s| {
            if wide {
                s.stage.to_string()
            } else {
                stage_short(&s.stage)
            }
        });
        let name = if wide {
            row.key.to_string()
        } else {
            row.key.name.clone()
        };
        let title = Line::from(vec![
            Span::styled(format!(" {} ", clean(&name)), theme.title),
            Span::styled(
                format!(
                    " {} → {} ",
                    clean(version),
                    clean(target.as_deref().unwrap_or("—"))
                ),
                theme.accent,
            ),
        ]);
        let rows: Vec<Row> = row
            .present()
            .map(|s| {
                let prod = state.fleet.layout().is_production(&s.stage.env);
                let status = match (&s.rollout, &s.gate) {
                    (_, Some(g)) => format!("gate {}/{}", g.approvals, g.required),
                    (RolloutState::Stuck(why), _) => why.clone(),
                    (RolloutState::Progressing, _) => format!("{}%", s.progress_pct()),
                    _ => s.health.label().to_string(),
                };
                let stage = if wide {
                    s.stage.to_string()
                } else {
                    stage_short(&s.stage)
                };
                let mut cells = vec![
                    Cell::from(clean(&stage).into_owned()).style(env_style(theme, prod)),
                    Cell::from(Line::from(vec![
                        Span::styled(health_glyph(s.health), health_style(theme, s.health)),
                        Span::styled(
                            format!(" {}", clean(&s.version)),
                            if s.drift { theme.accent } else { theme.base },
                        ),
                    ])),
                    Cell::from(format!("{}/{}", s.ready, s.desired)),
                    Cell::from(clean(&status).into_owned()).style(health_style(theme, s.health)),
                ];
                if wide {
                    let since = age_coarse((state.now - s.changed_at).get_seconds());
                    cells.push(Cell::from(since).style(theme.muted));
                }
                Row::new(cells)
            })
            .collect();
        let mut header = vec!["STAGE", "VERSION", "READY", "STATUS"];
        let mut widths = vec![
            Constraint::Length(if wide { 20 } else { 12 }),
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Min(6),
        ];
        if wide {
            header.push("CHANGED");
            widths[3] = Constraint::Length(26);
            widths.push(Constraint::Min(7));
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.title))
            .block(block(theme, title))
            .row_highlight_style(theme.selection);
        let mut ts = TableState::default().with_selected(Some(index));
        frame.render_stateful_widget(table, area, &mut ts);
    }

    /// The gate the release waits at (the first in the pipeline), with who approved and why.
    fn gate_box(&self, frame: &mut Frame, area: Rect) {
        let (state, theme, row) = (self.state, self.theme, self.row);
        let width = area.width.saturating_sub(2) as usize;
        let gated = row.present().find(|s| s.gate.is_some());
        let mut lines = Vec::new();
        let title = match gated.and_then(|s| s.gate.as_ref().map(|g| (s, g))) {
            None => {
                lines.push(Line::styled("no gate waiting", theme.muted));
                Line::styled(" Gate ", theme.title)
            }
            Some((s, g)) => {
                let head = format!(
                    "{} needs {}/{} approvals · by {} {} ago",
                    clean(&g.version),
                    g.approvals,
                    g.required,
                    clean(&g.requested_by),
                    age_coarse((state.now - g.since).get_seconds())
                );
                lines.push(Line::styled(fit(&head, width), theme.warn));
                for a in self
                    .workload(s)
                    .and_then(|w| w.gate.as_ref())
                    .map_or(&[][..], |g| &g.approvals)
                {
                    let text = format!(
                        "✔ {} {}: {}",
                        a.who,
                        age_coarse((state.now - a.at).get_seconds()),
                        a.reason
                    );
                    lines.push(Line::styled(fit(&text, width), theme.ok));
                }
                if g.approvals < g.required {
                    let more = g.required - g.approvals;
                    lines.push(Line::styled(
                        format!(
                            "○ {more} more approval{} needed",
                            if more == 1 { "" } else { "s" }
                        ),
                        theme.muted,
                    ));
                }
                Line::from(Span::styled(
                    format!(" Gate at {} ", clean(&s.stage.to_string())),
                    theme.prod,
                ))
            }
        };
        frame.render_widget(Paragraph::new(lines).block(block(theme, title)), area);
    }

    fn history_box(&self, frame: &mut Frame, area: Rect) {
        let (state, theme, row, index) = (self.state, self.theme, self.row, self.index);
        let width = area.width.saturating_sub(2) as usize;
        let stage = row.present().nth(index);
        let w = stage.and_then(|s| self.workload(s));
        let title = format!(
            " History in {} ",
            clean(&stage.map(|s| s.stage.to_string()).unwrap_or_default())
        );
        let lines = w.map_or(Vec::new(), |w| revision_lines(state, theme, w, width, 10));
        let block = block(theme, Line::styled(title, theme.title));
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }

    fn checklist_box(&self, frame: &mut Frame, area: Rect) {
        let (state, theme, row, index) = (self.state, self.theme, self.row, self.index);
        let width = area.width.saturating_sub(2) as usize;
        let items = release_checklist(&state.fleet, row, index);
        let verified = items.iter().filter(|i| i.state.done()).count();
        let title = Line::from(vec![
            Span::styled(" Checklist ", theme.title),
            Span::styled(format!(" {verified}/{} ", items.len()), theme.muted),
        ]);
        let mut lines = Vec::new();
        let mut ticked;
        for item in &items {
            let (glyph, style, detail) = match &item.state {
                CheckState::Verified(d) => ("✔", theme.ok, Some(d)),
                CheckState::Failed(d) => ("✖", theme.critical, Some(d)),
                CheckState::NotTicked => ("☐", theme.muted, None),
                CheckState::Ticked { who, at } => {
                    ticked = format!(
                        "ticked by {} {} ago",
                        clean(who),
                        age((state.now - *at).get_seconds().max(0))
                    );
                    ("☑", theme.ok, Some(&ticked))
                }
            };
            let mut spans = vec![
                Span::styled(format!("{glyph} "), style),
                Span::styled(fit(item.label, width.saturating_sub(2)), theme.base),
            ];
            if item.verified_by_console && width >= 44 {
                spans.push(Span::styled(" (auto)", theme.muted));
            }
            lines.push(Line::from(spans));
            if let Some(d) = detail {
                lines.push(Line::styled(fit(&format!("  {d}"), width), style));
            }
        }
        lines.push(Line::styled(
            "✔ ✖ verified live by opsdeck · ☑ ticked by a person · ☐ open: t ticks one",
            theme.muted,
        ));
        let p = Paragraph::new(lines)
            .block(block(theme, title))
            .wrap(Wrap { trim: false });
        frame.render_widget(p, area);
    }
}
