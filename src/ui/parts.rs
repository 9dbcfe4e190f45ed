//! Pieces every list screen shares: its title (count, filter, sort), the data age of the sources
//! it reads, and the loading / trouble / empty states.

use super::status_style;
use super::text::{age_coarse, clean, fit, region_short};
use crate::app::{Input, ListUi, SortOrder, SourceKind, SourceReport, State, source_reports};
use crate::domain::{SourceStatus, Stage, Workload};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};
use std::ops::Range;

/// ` Name shown/total ` + extra + ` /filter ` + ` sort: label `.
pub fn list_title<'a>(
    state: &State,
    theme: &Theme,
    name: &str,
    (shown, total): (usize, usize),
    extra: Vec<Span<'a>>,
    filter: &str,
    sort: &str,
) -> Line<'a> {
    let mut title = vec![Span::styled(
        format!(" {name} {shown}/{total} "),
        theme.title,
    )];
    title.extend(extra);
    if !filter.is_empty() || state.ui.input == Input::Filter {
        title.push(Span::styled(format!(" /{} ", clean(filter)), theme.filter));
    }
    title.push(Span::styled(format!(" sort: {sort} "), theme.muted));
    Line::from(title)
}

/// A bordered block with `title`, and the age of the sources of `kinds` at its bottom right.
pub fn screen_block<'a>(
    state: &State,
    theme: &Theme,
    title: Line<'a>,
    kinds: &[SourceKind],
) -> Block<'a> {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(title);
    if kinds.is_empty() {
        return block;
    }
    block.title_bottom(data_age(state, theme, kinds).right_aligned())
}

/// The style of a row whose data is no longer current (see `app::cluster_stale_age`):
/// dimmed; its age is in the row (`stale_mark`).
pub fn stale_style(theme: &Theme) -> Style {
    theme.stale_row
}

/// `stale 4m`: the mark a row of data that is no longer current carries, with its age.
pub fn stale_mark(age_secs: i64) -> String {
    format!("stale {}", super::text::age(age_secs))
}

/// ` data age: 6 clusters <1m · 3 alarm sources <1m ` — the oldest data of each kind.
pub fn data_age(state: &State, theme: &Theme, kinds: &[SourceKind]) -> Line<'static> {
    let reports = source_reports(state, kinds);
    let mut parts = Vec::new();
    for kind in kinds {
        let of_kind: Vec<&SourceReport> = reports.iter().filter(|r| r.kind == *kind).collect();
        let oldest = of_kind
            .iter()
            .filter_map(|r| r.health.age_secs(state.now))
            .max();
        let n = of_kind.len();
        let what = match (kind, n) {
            (SourceKind::Clusters, 1) => "1 cluster".to_string(),
            (SourceKind::Clusters, n) => format!("{n} clusters"),
            (SourceKind::Alarms, 1) => "1 alarm source".to_string(),
            (SourceKind::Alarms, n) => format!("{n} alarm sources"),
            (SourceKind::Cost, _) => "cost".to_string(),
        };
        let age = oldest.map_or("no data".to_string(), age_coarse);
        parts.push(format!("{what} {age}"));
    }
    Line::styled(format!(" data age: {} ", parts.join(" · ")), theme.muted)
}

/// Before any data: say what the screen waits for (or why nothing came) and return None.
/// With data: a line naming sources in trouble (stale, failed, degraded) and their age, at the
/// top of `area`, and the rest of `area` for the screen.
pub fn sources_gate(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    kinds: &[SourceKind],
) -> Option<Rect> {
    let reports = source_reports(state, kinds);
    let with_data = reports
        .iter()
        .filter(|r| r.health.last_data.is_some())
        .count();
    if with_data == 0 {
        let failed: Vec<&SourceReport> = reports
            .iter()
            .filter(|r| matches!(r.health.status, SourceStatus::Failed(_)))
            .collect();
        let line = if let Some(r) = failed.first() {
            Line::styled(
                format!(" no data: {}", trouble_text(state, r)),
                theme.critical,
            )
        } else if reports.is_empty() {
            Line::styled(" waiting for the first data from the sources…", theme.muted)
        } else {
            let n = reports.len();
            let s = if n == 1 { "" } else { "s" };
            Line::styled(format!(" waiting for {n} source{s}…"), theme.muted)
        };
        frame.render_widget(Paragraph::new(line), area);
        return None;
    }
    let trouble: Vec<&SourceReport> = reports.iter().filter(|r| r.trouble).collect();
    if trouble.is_empty() || area.height < 4 {
        return Some(area);
    }
    let mut spans = vec![Span::styled(" ⚠ ", theme.warn)];
    for (i, r) in trouble.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(
            trouble_text(state, r),
            status_style(theme, &r.health.status).patch(theme.stale),
        ));
    }
    let banner = Rect { height: 1, ..area };
    frame.render_widget(Paragraph::new(Line::from(spans)), banner);
    Some(Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    })
}

