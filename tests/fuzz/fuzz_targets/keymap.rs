//! A user's keymap.toml over the shipped one: any text gives a keymap or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use opsdeck::keymap::{DEFAULT_KEYMAP, Keymap};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Keymap::from_toml_str(DEFAULT_KEYMAP, Some((text, Path::new("keymap.toml"))));
    }
});
