//! Drawing. `view` reads the state and draws one frame; it never changes anything.

mod activity;
mod alerts;
mod capacity;
mod chrome;
mod cost;
mod detail;
mod dialog;
mod eks_health;
mod help;
mod overview;
mod palette;
mod parts;
mod pipelines;
mod release;
mod services;
mod sources;
mod sparklines;
pub mod text;
mod timeline;

use crate::app::{Input, State, View};
use crate::domain::{Freshness, Health, SourceStatus};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Below this the layout cannot work; a notice is shown instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

pub fn view(state: &State, theme: &Theme, frame: &mut Frame) {
    let area = frame.area();
    frame.render_widget(Block::default().style(theme.base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(theme, frame, area);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::header(state, theme, frame, header);
    match state.view() {
        View::Overview => overview::draw(state, theme, frame, body),
        View::Services => services::draw(state, theme, frame, body),
        View::ServiceDetail(key) => detail::draw(state, theme, frame, body, key),
        View::Pipelines => pipelines::draw(state, theme, frame, body),
        View::Release(_) => release::draw(state, theme, frame, body),
        View::Alerts => alerts::draw(state, theme, frame, body),
        View::Capacity => capacity::draw(state, theme, frame, body),
        View::Cost => cost::draw(state, theme, frame, body),
        View::Timeline => timeline::draw(state, theme, frame, body),
        View::Activity => activity::draw(state, theme, frame, body),
        View::Sources => sources::draw(state, theme, frame, body),
    }
    chrome::footer(state, theme, frame, footer);
    if state.ui.help_open {
        help::draw(state, theme, frame, body);
    }
    if let Input::Palette { query, selected } = &state.ui.input {
        palette::draw(state, theme, frame, body, query, *selected);
    }
    if let Some(d) = &state.ui.dialog {
        dialog::draw(d, theme, frame, body);
    }
}

fn too_small(theme: &Theme, frame: &mut Frame, area: Rect) {
    let msg = vec![
        Line::styled("opsdeck", theme.title),
        Line::raw(format!("needs at least {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::raw(format!("now {}x{}", area.width, area.height)),
        Line::styled("enlarge the window, or q to quit", theme.muted),
    ];
    frame.render_widget(
        Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .style(theme.base),
        area,
    );
}

/// Style for a health judgement.
pub(crate) fn health_style(theme: &Theme, h: Health) -> Style {
    match h {
        Health::Healthy => theme.ok,
        Health::Progressing => theme.info,
        Health::Waiting => theme.warn,
        Health::Degraded => theme.warn,
        Health::Failing => theme.critical,
    }
}

/// A glyph that carries the meaning without colour (NO_COLOR, monochrome terminals).
pub(crate) fn health_glyph(h: Health) -> &'static str {
    match h {
        Health::Healthy => "●",
        Health::Progressing => "◐",
        Health::Waiting => "⏸",
        Health::Degraded => "▲",
        Health::Failing => "✖",
    }
}

pub(crate) fn status_style(theme: &Theme, s: &SourceStatus) -> Style {
    match s {
        SourceStatus::Live => theme.ok,
        SourceStatus::Connecting => theme.muted,
        SourceStatus::Degraded(_) => theme.warn,
        SourceStatus::Stale(_) => theme.stale,
        SourceStatus::Failed(_) => theme.critical,
    }
}

/// Style for what a source's data is worth.
pub(crate) fn freshness_style(theme: &Theme, f: &Freshness) -> Style {
    match f {
        Freshness::Live => theme.ok,
        Freshness::NeverConnected { failed: None } => theme.muted,
        Freshness::Degraded(_) => theme.warn,
        Freshness::Stale { .. } => theme.stale,
        Freshness::Failed { .. } | Freshness::NeverConnected { failed: Some(_) } => theme.critical,
    }
}

/// A source's state in a word and its age: `live`, `never connected`, `stale 4m`, `failed 4m`,
/// `failed` (before any data), `degraded`.
pub(crate) fn freshness_short(f: &Freshness) -> String {
    match f.stale_age() {
        Some(a) => format!("{} {}", f.label(), text::age(a)),
        None => f.label().to_string(),
    }
}

/// A source's state in words: `live`, `never connected`, `stale, last data 4m ago: why`,
/// `failed: why (last data 4m ago)`, `failed: why (never connected)`, `degraded: why`.
pub(crate) fn freshness_words(f: &Freshness) -> String {
    use text::age;
    match f {
        Freshness::Live => "live".into(),
        Freshness::NeverConnected { failed: None } => "never connected".into(),
        Freshness::NeverConnected { failed: Some(w) } => format!("failed: {w} (never connected)"),
        Freshness::Degraded(w) => format!("degraded: {w}"),
        Freshness::Stale {
            age_secs,
            why: None,
        } => {
            format!("stale, last data {} ago", age(*age_secs))
        }
        Freshness::Stale {
            age_secs,
            why: Some(w),
        } => format!("stale, last data {} ago: {w}", age(*age_secs)),
        Freshness::Failed { why, age_secs } => {
            format!("failed: {why} (last data {} ago)", age(*age_secs))
        }
    }
}
