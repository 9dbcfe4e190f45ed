//! Help, generated from the keymap: what every key does in every context.

use crate::app::{Intent, KeyContext, State};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let lines = help_lines(state, theme);
    let w = area.width.min(72);
    let h = area.height;
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: h,
    };
    let visible = h.saturating_sub(2) as usize;
    let max_scroll = lines.len().saturating_sub(visible);
    let scroll = state.ui.help_scroll.min(max_scroll);
    let title = Line::from(vec![
        Span::styled(" Help ", theme.title),
        Span::styled(
            " keys from keymap.toml · j/k scroll · esc close ",
            theme.muted,
        ),
    ]);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.accent)
        .title(title)
        .style(theme.base);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        r,
    );
}

pub fn help_lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &ctx in KeyContext::ALL {
        let bindings: Vec<(Intent, Vec<String>)> = state
            .keymap
            .bindings(ctx)
            .into_iter()
            .filter(|(_, keys)| !keys.is_empty())
            .collect();
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(ctx.title().to_string(), theme.title));
        for (action, keys) in bindings {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", keys.join(" ")), theme.accent),
                Span::styled(state.keymap.about(action).description.clone(), theme.base),
            ]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Prompts", theme.title));
    for (k, d) in [
        ("enter", "keep the filter / run the command"),
        ("esc", "clear the filter / close the palette"),
        ("up down", "move while typing"),
        ("ctrl-u", "clear the line"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<18}"), theme.accent),
            Span::styled(d.to_string(), theme.base),
        ]));
    }
    lines
}
