//! Shared helpers for the integration tests: a fixed fleet, fixed clock, and rendering to text.
#![allow(dead_code)]

use jiff::{SignedDuration, Timestamp};
use opsdeck::app::key::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::{Msg, Settings, State, update};
use opsdeck::keymap::Keymap;
use opsdeck::source::demo::DemoWorld;
use opsdeck::theme::{Theme, load_theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

pub const SEED: u64 = 7;

pub fn t0() -> Timestamp {
    "2026-11-21T14:30:00Z".parse().unwrap()
}

/// The demo world after `secs` simulated seconds from `t0`.
pub fn world(secs: i64) -> DemoWorld {
    let mut w = DemoWorld::generate(SEED, t0());
    for i in 1..=secs {
        w.step(t0() + SignedDuration::from_secs(i));
    }
    w
}

pub fn settings() -> Settings {
    Settings {
        read_only: false,
        stale_after_secs: 30,
        demo: true,
        user: "lee".into(),
        policies: Default::default(),
    }
}

/// A state fed with the demo fleet as the sources would deliver it, at a fixed time.
pub fn state_with_fleet(secs: i64) -> State {
    let mut w = world(secs);
    let mut state = State::new(Keymap::default(), settings(), w.now);
    for u in w.take_updates(true) {
        update(&mut state, Msg::Source(u));
    }
    state
}

/// A state that followed the demo fleet second by second for `secs` seconds, as the console
/// does: the first delivery is the baseline, every later one may record changes.
pub fn state_following_fleet(secs: i64) -> State {
    let mut w = world(0);
    let mut state = State::new(Keymap::default(), settings(), w.now);
    for u in w.take_updates(true) {
        update(&mut state, Msg::Source(u));
    }
    for i in 1..=secs {
        let now = t0() + SignedDuration::from_secs(i);
        w.step(now);
        for u in w.take_updates(false) {
            update(&mut state, Msg::Source(u));
        }
        update(&mut state, Msg::Tick(now));
    }
    state
}

pub fn theme(name: &str) -> Theme {
    load_theme(name, None, false).unwrap()
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn keys(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, key(c));
    }
}

pub fn render_buffer(state: &State, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(width, height)).unwrap();
    term.draw(|f| opsdeck::ui::view(state, theme, f)).unwrap();
    term.backend().buffer().clone()
}

/// The screen as plain text, one line per row, trailing spaces trimmed.
pub fn render(state: &State, theme: &Theme, width: u16, height: u16) -> String {
    buffer_text(&render_buffer(state, theme, width, height))
}

pub fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
