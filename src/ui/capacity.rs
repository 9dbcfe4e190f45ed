//! Capacity: per cluster and nodegroup, CPU and memory requested vs allocatable as bars, pending
//! pods, nodegroup min/desired/max, headroom; HPAs at their max below.

use super::parts::{
    ListTable, draw_list, env_style, sources_gate, stage_short, stale_mark, stale_style, ui_title,
};
use super::text::{bar, clean, fit};
use crate::app::screens::{Capacity, capacity_lines, selected_row};
use crate::app::{SourceKind, State, cluster_stale_age, visible_capacity};
use crate::domain::{ClusterCapacity, NodegroupCapacity, Usage};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row};

const KINDS: &[SourceKind] = &[SourceKind::Clusters];

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(area) = sources_gate(state, theme, frame, area, KINDS) else {
        return;
    };
    let ui = &state.ui.lists.capacity;
    let clusters = visible_capacity(state);
    let lines = capacity_lines(&clusters);
    let hpas: Vec<(&ClusterCapacity, String)> = clusters
        .iter()
        .flat_map(|c| {
            c.hpas_at_max
                .iter()
                .map(move |(k, cur, max)| (*c, format!("{k} {cur}/{max}")))
        })
        .collect();
    let hpa_h = (hpas.len() as u16 + 2).clamp(3, area.height / 4 + 1);
    let eks = super::eks_health::problems(state, &clusters);
    let eks_h = if eks.is_empty() {
        0
    } else {
        (eks.len() as u16 + 2).min(area.height / 4 + 1)
    };
    let [top, eks_area, bottom] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(eks_h),
        Constraint::Length(hpa_h),
    ])
    .areas(area);
    if eks_h > 0 {
        super::eks_health::draw(theme, frame, eks_area, &eks);
    }

    let title = ui_title(
        state,
        theme,
        "Capacity",
        (clusters.len(), state.fleet.clusters().len()),
        vec![],
        ui,
    );
    let inner_w = top.width.saturating_sub(2) as usize;
    let bar_w = if inner_w >= 140 { 20 } else { 6 };
    let name_w = if inner_w >= 140 { 34 } else { 21 };
    let row = |i: usize| {
        let (c, g) = (lines[i].cluster, lines[i].nodegroup);
        let stale = cluster_stale_age(state, &c.cluster);
        let row = match g {
            None => cluster_row(theme, c, name_w, bar_w, stale),
            Some(g) => nodegroup_row(theme, &c.nodegroups[g], name_w, bar_w),
        };
        match stale {
            Some(_) => row.style(stale_style(theme)),
            None => row,
        }
    };
    let usage_w = bar_w as u16 + 5;
    let widths = vec![
        Constraint::Length(name_w as u16),
        Constraint::Length(usage_w),
        Constraint::Length(usage_w),
        Constraint::Length(4),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let header = [
        "CLUSTER / NODEGROUP",
        "CPU",
        "MEMORY",
        "PEND",
        "NODES",
        "HEADROOM",
    ];
    let nothing = "no clusters reported yet";
    let table = ListTable::new(
        ui,
        selected_row::<Capacity>(state, &lines),
        title,
        Row::new(header),
        widths,
        lines.len(),
        row,
        nothing,
    );
    draw_list(state, theme, frame, top, KINDS, table);
    hpa_box(theme, frame, bottom, &hpas);
}

fn usage_cell<'a>(theme: &Theme, u: &Usage, bar_w: usize) -> Cell<'a> {
    let pct = u.pct();
    let (filled, empty) = bar(pct, bar_w);
    Cell::from(Line::from(vec![
        Span::styled(filled, theme.bar_filled),
        Span::styled(empty, theme.bar_empty),
        Span::styled(format!("{pct:>4}%"), pct_style(theme, pct)),
    ]))
}

fn pct_style(theme: &Theme, pct: u32) -> Style {
    match pct {
        90.. => theme.critical,
        75.. => theme.warn,
        _ => theme.base,
    }
}

fn cores(m: u64) -> String {
    format!("{:.0}c", m as f64 / 1000.0)
}

fn gib(mib: u64) -> String {
    format!("{:.0}G", mib as f64 / 1024.0)
}

/// A cluster's line; `stale`: the age of its data when no longer current (marked first in the
/// last column).
fn cluster_row<'a>(
    theme: &Theme,
    c: &ClusterCapacity,
    name_w: usize,
    bar_w: usize,
    stale: Option<i64>,
) -> Row<'a> {
    let label = if name_w >= 30 {
        format!("{} {}", c.name, c.stage)
    } else {
        format!("{} {}", c.name, stage_short(&c.stage))
    };
    let pending = if c.pending_pods > 0 {
        Span::styled(c.pending_pods.to_string(), theme.warn)
    } else {
        Span::styled("0", theme.muted)
    };
    let room = c.scale_room();
    let headroom = format!(
        "{}{} {}{}",
        stale
            .map(|a| format!("{} · ", stale_mark(a)))
            .unwrap_or_default(),
        cores(c.headroom_cpu_m()),
        gib(c.headroom_mem_mib()),
        match (room, name_w >= 30) {
            (0, _) => String::new(),
            (n, true) => format!(" with +{n} nodes"),
            (n, false) => format!(" +{n}n"),
        }
    );
    Row::new(vec![
        Cell::from(fit(&label, name_w)).style(env_style(theme, c.production).patch(theme.title)),
        usage_cell(theme, &c.cpu_m, bar_w),
        usage_cell(theme, &c.mem_mib, bar_w),
        Cell::from(pending),
        Cell::from(format!("{}/{}", c.nodes_ready, c.nodes)),
        Cell::from(headroom),
    ])
}

fn nodegroup_row<'a>(theme: &Theme, g: &NodegroupCapacity, name_w: usize, bar_w: usize) -> Row<'a> {
    let label = format!("  {} {}", g.name, g.instance_type);
    let bounds = g.bounds.map_or("?".to_string(), |b| {
        format!("{}≤{}≤{}", b.min, b.desired, b.max)
    });
    let free = format!("{} {}", cores(g.cpu_m.free()), gib(g.mem_mib.free()));
    Row::new(vec![
        Cell::from(fit(&label, name_w)).style(theme.base),
        usage_cell(theme, &g.cpu_m, bar_w),
        usage_cell(theme, &g.mem_mib, bar_w),
        Cell::from(""),
        Cell::from(bounds).style(theme.muted),
        Cell::from(free).style(theme.muted),
    ])
}

fn hpa_box(theme: &Theme, frame: &mut Frame, area: Rect, hpas: &[(&ClusterCapacity, String)]) {
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = hpas
        .iter()
        .map(|(c, text)| {
            Line::from(vec![
                Span::styled(
                    format!("{} ", clean(&c.name)),
                    env_style(theme, c.production),
                ),
                Span::styled(
                    fit(text, width.saturating_sub(c.name.len() + 1)),
                    theme.warn,
                ),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled("no HPA is at its max", theme.muted));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" HPAs at their max ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
