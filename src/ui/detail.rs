//! One service: its instances across the fleet, and for the selected instance its metric
//! sparklines, pods, revision history, alarms and recent events.

use super::parts::{revision_lines, version_text};
use super::text::{age_coarse, clean, fit};
use super::{health_glyph, health_style};
use crate::app::State;
use crate::domain::{AlarmState, ClusterState, EventKind, Instance, Workload, WorkloadKey};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, key: &WorkloadKey) {
    let Some(row) = state.fleet.service_row(key) else {
        let msg = format!(
            " {} is gone from every cluster (deleted?) — esc to go back",
            clean(&key.to_string())
        );
        frame.render_widget(Paragraph::new(Line::styled(msg, theme.warn)), area);
        return;
    };
    let inst_h = (row.instances.len() as u16 + 3).min(area.height / 2);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(inst_h), Constraint::Min(3)]).areas(area);
    let selected = state
        .ui
        .detail_selected
        .min(row.instances.len().saturating_sub(1));

    // Instances.
    let title = Line::from(vec![
        Span::styled(format!(" {} ", clean(&key.to_string())), theme.title),
        Span::styled(
            format!(" team {} ", clean(row.team.as_deref().unwrap_or("—"))),
            theme.muted,
        ),
    ]);
    let rows: Vec<Row> = row
        .instances
        .iter()
        .map(|i| {
            let w = state
                .fleet
                .clusters()
                .get(&i.cluster)
                .and_then(|c| c.workloads.get(key));
            let hpa = w
                .and_then(|w| w.hpa.as_ref())
                .map(|h| format!("{}≤{}≤{}", h.min, h.current, h.max))
                .unwrap_or("—".into());
            let gate = w
                .and_then(|w| w.gate.as_ref())
                .map(|g| format!("⏸ {}/{} approvals", g.approvals.len(), g.required))
                .unwrap_or_default();
            let status = match w.map(|w| &w.rollout) {
                Some(crate::domain::RolloutState::Stuck(reason)) => reason.clone(),
                _ => i.health.label().to_string(),
            };
            // The cluster's data is no longer current: the row is dimmed and says how old.
            let stale = crate::app::cluster_stale_age(state, &i.cluster);
            let status = match stale {
                Some(a) => format!("{} · {status}", super::parts::stale_mark(a)),
                None => status,
            };
            let prod = state.fleet.layout().is_production(&i.stage.env);
            let row = Row::new(vec![
                Cell::from(clean(&i.stage.to_string()).into_owned()).style(if prod {
                    theme.prod
                } else {
                    theme.base
                }),
                Cell::from(Line::from(vec![
                    Span::styled(health_glyph(i.health), health_style(theme, i.health)),
                    Span::raw(format!(" {}/{}", i.ready, i.desired)),
                ])),
                Cell::from(w.map(|w| w.updated.to_string()).unwrap_or_default()),
                Cell::from(running_cell(i)),
                Cell::from(clean(&status).into_owned()).style(health_style(theme, i.health)),
                Cell::from(hpa),
                Cell::from(gate).style(theme.warn),
            ]);
            match stale {
                Some(_) => row.style(super::parts::stale_style(theme)),
                None => row,
            }
        })
        .collect();
    let widths = [
        Constraint::Length(24),
        Constraint::Length(8),
        Constraint::Length(4),
        Constraint::Length(VERSION_W as u16),
        Constraint::Length(20),
        Constraint::Length(9),
        Constraint::Min(0),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(["STAGE", "READY", "UPD", "VERSION", "STATUS", "HPA", "GATE"])
                .style(theme.title),
        )
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(title),
        )
        .row_highlight_style(theme.selection);
    frame.render_stateful_widget(
        table,
        top,
        &mut TableState::default().with_selected(Some(selected)),
    );

    let Some(inst) = row.instances.get(selected) else {
        return;
    };
    let Some(cluster) = state.fleet.clusters().get(&inst.cluster) else {
        return;
    };
    // Sparklines above pods and history, as long as those keep a few rows.
    let spark_h =
        super::sparklines::height(state, cluster, key).min(bottom.height.saturating_sub(5));
    let [spark, bottom] =
        Layout::vertical([Constraint::Length(spark_h), Constraint::Min(0)]).areas(bottom);
    if spark_h >= 3 {
        super::sparklines::draw(state, theme, frame, spark, cluster, key);
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(bottom);
    pods(state, theme, frame, left, cluster, key);
    let w = cluster.workloads.get(key);
    side(state, theme, frame, right, cluster, key, w);
}

