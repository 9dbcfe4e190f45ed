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
mod sparklines;
pub mod text;
mod timeline;

use crate::app::{Input, State, View};
use crate::domain::{Health, SourceStatus};
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

pub(crate) fn status_word(s: &SourceStatus) -> &'static str {
    match s {
        SourceStatus::Live => "live",
        SourceStatus::Connecting => "connecting",
        SourceStatus::Degraded(_) => "degraded",
        SourceStatus::Stale(_) => "stale",
        SourceStatus::Failed(_) => "failed",
    }
}