/// `prod-use1 stale, last data 2m ago: connection refused`, `cost failed: … (never connected)`.
fn trouble_text(state: &State, r: &SourceReport) -> String {
    let f = crate::app::freshness(state, &r.health);
    clean(&format!("{} {}", r.name, super::freshness_words(&f))).into_owned()
}

/// A workload's revisions, newest first, the template's marked and what runs counted:
/// `▶ #7 2.4.0 3m pending · 1 pod`, `  #6 2.3.1 2d · 5 pods`; above them the last rejected
/// gate: `✖ 2.4.0 rejected by sam 5m ago: p95 up`.
pub fn revision_lines(
    state: &State,
    theme: &Theme,
    w: &Workload,
    width: usize,
    max: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(r) = &w.rejected {
        let text = format!(
            "✖ {} rejected by {} {} ago: {}",
            r.version,
            r.who,
            age_coarse((state.now - r.at).get_seconds()),
            r.reason
        );
        lines.push(Line::styled(fit(&clean(&text), width), theme.critical));
    }
    let pending = w.pending_version().is_some();
    lines.extend(w.history.iter().take(max).map(|r| {
        let current = r.number == w.revision;
        let pods = w
            .running
            .iter()
            .filter(|v| v.revision == r.number)
            .map(|v| v.pods)
            .sum::<u32>();
        let text = format!(
            "{} #{} {} {}{}{}",
            if current { "▶" } else { " " },
            r.number,
            clean(&r.version),
            age_coarse((state.now - r.created).get_seconds()),
            if current && pending { " pending" } else { "" },
            match pods {
                0 => String::new(),
                1 => " · 1 pod".into(),
                n => format!(" · {n} pods"),
            }
        );
        let style = if current { theme.accent } else { theme.base };
        Line::styled(fit(&text, width), style)
    }));
    lines
}

/// A version as it runs, and where there is room the pending one it heads to: `2.3.1→2.4.0`.
pub fn version_text(running: &str, pending: Option<&str>, width: usize) -> String {
    match pending {
        Some(p) if running.chars().count() + 1 + p.chars().count() <= width => {
            clean(&format!("{running}→{p}")).into_owned()
        }
        _ => fit(running, width),
    }
}

/// A list screen's table. Its rows are built only for the lines on screen (`row(i)` for the
/// visible `i`): a large fleet's lists run to hundreds or thousands of rows, and formatting
/// them all cost milliseconds a frame.
pub struct ListTable<'a> {
    pub title: Line<'a>,
    /// Column titles (unstyled) and how many lines they take.
    pub header: Row<'a>,
    pub header_height: u16,
    pub widths: Vec<Constraint>,
    /// How many rows the list has, and the row at an index (each one line high).
    pub len: usize,
    pub row: Box<dyn Fn(usize) -> Row<'a> + 'a>,
    /// The selected row (the screen's `selected_row`).
    pub selected: Option<usize>,
    /// What to say when there are no rows.
    pub empty: String,
}

impl<'a> ListTable<'a> {
    /// A table for the list `ui` with `selected` selected (`nothing` says why it is empty, or
    /// its filter does), with a one-line header.
    #[allow(clippy::too_many_arguments)]
    pub fn new<K, S>(
        ui: &ListUi<K, S>,
        selected: Option<usize>,
        title: Line<'a>,
        header: Row<'a>,
        widths: Vec<Constraint>,
        len: usize,
        row: impl Fn(usize) -> Row<'a> + 'a,
        nothing: &str,
    ) -> ListTable<'a> {
        ListTable {
            title,
            header,
            header_height: 1,
            widths,
            len,
            row: Box::new(row),
            selected,
            empty: empty_message(&ui.filter, nothing),
        }
    }
}

/// `list_title` for a screen's `ListUi`.
pub fn ui_title<'a, K, S: SortOrder>(
    state: &State,
    theme: &Theme,
    name: &str,
    counts: (usize, usize),
    extra: Vec<Span<'a>>,
    ui: &ListUi<K, S>,
) -> Line<'a> {
    list_title(
        state,
        theme,
        name,
        counts,
        extra,
        &ui.filter,
        ui.sort.label(),
    )
}

