//! The `:` command palette: fuzzy-matched actions by name and alias.

use super::text::clean;
use crate::app::{State, palette_items};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    query: &str,
    selected: usize,
) {
    let items = palette_items(&state.keymap, query);
    let w = area.width.min(64);
    let h = (items.len() as u16 + 3).clamp(4, area.height.min(14));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", theme.accent),
        Span::styled(format!("{}▏", clean(query)), theme.filter),
    ])];
    if items.is_empty() {
        lines.push(Line::styled("no matching command", theme.muted));
    }
    let room = h.saturating_sub(3) as usize;
    let start = selected.saturating_sub(room.saturating_sub(1));
    for (i, item) in items.iter().enumerate().skip(start).take(room) {
        let keys = state.keymap.keys_for(item.action).join(" ");
        let style = if i == selected {
            theme.selection
        } else {
            theme.base
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<12}", item.action.name()), style),
            Span::styled(
                format!("{:<34}", state.keymap.about(item.action).description),
                if i == selected { style } else { theme.muted },
            ),
            Span::styled(
                format!(" {keys}"),
                if i == selected { style } else { theme.accent },
            ),
        ]));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(Span::styled(" Commands ", theme.title))
        .style(theme.base);
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
}
