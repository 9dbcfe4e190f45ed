//! Activity: actions, newest first — ours (pending, done, failed, and entries the audit log has
//! without a completion: the console stopped mid-action) and those other consoles recorded on
//! the clusters as Events.

use super::text::{age_coarse, clean};
use crate::app::activity::{ActivityOrigin, activity_rows};
use crate::app::screens::{ActivityList, selected_row};
use crate::app::{ActivityStatus, State};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let all = activity_rows(state);
    let theirs = all
        .iter()
        .filter(|r| matches!(r.origin, ActivityOrigin::Cluster(_)))
        .count();
    let count = match theirs {
        0 => format!(" {} actions ", all.len()),
        n => format!(
            " {} actions, {n} recorded on the clusters by other consoles ",
            all.len()
        ),
    };
    let title = Line::from(vec![
        Span::styled(" Activity ", theme.title),
        Span::styled(count, theme.muted),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    if all.is_empty() {
        let text = vec![
            Line::styled("no actions yet", theme.muted),
            Line::styled(
                "open a service (enter) and approve (a), roll back (r), scale (S) or tick the checklist (t)",
                theme.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let wide = area.width >= 120;
    let rows: Vec<Row> = all
        .iter()
        .map(|e| {
            let (status, style, detail) = match &e.origin {
                ActivityOrigin::Ours(ActivityStatus::Pending) => {
                    ("sent", theme.info, String::new())
                }
                ActivityOrigin::Ours(ActivityStatus::Done(o)) => {
                    ("done", theme.ok, o.summary.clone())
                }
                ActivityOrigin::Ours(ActivityStatus::Failed(err)) => {
                    ("failed", theme.critical, err.to_string())
                }
                ActivityOrigin::Ours(ActivityStatus::Incomplete) => (
                    "incomplete",
                    theme.warn,
                    "no result recorded: the console stopped mid-action; check the cluster".into(),
                ),
                // Done by another console (or an earlier session): the cluster recorded it.
                ActivityOrigin::Cluster(text) => ("cluster", theme.muted, text.clone()),
            };
            let mut cells = vec![
                Cell::from(age_coarse((state.now - e.at).get_seconds())),
                Cell::from(e.action.clone()),
                Cell::from(clean(&e.service.name).into_owned()),
                Cell::from(clean(e.cluster.name.as_str()).into_owned()),
                Cell::from(status).style(style),
            ];
            if wide {
                cells.push(Cell::from(clean(&e.who).into_owned()));
            }
            let text = if e.reason.is_empty() || !wide {
                detail
            } else {
                format!("{detail} — why: {}", e.reason)
            };
            cells.push(Cell::from(clean(&text).into_owned()));
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["AGE", "ACTION", "SERVICE", "CLUSTER", "STATUS"];
    let mut widths = vec![
        Constraint::Length(4),
        Constraint::Length(if wide { 15 } else { 9 }),
        Constraint::Length(if wide { 24 } else { 14 }),
        Constraint::Length(if wide { 14 } else { 10 }),
        Constraint::Length(10),
    ];
    if wide {
        header.push("WHO");
        widths.push(Constraint::Length(12));
    }
    header.push("RESULT");
    widths.push(Constraint::Min(10));
    let mut ts = TableState::default();
    ts.select(selected_row::<ActivityList>(state, &all));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header))
        .row_highlight_style(theme.selection)
        .block(block);
    frame.render_stateful_widget(table, area, &mut ts);
}