fn pods(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    cluster: &ClusterState,
    key: &WorkloadKey,
) {
    let pods: Vec<_> = cluster.pods_of(key).collect();
    let show_version = area.width >= 70;
    let name_w = (area.width as usize)
        .saturating_sub(2 + 17 + 4 + 6 + if show_version { 9 } else { 0 })
        .max(8);
    let rows: Vec<Row> = pods
        .iter()
        .map(|p| {
            let style = if p.reason.is_some() || !p.ready {
                theme.critical
            } else {
                theme.base
            };
            Row::new(vec![
                Cell::from(fit(&p.name, name_w)),
                Cell::from(fit(p.status_label(), 16)).style(style),
                Cell::from(p.restarts.to_string()).style(if p.restarts > 0 {
                    theme.warn
                } else {
                    theme.base
                }),
                Cell::from(age_coarse((state.now - p.started).get_seconds())),
                Cell::from(fit(&p.version, 8)).style(theme.muted),
            ])
        })
        .collect();
    let title = format!(" Pods in {} ({}) ", clean(&cluster.info.name), pods.len());
    let table = Table::new(
        rows,
        [
            Constraint::Length(name_w as u16),
            Constraint::Length(16),
            Constraint::Length(3),
            Constraint::Length(4),
            Constraint::Length(if show_version { 9 } else { 0 }),
        ],
    )
    .header(Row::new(["POD", "STATUS", "RST", "AGE", "VERSION"]).style(theme.title))
    .block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.title)),
    );
    frame.render_widget(table, area);
}

/// Revisions, alarms and events, stacked, each as many lines as fit.
fn side(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    cluster: &ClusterState,
    key: &WorkloadKey,
    w: Option<&Workload>,
) {
    let width = area.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::styled("Revisions", theme.title));
    if let Some(w) = w {
        lines.extend(revision_lines(state, theme, w, width, 4));
        if let Some(g) = &w.gate {
            let who: Vec<String> = g
                .approvals
                .iter()
                .map(|a| clean(&a.who).into_owned())
                .collect();
            let text = format!(
                "gate {}/{} by {}",
                g.approvals.len(),
                g.required,
                if who.is_empty() {
                    "nobody yet".into()
                } else {
                    who.join(", ")
                }
            );
            lines.push(Line::styled(fit(&text, width), theme.warn));
        }
    }
    lines.push(Line::styled("Alarms", theme.title));
    let alarms: Vec<_> = state
        .fleet
        .all_alarms()
        .filter(|a| {
            a.service.as_deref() == Some(key.name.as_str())
                && a.region == cluster.info.region
                && a.env.as_deref() == Some(cluster.info.env.as_str())
        })
        .collect();
    if alarms.is_empty() {
        lines.push(Line::styled("none configured", theme.muted));
    }
    for a in alarms
        .iter()
        .filter(|a| a.state != AlarmState::Ok)
        .chain(alarms.iter().filter(|a| a.state == AlarmState::Ok))
        .take(3)
    {
        let style = match a.state {
            AlarmState::Alarm => theme.critical,
            AlarmState::InsufficientData => theme.warn,
            AlarmState::Ok => theme.ok,
        };
        let since = age_coarse((state.now - a.since).get_seconds());
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5} ", short_state(a.state)), style),
            Span::raw(fit(
                &format!("{} {}", a.name, since),
                width.saturating_sub(6),
            )),
        ]));
    }
    lines.push(Line::styled("Events", theme.title));
    let prefix = format!("{}-", key.name);
    let events: Vec<_> = cluster
        .events
        .iter()
        .rev()
        .filter(|e| {
            e.namespace == key.namespace
                && (e.object == format!("Deployment/{}", key.name)
                    || e.object
                        .split('/')
                        .nth(1)
                        .is_some_and(|n| n.starts_with(&prefix)))
        })
        .take(5)
        .collect();
    if events.is_empty() {
        lines.push(Line::styled("no recent events", theme.muted));
    }
    for e in events {
        let style = if e.kind == EventKind::Warning {
            theme.warn
        } else {
            theme.base
        };
        let text = format!(
            "{} {}: {}",
            age_coarse((state.now - e.at).get_seconds()),
            e.reason,
            e.message
        );
        lines.push(Line::styled(fit(&text, width), style));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn short_state(s: AlarmState) -> &'static str {
    match s {
        AlarmState::Alarm => "ALARM",
        AlarmState::InsufficientData => "NODAT",
        AlarmState::Ok => "OK",
    }
}

/// The VERSION column of the instances table.
const VERSION_W: usize = 16;

/// What an instance runs: every version with its pods while several do and they fit
/// (`2.4.0×1 2.3.1×5`), else its version and, where there is room, the pending one
/// (`2.3.1→2.4.0`; UPD beside it counts the updated pods).
fn running_cell(i: &Instance) -> String {
    if i.running.len() > 1 {
        let text: Vec<String> = i
            .running
            .iter()
            .map(|r| format!("{}×{}", r.version, r.pods))
            .collect();
        let text = clean(&text.join(" ")).into_owned();
        if text.chars().count() <= VERSION_W {
            return text;
        }
    }
    version_text(&i.version, i.pending_version.as_deref(), VERSION_W)
}
