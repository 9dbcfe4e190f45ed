//! The Capacity screen's EKS panel: for each shown cluster whose EKS discovery is failing,
//! what failed (access denied, throttled, expired credentials with the command that refreshes
//! them, unreachable region) and how old its nodegroup figures are. Absent when all is well.

use super::parts::env_style;
use super::text::{age_coarse, clean, fit};
use crate::app::State;
use crate::domain::{ClusterCapacity, SourceStatus};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// (cluster, problem text, nodegroups' age) for each shown cluster whose discovery fails.
pub fn problems<'a>(
    state: &State,
    clusters: &[&'a ClusterCapacity],
) -> Vec<(&'a ClusterCapacity, String, String)> {
    clusters
        .iter()
        .filter_map(|c| {
            let h = state
                .fleet
                .clusters()
                .get(&c.cluster)?
                .nodegroup_health
                .as_ref()?;
            let why = match &h.status {
                SourceStatus::Failed(w) | SourceStatus::Stale(w) | SourceStatus::Degraded(w) => w,
                _ => return None,
            };
            let age = match h.age_secs(state.now) {
                Some(s) => format!("nodegroups as of {} ago", age_coarse(s)),
                None => "no nodegroups yet".into(),
            };
            Some((*c, why.clone(), age))
        })
        .collect()
}

pub fn draw(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    problems: &[(&ClusterCapacity, String, String)],
) {
    let width = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = problems
        .iter()
        .map(|(c, why, age)| {
            let name = format!("{} ", clean(&c.name));
            let rest = width.saturating_sub(name.chars().count() + age.len() + 3);
            Line::from(vec![
                Span::styled(name, env_style(theme, c.production)),
                Span::styled(fit(why, rest), theme.critical),
                Span::styled(format!(" · {age}"), theme.muted),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" EKS discovery ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
