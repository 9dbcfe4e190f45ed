//! A user theme file (read from the user's themes folder, as the console does), with `extends`
//! to the shipped themes: any text gives a theme or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn themes_dir() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temp dir")).path()
}

fuzz_target!(|data: &[u8]| {
    let dir = themes_dir();
    if std::fs::write(dir.join("fuzz.toml"), data).is_ok() {
        let _ = opsdeck::theme::load_theme("fuzz", Some(dir), false);
        let _ = opsdeck::theme::load_theme("fuzz", Some(dir), true);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = opsdeck::theme::parse_color(text);
    }
});
