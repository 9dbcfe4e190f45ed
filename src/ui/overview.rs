//! The fleet matrix: environments down, regions across, one cell per stage.

use super::parts::stale_style;
use super::text::{bar, clean, fit, money, region_short};
use super::{freshness_short as cell_word, freshness_style};
use crate::app::{State, freshness};
use crate::domain::{CellSummary, Freshness};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let layout = state.fleet.layout();
    if layout.envs.is_empty() || layout.regions.is_empty() {
        let p = Paragraph::new(Line::styled(
            " waiting for the first data from the fleet's sources…",
            theme.muted,
        ));
        frame.render_widget(p, area);
        return;
    }
    let rows = Layout::vertical(vec![
        Constraint::Ratio(1, layout.envs.len() as u32);
        layout.envs.len()
    ])
    .split(area);
    for (r, env) in layout.envs.iter().enumerate() {
        let cols = Layout::horizontal(vec![
            Constraint::Ratio(1, layout.regions.len() as u32);
            layout.regions.len()
        ])
        .split(rows[r]);
        for (c, region) in layout.regions.iter().enumerate() {
            let Some(summary) = state.fleet.cell_summary(&env.name, region) else {
                continue;
            };
            let selected = state.ui.cell == (r, c);
            // What each cluster's data is worth now, in the cell's order.
            let clusters: Vec<(String, Freshness)> = state
                .fleet
                .clusters_in(&env.name, region)
                .map(|c| {
                    (
                        clean(&c.info.name).into_owned(),
                        freshness(state, &c.health),
                    )
                })
                .collect();
            draw_cell(theme, frame, cols[c], summary, &clusters, selected);
        }
    }
}

