//! Cost: 30 days of daily spend as bars, month to date vs forecast vs last month per env,
//! region and service, the biggest movers (last 7 whole days vs the 7 before) and anomalies.

use super::parts::{ListTable, draw_list, sources_gate, ui_title};
use super::text::{age_coarse, clean, fit, money, region_short};
use crate::app::screens::{Cost, selected_row};
use crate::app::{SourceKind, State, visible_cost_rows};
use crate::domain::{CostRow, CostScope, anomalies, cost_rows, movers};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row};

const KINDS: &[SourceKind] = &[SourceKind::Cost];

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(area) = sources_gate(state, theme, frame, area, KINDS) else {
        return;
    };
    let chart_h = (area.height / 3).clamp(5, 14);
    let [summary, chart, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(chart_h),
        Constraint::Min(4),
    ])
    .areas(area);
    summary_line(state, theme, frame, summary);
    daily_chart(state, theme, frame, chart);
    let side_w = (bottom.width * 3 / 8).clamp(30, 60);
    let [table, side] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(side_w)]).areas(bottom);
    cost_table(state, theme, frame, table);
    side_panel(state, theme, frame, side);
}

fn summary_line(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let c = state.fleet.cost();
    let mtd = c.mtd_total();
    let vs = if c.last_month > 0.0 {
        match ((c.forecast_month_end / c.last_month - 1.0) * 100.0).round() {
            0.0 => " (as last month)".to_string(),
            pct => format!(" ({pct:+.0}% on last month)"),
        }
    } else {
        String::new()
    };
    let line = Line::from(vec![
        Span::styled(" month to date ", theme.muted),
        Span::styled(money(mtd), theme.title),
        Span::styled(" · forecast ", theme.muted),
        Span::styled(money(c.forecast_month_end), theme.title),
        Span::styled(vs, theme.muted),
        Span::styled(" · last month ", theme.muted),
        Span::styled(money(c.last_month), theme.base),
        Span::styled(figure_ages(state), theme.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// Each group of figures' age, where the source fetched them separately (Cost Explorer answers
/// are cached for hours): " · fetched 2h ago", or per group when their ages differ.
fn figure_ages(state: &State) -> String {
    let fetched = &state.fleet.cost().fetched;
    let ages: Vec<(&String, String)> = fetched
        .iter()
        .map(|(what, at)| {
            let secs = (state.now.as_second() - at.as_second()).max(0);
            (what, age_coarse(secs))
        })
        .collect();
    match ages.first() {
        None => String::new(),
        Some((_, first)) if ages.iter().all(|(_, a)| a == first) => {
            format!(" · fetched {first} ago")
        }
        Some(_) => {
            let parts: Vec<String> = ages.iter().map(|(w, a)| format!("{w} {a}")).collect();
            format!(" · ages: {}", parts.join(", "))
        }
    }
}

/// One column of eighth-blocks per day, tallest = the most expensive day; anomalous days in the
/// warning colour, today (partial) muted.
fn daily_chart(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let c = state.fleet.cost();
    let max = c.daily.iter().map(|d| d.usd).fold(0.0, f64::max);
    let title = Line::from(vec![
        Span::styled(" Daily spend, last 30 days ", theme.title),
        Span::styled(format!(" max {}/day · ", money(max)), theme.muted),
        Span::styled("█", theme.warn),
        Span::styled(" anomaly ", theme.muted),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if c.daily.is_empty() || inner.height < 2 || max <= 0.0 {
        let msg = Line::styled("no daily figures from the cost source", theme.muted);
        frame.render_widget(Paragraph::new(msg), inner);
        return;
    }
    let fleet_anomalies: Vec<_> = anomalies(c)
        .into_iter()
        .filter(|a| a.scope == CostScope::Fleet)
        .map(|a| a.date)
        .collect();
    let days = c.daily.len();
    let col_w = (inner.width as usize / days).clamp(1, 6);
    let bar_w = if col_w > 1 { col_w - 1 } else { 1 };
    let bars_h = inner.height as usize - 1;
    let complete = c.complete_days();
    const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
    let mut rows: Vec<Vec<Span>> = vec![Vec::new(); bars_h];
    for (i, d) in c.daily.iter().enumerate() {
        let style: Style = if fleet_anomalies.contains(&d.date) {
            theme.warn
        } else if i >= complete {
            theme.muted
        } else {
            theme.bar_filled
        };
        let total = (d.usd / max * (bars_h * 8) as f64).round() as usize;
        for (r, row) in rows.iter_mut().enumerate() {
            let level = (bars_h - r - 1) * 8;
            let eighths = total.saturating_sub(level).min(8);
            row.push(Span::styled(EIGHTHS[eighths].repeat(bar_w), style));
            if col_w > 1 {
                row.push(Span::raw(" ".repeat(col_w - bar_w)));
            }
        }
    }
    let mut lines: Vec<Line> = rows.into_iter().map(Line::from).collect();
    let first = c
        .daily
        .first()
        .map(|d| d.date.strftime("%b %d").to_string());
    let last = c.daily.last().map(|d| d.date.strftime("%b %d").to_string());
    let span_w = days * col_w;
    let (first, last) = (first.unwrap_or_default(), last.unwrap_or_default());
    let gap = span_w.saturating_sub(first.len() + last.len() + 8);
    lines.push(Line::styled(
        format!("{first}{}{last} (today)", " ".repeat(gap)),
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn cost_table(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let ui = &state.ui.lists.cost;
    let rows = visible_cost_rows(state);
    let total = cost_rows(state.fleet.cost(), state.fleet.layout()).len();
    let title = ui_title(state, theme, "Spend", (rows.len(), total), vec![], ui);
    let inner_w = area.width.saturating_sub(2) as usize;
    let wide = inner_w >= 80;
    let scope_w = if wide { 28 } else { 14 };
    let row = |i: usize| cost_row(theme, &rows[i], scope_w, wide);
    let mut header = vec!["", "MTD", "FORECAST", "LAST MO", "7D Δ"];
    let mut widths = vec![
        Constraint::Length(scope_w as u16),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    if wide {
        header.push("7D %");
        widths.push(Constraint::Length(6));
    }
    let nothing = "the cost source does not split spend by env, region or service";
    let table = ListTable::new(
        ui,
        selected_row::<Cost>(state, &rows),
        title,
        Row::new(header),
        widths,
        rows.len(),
        row,
        nothing,
    );
    draw_list(state, theme, frame, area, KINDS, table);
}

fn change_style(theme: &Theme, change: f64) -> Style {
    if change > 0.0 { theme.warn } else { theme.ok }
}

fn cost_row<'a>(theme: &Theme, r: &CostRow, scope_w: usize, wide: bool) -> Row<'a> {
    let (label, style) = match &r.scope {
        CostScope::Env { env } => (env.clone(), theme.title),
        CostScope::Cell { env, region } if wide => (format!("  {env}/{region}"), theme.base),
        CostScope::Cell { env, region } => {
            (format!("  {env}/{}", region_short(region)), theme.base)
        }
        other => (other.to_string(), theme.base),
    };
    let style = if r.production && !matches!(r.scope, CostScope::Service { .. }) {
        style.patch(theme.prod)
    } else {
        style
    };
    let change = r.change7();
    let mut cells = vec![
        Cell::from(fit(&label, scope_w)).style(style),
        Cell::from(money(r.mtd)),
        Cell::from(money(r.forecast_month_end)),
        Cell::from(money(r.last_month)).style(theme.muted),
        Cell::from(change.map_or("—".into(), signed_money))
            .style(change.map_or(theme.muted, |c| change_style(theme, c))),
    ];
    if wide {
        let pct = r.change7_pct().map_or("—".into(), |p| format!("{p:+.0}%"));
        cells.push(Cell::from(pct).style(theme.muted));
    }
    Row::new(cells)
}

fn signed_money(usd: f64) -> String {
    if usd >= 0.0 {
        format!("+{}", money(usd))
    } else {
        money(usd)
    }
}

fn side_panel(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let c = state.fleet.cost();
    let width = area.width.saturating_sub(2) as usize;
    let room = area.height.saturating_sub(4) as usize;
    let rows = cost_rows(c, state.fleet.layout());
    let movers = movers(&rows);
    let found = anomalies(c);
    let mut lines = vec![Line::styled("Movers: last 7d vs 7d before", theme.title)];
    if movers.is_empty() {
        lines.push(Line::styled("not enough daily history", theme.muted));
    }
    let movers_room = room.saturating_sub(found.len().clamp(1, 3)).max(1);
    for r in movers.iter().take(movers_room) {
        let change = r.change7().unwrap_or(0.0);
        let pct = r
            .change7_pct()
            .map_or(String::new(), |p| format!(" {p:+.0}%"));
        let figure = format!("{}{pct}", signed_money(change));
        let name_w = width.saturating_sub(figure.len() + 1);
        let name = match &r.scope {
            CostScope::Cell { env, region } if width < 40 => {
                format!("{env}/{}", region_short(region))
            }
            other => other.to_string(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<name_w$} ", fit(&name, name_w)), theme.base),
            Span::styled(figure, change_style(theme, change)),
        ]));
    }
    lines.push(Line::styled("Anomalies", theme.title));
    if found.is_empty() {
        lines.push(Line::styled("none in the last 30 days", theme.muted));
    }
    for a in &found {
        let usd = if width >= 40 {
            format!(" {} vs {}", money(a.usd), money(a.expected))
        } else {
            String::new()
        };
        let text = format!(
            "{} {}{usd} +{:.0}%",
            a.date.strftime("%b %-d"),
            clean(&a.scope.to_string()),
            a.excess_pct()
        );
        lines.push(Line::styled(fit(&text, width), theme.warn));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
