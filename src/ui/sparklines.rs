//! The service detail's metric sparklines for the selected instance: one line per configured
//! series (label, the last hour as bars, the latest value with its unit), the newest point's
//! age in the title, and distinct loading / empty / error states.

use super::text::{age_coarse, clean, fit};
use crate::app::State;
use crate::domain::{ClusterState, MetricSeries, SourceStatus, WorkloadKey};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

const LABEL_W: u16 = 6;
const VALUE_W: u16 = 10;

/// Rows the panel wants (borders included) for this instance.
pub fn height(state: &State, cluster: &ClusterState, key: &WorkloadKey) -> u16 {
    let series = state
        .fleet
        .metrics
        .get(&cluster.info.id)
        .and_then(|m| m.services.get(key))
        .filter(|m| !m.is_empty())
        .map_or(1, |m| m.series.len().max(1));
    series as u16 + 2
}

pub fn draw(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    cluster: &ClusterState,
    key: &WorkloadKey,
) {
    let width = area.width.saturating_sub(2) as usize;
    let metrics = state.fleet.metrics.get(&cluster.info.id);
    let service = metrics.and_then(|m| m.services.get(key));
    let newest = service
        .iter()
        .flat_map(|m| &m.series)
        .filter_map(|s| s.points.last().map(|(t, _)| *t))
        .max();
    let mut title = vec![Span::styled(
        format!(" Metrics in {} · last hour ", clean(&cluster.info.name)),
        theme.title,
    )];
    if let Some(t) = newest {
        title.push(Span::styled(
            format!(
                "· newest {} ago ",
                age_coarse((state.now - t).get_seconds())
            ),
            theme.muted,
        ));
    }
    let problem = metrics.and_then(|m| match &m.health.status {
        SourceStatus::Failed(why) | SourceStatus::Stale(why) | SourceStatus::Degraded(why) => {
            Some(why.clone())
        }
        _ => None,
    });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    // States without series: one line saying which.
    let message = match (metrics, service) {
        (None, _) => Some((
            "no CloudWatch metrics for this cluster (it has no eks_cluster)".to_string(),
            theme.muted,
        )),
        (Some(_), _) if problem.is_some() && service.is_none_or(|s| s.is_empty()) => {
            Some((problem.clone().unwrap_or_default(), theme.critical))
        }
        (Some(_), None) => Some(("loading metrics…".to_string(), theme.muted)),
        (Some(_), Some(s)) if s.is_empty() => Some((
            "no data points in the last hour (see [aws.metrics] in docs/aws.md)".to_string(),
            theme.muted,
        )),
        _ => None,
    };
    if let Some((text, style)) = message {
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&text, width), style)),
            inner,
        );
        return;
    }
    let Some(service) = service else { return };
    let mut rows: Vec<&MetricSeries> = service.series.iter().collect();
    // A failed refresh over older data: the last line says so (the data stays, with its age).
    let spare = (inner.height as usize).saturating_sub(rows.len());
    if problem.is_none() || spare == 0 {
        rows.truncate(inner.height as usize);
    }
    let constraints = vec![Constraint::Length(1); inner.height as usize];
    let lines = Layout::vertical(constraints).split(inner);
    for (s, line) in rows.iter().zip(lines.iter()) {
        series_line(theme, frame, *line, s);
    }
    if let Some(why) = problem
        && spare > 0
    {
        let line = lines[rows.len()];
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&why, width), theme.warn)),
            line,
        );
    }
}

fn series_line(theme: &Theme, frame: &mut Frame, area: Rect, s: &MetricSeries) {
    let [label, bars, value] = Layout::horizontal([
        Constraint::Length(LABEL_W),
        Constraint::Min(1),
        Constraint::Length(VALUE_W),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(&s.label, LABEL_W as usize - 1),
            theme.title,
        )),
        label,
    );
    let n = bars.width as usize;
    let shown = &s.points[s.points.len().saturating_sub(n)..];
    let top = shown.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    // Bars relative to the highest shown point; an all-zero series stays flat.
    // On wide screens each point takes several columns, so the hour fills the line.
    let repeat = (n / shown.len().max(1)).max(1);
    let data: Vec<u64> = shown
        .iter()
        .map(|(_, v)| {
            if top > 0.0 {
                (v / top * 100.0).round().max(0.0) as u64
            } else {
                0
            }
        })
        .flat_map(|v| std::iter::repeat_n(v, repeat))
        .collect();
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .max(100)
            .style(theme.accent),
        bars,
    );
    let text = match s.latest() {
        Some(v) => format_value(v, &s.unit),
        None => "no data".into(),
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("{:>w$}", text, w = VALUE_W as usize),
            theme.base,
        )),
        value,
    );
}

/// `42.1%`, `230 ms` (seconds shown in ms), `3`, `1.5 MB/s`.
pub fn format_value(v: f64, unit: &str) -> String {
    match unit {
        "s" => format!("{:.0} ms", v * 1000.0),
        "%" => format!("{v:.1}%"),
        "" if v.fract() == 0.0 && v.abs() < 1e9 => format!("{v:.0}"),
        "" => format!("{v:.1}"),
        u => format!("{v:.1} {}", clean(u)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_with_their_units() {
        assert_eq!(format_value(0.2304, "s"), "230 ms");
        assert_eq!(format_value(42.14, "%"), "42.1%");
        assert_eq!(format_value(3.0, ""), "3");
        assert_eq!(format_value(2.5, ""), "2.5");
        assert_eq!(format_value(1.25, "MB/s"), "1.2 MB/s");
    }
}