fn draw_cell(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    s: &CellSummary,
    clusters: &[(String, Freshness)],
    selected: bool,
) {
    // The PROD badge comes first so a narrow cell never cuts it off.
    let mut title = Vec::new();
    if s.production {
        title.push(Span::styled(" PROD ", theme.prod_label));
    }
    let full = format!(" {} · {} ", clean(&s.stage.env), clean(&s.stage.region));
    let budget = (area.width as usize).saturating_sub(if s.production { 8 } else { 2 });
    let label = if full.chars().count() <= budget {
        full
    } else {
        format!(
            " {} · {} ",
            clean(&s.stage.env),
            region_short(&s.stage.region)
        )
    };
    title.push(Span::styled(label, theme.title));
    let border_style = match (selected, s.production) {
        (true, _) => theme.accent.add_modifier(Modifier::BOLD),
        (false, true) => theme.prod,
        (false, false) => theme.border,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if selected {
            BorderType::Thick
        } else if s.production {
            BorderType::Double
        } else {
            BorderType::Rounded
        })
        .border_style(border_style)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines = if s.is_empty() {
        vec![Line::styled("no cluster here", theme.muted)]
    } else {
        cell_lines(theme, s, clusters, width)
    };
    let lines: Vec<Line> = lines.into_iter().take(inner.height as usize).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// How bad a cluster's state is, for the cell's worst (live first, failed last).
fn rank(f: &Freshness) -> u8 {
    match f {
        Freshness::Live => 0,
        Freshness::NeverConnected { failed: None } => 1,
        Freshness::Degraded(_) => 2,
        Freshness::Stale { .. } => 3,
        Freshness::Failed { .. } | Freshness::NeverConnected { failed: Some(_) } => 4,
    }
}

/// Lines in priority order; as many are shown as fit the cell's height. `clusters`: each
/// cluster of the cell and what its data is worth now; when some of it is no longer current,
/// the cell's numbers are dimmed.
fn cell_lines(
    theme: &Theme,
    s: &CellSummary,
    clusters: &[(String, Freshness)],
    width: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    // Clusters and their connection state.
    let worst = clusters.iter().max_by_key(|(_, f)| rank(f));
    let status = worst.map_or(Freshness::NeverConnected { failed: None }, |(_, f)| {
        f.clone()
    });
    let label = if clusters.len() == 1 {
        clusters[0].0.clone()
    } else {
        format!("{} clusters", clusters.len())
    };
    let mut first = vec![
        Span::styled("● ", freshness_style(theme, &status)),
        Span::styled(fit(&label, width.saturating_sub(12)), theme.base),
    ];
    if status != Freshness::Live {
        // With several clusters, say how many are in the worst state, not that all are.
        let count = clusters
            .iter()
            .filter(|(_, f)| rank(f) == rank(&status))
            .count();
        let word = if count == clusters.len() {
            format!(" {}", cell_word(&status))
        } else {
            format!(" · {count} {}", cell_word(&status))
        };
        first.push(Span::styled(word, freshness_style(theme, &status)));
    }
    lines.push(Line::from(first));
    // The worst cluster we cannot fully see: say why first; its last numbers follow.
    if let Some((name, f)) = worst
        && let Some(why) = f.why()
    {
        let why = if clusters.len() > 1 {
            format!("{name}: {}", clean(why))
        } else {
            clean(why).into_owned()
        };
        lines.push(Line::styled(fit(&why, width), freshness_style(theme, f)));
    }
    let stale = clusters.iter().any(|(_, f)| f.stale_age().is_some());
    let numbers_from = lines.len();
    // Services.
    let unhealthy = s.services_total - s.services_healthy;
    let svc_style = if s.failing > 0 {
        theme.critical
    } else if unhealthy > 0 {
        theme.warn
    } else {
        theme.ok
    };
    let mut l = vec![Span::styled(
        format!("svc {}/{}", s.services_healthy, s.services_total),
        svc_style,
    )];
    if s.rollouts_in_progress > 0 {
        l.push(Span::styled(
            format!("  ◐ {} rolling", s.rollouts_in_progress),
            theme.info,
        ));
    }
    lines.push(Line::from(l));
    // Alarms, gates, failing.
    let mut l = Vec::new();
    if s.firing_alarms > 0 {
        l.push(Span::styled(
            format!("✖ {} alarm{}", s.firing_alarms, plural(s.firing_alarms)),
            theme.critical,
        ));
    } else {
        l.push(Span::styled("no alarms", theme.ok));
    }
    if s.gates_waiting > 0 {
        l.push(Span::styled(
            format!("  ⏸ {} gate{}", s.gates_waiting, plural(s.gates_waiting)),
            theme.warn,
        ));
    }
    if s.failing > 0 {
        l.push(Span::styled(
            format!("  {} failing", s.failing),
            theme.critical,
        ));
    }
    lines.push(Line::from(l));
    // Capacity: the tighter of CPU and memory.
    let pct = s.capacity.used_pct();
    let bar_w = width.saturating_sub(10).clamp(4, 20);
    let (filled, empty) = bar(pct, bar_w);
    let pct_style = if pct >= 90 {
        theme.critical
    } else if pct >= 75 {
        theme.warn
    } else {
        theme.base
    };
    lines.push(Line::from(vec![
        Span::styled("cap ", theme.muted),
        Span::styled(filled, theme.bar_filled),
        Span::styled(empty, theme.bar_empty),
        Span::styled(format!(" {pct:>3}%"), pct_style),
    ]));
    // Cost.
    let mtd = s.mtd_usd.map(money).unwrap_or_else(|| "—".into());
    lines.push(Line::from(vec![
        Span::styled("mtd ", theme.muted),
        Span::styled(mtd, theme.base),
    ]));
    // Extra detail when the cell is tall enough.
    let cpu = |m: u64| format!("{:.0}", m as f64 / 1000.0);
    lines.push(Line::from(vec![
        Span::styled("cpu ", theme.muted),
        Span::styled(
            format!(
                "{}/{} cores",
                cpu(s.capacity.requested_cpu_m),
                cpu(s.capacity.allocatable_cpu_m)
            ),
            theme.base,
        ),
    ]));
    lines.push(Line::from(vec![
        Span::styled("mem ", theme.muted),
        Span::styled(
            format!(
                "{:.0}/{:.0} GiB",
                s.capacity.requested_mem_mib as f64 / 1024.0,
                s.capacity.allocatable_mem_mib as f64 / 1024.0
            ),
            theme.base,
        ),
    ]));
    let pending_style = if s.capacity.pending_pods > 0 {
        theme.warn
    } else {
        theme.muted
    };
    lines.push(Line::styled(
        format!("pending pods {}", s.capacity.pending_pods),
        pending_style,
    ));
    if stale {
        for l in &mut lines[numbers_from..] {
            *l = std::mem::take(l).patch_style(stale_style(theme));
        }
    }
    for (name, f) in clusters.iter().filter(|_| clusters.len() > 1) {
        let word = if *f == Freshness::Live {
            String::new()
        } else {
            format!(" {}", cell_word(f))
        };
        lines.push(Line::from(vec![
            Span::styled("● ", freshness_style(theme, f)),
            Span::raw(fit(name, width.saturating_sub(2 + word.chars().count()))),
            Span::styled(word, freshness_style(theme, f)),
        ]));
    }
    lines
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
