//! Making untrusted text safe for a terminal: one rule for the screens and the command line.
//!
//! Cluster and cloud data is untrusted: a pod name, an alarm reason or an admission webhook's
//! error message may carry escape sequences (`ESC]0;…BEL` sets the title, `ESC[2J` clears the
//! screen, `ESC]52;…` writes the clipboard), bidi overrides and isolates that reorder what
//! follows them, or zero-width characters that make a string look like another and shift
//! columns. Each such character is replaced by `�`, which is visible and one column wide, so
//! nothing is hidden and every column stays where it was laid out.

use std::borrow::Cow;

/// What a replaced character becomes.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Whether `c` must not reach a terminal as it is: control characters (C0, DEL, C1), bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, the marks U+200E/U+200F
/// and U+061C), and zero-width characters (U+200B–U+200D, U+2060, U+FEFF).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{061C}'
        )
}

/// `s` with every unsafe character (see [`is_unsafe`]) replaced by `�`; borrowed when clean.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_unsafe) {
        Cow::Owned(
            s.chars()
                .map(|c| if is_unsafe(c) { REPLACEMENT } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Text of several lines (a message printed by the command line): each line cleaned, the line
/// breaks kept (`\r\n` becomes `\n`).
pub fn clean_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<String> = s
        .split('\n')
        .map(|l| clean(l.strip_suffix('\r').unwrap_or(l)).into_owned())
        .collect();
    Cow::Owned(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_lose_their_escape() {
        let hostile = "denied\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\u{9b}31m";
        let c = clean(hostile);
        assert!(!c.contains(['\x1b', '\x07', '\u{9b}']), "{c}");
        assert_eq!(c, "denied�]0;pwned��[2J�]52;c;ZXZpbA==��31m");
        assert_eq!(clean("pod\x1b[2Jname"), "pod�[2Jname");
    }

    #[test]
    fn bidi_and_zero_width_characters_are_replaced() {
        let bidi = [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{061C}', '\u{200E}', '\u{200F}',
        ];
        let zero_width = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];
        for c in bidi.into_iter().chain(zero_width) {
            let s = format!("checkout{c}-api");
            assert!(is_unsafe(c), "U+{:04X}", c as u32);
            assert_eq!(clean(&s), "checkout�-api", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_untouched() {
        for s in ["checkout-api", "日本語のポッド", "café ✖ ● →", "p95 up 40%"] {
            assert!(matches!(clean(s), Cow::Borrowed(_)), "{s}");
        }
        // Neighbours of the ranges are ordinary characters.
        for c in [
            '\u{2010}', '\u{2029}', '\u{2030}', '\u{2065}', '\u{206A}', '\u{FEFE}',
        ] {
            assert!(!is_unsafe(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(clean_lines("a\x1b[2J\r\nb\u{202E}c\n"), "a�[2J\nb�c\n");
        assert!(matches!(clean_lines("one\ntwo\n"), Cow::Borrowed(_)));
    }
}
