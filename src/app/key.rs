//! A key press as the reducer and the keymap see it: plain data, independent of the terminal
//! library. The console turns crossterm's events into these (`console::input`), so `src/app`
//! never depends on crossterm (checked by `tests/architecture.rs`).
//!
//! The names and the API (`KeyEvent::new`, `KeyModifiers::CONTROL`, `contains`, `|`) are
//! crossterm's, so code written against one reads the same against the other.

use std::fmt;

/// Which key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Backspace,
    Enter,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    Tab,
    BackTab,
    Delete,
    Insert,
    /// A function key, `F(1)` .. `F(12)` (terminals may send more).
    F(u8),
    Char(char),
    Esc,
    /// Any other key (caps lock, media keys, a lone modifier, ...): bound to nothing.
    Other,
}

bitflags::bitflags! {
    /// The modifier keys held with a key: a small set of flags.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub struct KeyModifiers: u8 {
        const SHIFT = 1;
        const CONTROL = 1 << 1;
        const ALT = 1 << 2;
        const SUPER = 1 << 3;
        const HYPER = 1 << 4;
        const META = 1 << 5;
    }
}

impl KeyModifiers {
    pub const NONE: KeyModifiers = KeyModifiers::empty();
}

/// `CONTROL | ALT`, or `NONE`.
impl fmt::Debug for KeyModifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("NONE");
        }
        let held: Vec<&str> = self.iter_names().map(|(name, _)| name).collect();
        f.write_str(&held.join(" | "))
    }
}

/// Pressed, held down (auto-repeat) or released. Terminals report releases only when asked
/// (the kitty keyboard protocol); the reducer ignores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyEventKind {
    #[default]
    Press,
    Repeat,
    Release,
}

/// One key event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyEvent {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub kind: KeyEventKind,
}

impl KeyEvent {
    /// A key press.
    pub const fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
        }
    }

    pub const fn new_with_kind(
        code: KeyCode,
        modifiers: KeyModifiers,
        kind: KeyEventKind,
    ) -> KeyEvent {
        KeyEvent {
            code,
            modifiers,
            kind,
        }
    }
}

impl From<KeyCode> for KeyEvent {
    fn from(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_are_a_set() {
        let mut m = KeyModifiers::CONTROL | KeyModifiers::SHIFT;
        assert!(m.contains(KeyModifiers::CONTROL));
        assert!(m.contains(KeyModifiers::CONTROL | KeyModifiers::SHIFT));
        assert!(!m.contains(KeyModifiers::ALT));
        assert!(m.contains(KeyModifiers::NONE));
        m.remove(KeyModifiers::SHIFT);
        assert_eq!(m, KeyModifiers::CONTROL);
        m |= KeyModifiers::ALT;
        assert_eq!(format!("{m:?}"), "CONTROL | ALT");
        m.remove(KeyModifiers::CONTROL | KeyModifiers::ALT);
        assert!(m.is_empty());
        assert_eq!(format!("{m:?}"), "NONE");
    }

    #[test]
    fn a_new_event_is_a_press() {
        let k = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(k.kind, KeyEventKind::Press);
        assert_eq!(KeyEvent::from(KeyCode::Enter).code, KeyCode::Enter);
    }
}