/// Draw a list screen's table: the rows under their header, in a block with the title and the
/// data age of the `kinds` of source, the selected row highlighted, `empty` when there are none.
pub fn draw_list(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    kinds: &[SourceKind],
    list: ListTable,
) {
    let selected = list.selected.filter(|&i| i < list.len);
    let empty = list.len == 0;
    // The block's borders and the header take the rest of the height.
    let lines = area.height.saturating_sub(2 + list.header_height) as usize;
    let window = visible_window(list.len, selected, lines);
    let rows: Vec<Row> = window.clone().map(&list.row).collect();
    let table = Table::new(rows, list.widths)
        .header(list.header.style(theme.title).height(list.header_height))
        .block(screen_block(state, theme, list.title, kinds))
        .row_highlight_style(theme.selection)
        .column_spacing(1);
    let mut ts = TableState::default().with_selected(
        selected
            .filter(|_| !window.is_empty())
            .map(|s| s - window.start),
    );
    frame.render_stateful_widget(table, area, &mut ts);
    if empty && area.height >= 3 + list.header_height && area.width >= 6 {
        let r = Rect {
            x: area.x + 2,
            y: area.y + 1 + list.header_height,
            width: area.width - 4,
            height: 1,
        };
        let line = Line::styled(fit(&list.empty, r.width as usize), theme.muted);
        frame.render_widget(line, r);
    }
}

/// The rows a table of `lines` one-line rows shows with `selected` selected, scrolled as
/// ratatui scrolls a fresh `TableState`: from the top, until the selection is the last line.
pub fn visible_window(len: usize, selected: Option<usize>, lines: usize) -> Range<usize> {
    if lines == 0 {
        return 0..0;
    }
    let start = selected.map_or(0, |s| (s + 1).saturating_sub(lines));
    start..(start + lines).min(len)
}

/// `prod/use1`: env and short region, for narrow columns.
pub fn stage_short(stage: &Stage) -> String {
    format!("{}/{}", stage.env, region_short(&stage.region))
}

/// Production is visibly production.
pub fn env_style(theme: &Theme, production: bool) -> Style {
    if production { theme.prod } else { theme.base }
}

/// Why a list is empty: the filter, or nothing to show.
pub fn empty_message(filter: &str, nothing: &str) -> String {
    if filter.is_empty() {
        nothing.to_string()
    } else {
        format!("nothing matches /{} (esc clears it)", clean(filter))
    }
}

#[cfg(test)]
mod tests {
    use super::visible_window;
    use ratatui::buffer::Buffer;
    use ratatui::layout::{Constraint, Rect};
    use ratatui::widgets::{Block, Borders, Row, StatefulWidget, Table, TableState};

    fn draw(rows: Vec<Row<'static>>, selected: Option<usize>, area: Rect) -> Buffer {
        let mut buf = Buffer::empty(area);
        let table = Table::new(rows, [Constraint::Length(12), Constraint::Min(4)])
            .header(Row::new(["NAME", "N"]).height(2))
            .block(Block::default().borders(Borders::ALL))
            .row_highlight_style(ratatui::style::Style::new().reversed());
        let mut state = TableState::default().with_selected(selected);
        StatefulWidget::render(table, area, &mut buf, &mut state);
        buf
    }

    /// Building only the visible rows draws exactly what ratatui draws from all of them, wherever
    /// the selection is (top, the page's last line, further down, the last row, none).
    #[test]
    fn the_visible_window_draws_what_the_whole_list_draws() {
        let row = |i: usize| Row::new([format!("service-{i}"), i.to_string()]);
        let len = 300;
        for height in [4u16, 5, 12, 24, 80] {
            let area = Rect::new(0, 0, 30, height);
            let lines = height.saturating_sub(4) as usize;
            for selected in [
                None,
                Some(0),
                Some(7),
                Some(8),
                Some(9),
                Some(150),
                Some(299),
            ] {
                let all = draw((0..len).map(row).collect(), selected, area);
                let window = visible_window(len, selected, lines);
                let shown = draw(
                    window.clone().map(row).collect(),
                    selected
                        .filter(|_| !window.is_empty())
                        .map(|s| s - window.start),
                    area,
                );
                assert_eq!(all, shown, "height {height}, selected {selected:?}");
            }
        }
        assert_eq!(visible_window(0, None, 10), 0..0);
        assert_eq!(visible_window(3, Some(2), 10), 0..3);
    }
}
