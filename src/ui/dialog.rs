//! The confirmation dialog of an action: what will happen (versions, blast radius, cost), the
//! reason, and in production the typed service name. Nothing is sent until it is confirmed.

use super::text::{clean, fit};
use crate::app::{Dialog, DialogField};
use crate::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

pub fn draw(d: &Dialog, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = area.width.min(76);
    let inner_w = w.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for l in &d.plan.lines {
        lines.push(Line::styled(fit(&clean(l), inner_w), theme.base));
    }
    if let Some(why) = &d.plan.blocked {
        lines.push(Line::styled(
            fit(&format!("✖ {}", clean(why)), inner_w),
            theme.critical,
        ));
    }
    match &d.access {
        Some(Ok(())) => lines.push(Line::styled("✔ RBAC: allowed", theme.ok)),
        Some(Err(why)) => lines.push(Line::styled(
            fit(&format!("✖ RBAC: {}", clean(why)), inner_w),
            theme.critical,
        )),
        None => {}
    }
    lines.push(Line::raw(""));
    for (i, f) in d.fields.iter().enumerate() {
        let active = i == d.field.min(d.fields.len() - 1);
        let label_style = if active { theme.accent } else { theme.muted };
        let cursor = if active { "▏" } else { "" };
        match f {
            DialogField::Item => {
                lines.push(Line::styled("item to tick (↑/↓):", label_style));
                for (j, item) in d.items.iter().enumerate() {
                    let style = if j == d.item {
                        theme.selection
                    } else {
                        theme.base
                    };
                    let mark = if j == d.item { "▸ " } else { "  " };
                    lines.push(Line::styled(fit(&format!("{mark}{item}"), inner_w), style));
                }
            }
            DialogField::Replicas | DialogField::Bounds | DialogField::Sizes => {
                let label = match f {
                    DialogField::Replicas => "replicas: ",
                    DialogField::Bounds => "HPA min..max: ",
                    _ => "nodes min/desired/max: ",
                };
                lines.push(Line::from(vec![
                    Span::styled(label, label_style),
                    Span::styled(format!("{}{cursor}", clean(&d.number)), theme.filter),
                ]));
            }
            DialogField::Reason => lines.push(Line::from(vec![
                Span::styled("reason: ", label_style),
                Span::styled(
                    fit(
                        &format!("{}{cursor}", clean(&d.reason)),
                        inner_w.saturating_sub(8),
                    ),
                    theme.filter,
                ),
            ])),
            DialogField::Acknowledge => {
                let words: Vec<&str> = d.ack_needed.iter().map(|o| o.word()).collect();
                lines.push(Line::styled(
                    fit(
                        "⚠ beyond this environment's scaling limits (see below)",
                        inner_w,
                    ),
                    theme.warn,
                ));
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("type {} to acknowledge: ", words.join(" ")),
                        label_style,
                    ),
                    Span::styled(format!("{}{cursor}", clean(&d.ack)), theme.filter),
                ]));
            }
            DialogField::Confirm => {
                let word = d.plan.confirm_word.as_deref().unwrap_or("");
                lines.push(Line::from(vec![
                    Span::styled(format!("type {} to confirm: ", clean(word)), label_style),
                    Span::styled(format!("{}{cursor}", clean(&d.typed)), theme.filter),
                ]));
            }
        }
    }
    if let Some(e) = &d.error {
        lines.push(Line::styled(
            fit(&format!("✖ {}", clean(e)), inner_w),
            theme.critical,
        ));
    }
    lines.push(Line::styled(
        "enter next/confirm · tab field · esc cancel: nothing is sent",
        theme.muted,
    ));
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height.saturating_sub(h) / 2,
        width: w,
        height: h,
    };
    let mut title = vec![Span::styled(
        format!(" {} ", clean(&d.plan.title)),
        theme.title,
    )];
    if d.plan.production {
        title.insert(0, Span::styled(" PROD ", theme.prod_label));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if d.plan.production {
            BorderType::Double
        } else {
            BorderType::Plain
        })
        .border_style(if d.plan.production {
            theme.prod
        } else {
            theme.accent
        })
        .title(Line::from(title))
        .style(theme.base);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}
