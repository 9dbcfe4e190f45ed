//! Keymap: the shipped defaults, user overrides, key normalisation and errors.

use opsdeck::app::intent::{Intent, KeyContext};
use opsdeck::app::key::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use opsdeck::keymap::{DEFAULT_KEYMAP, KeyBinding, Keymap, KeymapError};
use std::path::Path;

const ALL_CONTEXTS: [KeyContext; 3] = [
    KeyContext::ServiceDetail,
    KeyContext::List,
    KeyContext::Global,
];

fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn ch(c: char) -> KeyEvent {
    press(KeyCode::Char(c), KeyModifiers::NONE)
}

fn user(text: &str) -> Result<Keymap, KeymapError> {
    Keymap::from_toml_str(
        DEFAULT_KEYMAP,
        Some((text, Path::new("/home/me/.config/opsdeck/keymap.toml"))),
    )
}

fn user_err(text: &str) -> String {
    let err = user(text).unwrap_err();
    assert!(matches!(err, KeymapError::Invalid { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn shipped_keymap_parses_and_binds_every_action() {
    let file =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/keymap.toml"))
            .unwrap();
    assert_eq!(file, DEFAULT_KEYMAP);
    let keymap = Keymap::from_toml_str(DEFAULT_KEYMAP, None).unwrap();
    assert_eq!(keymap, Keymap::default());
    for &action in Intent::ALL {
        assert!(
            !keymap.keys_for(action).is_empty(),
            "{} has no key",
            action.name()
        );
    }
    // Every context has a table in the file.
    let doc: toml::Table = toml::from_str(DEFAULT_KEYMAP).unwrap();
    for context in KeyContext::ALL {
        assert!(
            doc.contains_key(context.name()),
            "no [{}] table",
            context.name()
        );
    }
}

#[test]
fn default_bindings() {
    let keymap = Keymap::default();
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('q')),
        Some(Intent::Quit)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('?')),
        Some(Intent::Help)
    );
    assert_eq!(
        keymap.intent_for(
            &ALL_CONTEXTS,
            &press(KeyCode::Char('?'), KeyModifiers::SHIFT)
        ),
        Some(Intent::Help)
    );
    // G arrives with SHIFT on most terminals, without on some.
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('G')),
        Some(Intent::Bottom)
    );
    assert_eq!(
        keymap.intent_for(
            &ALL_CONTEXTS,
            &press(KeyCode::Char('G'), KeyModifiers::SHIFT)
        ),
        Some(Intent::Bottom)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('g')),
        Some(Intent::Top)
    );
    assert_eq!(
        keymap.intent_for(
            &ALL_CONTEXTS,
            &press(KeyCode::Char('r'), KeyModifiers::CONTROL)
        ),
        Some(Intent::Refresh)
    );
    // In the service detail, a bare `r` is rollback (which opens a confirmation, never acts).
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('r')),
        Some(Intent::Rollback)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Intent::PrevView)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &press(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Intent::Select)
    );
    // List bindings do not apply outside lists.
    assert_eq!(keymap.intent_for(&[KeyContext::Global], &ch('j')), None);
    assert_eq!(
        keymap.intent_for(&[KeyContext::List], &ch('j')),
        Some(Intent::Down)
    );
}

#[test]
fn releases_are_ignored_and_repeats_count() {
    let keymap = Keymap::default();
    let mut event = KeyEvent::new_with_kind(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    );
    assert_eq!(keymap.intent_for(&ALL_CONTEXTS, &event), None);
    event.kind = KeyEventKind::Repeat;
    assert_eq!(keymap.intent_for(&ALL_CONTEXTS, &event), Some(Intent::Down));
}

#[test]
fn help_and_hints() {
    let keymap = Keymap::default();
    let global = keymap.bindings(KeyContext::Global);
    assert_eq!(global[0], (Intent::Quit, vec!["q".to_string()]));
    let order: Vec<Intent> = global.iter().map(|(a, _)| *a).collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|a| Intent::ALL.iter().position(|b| b == a));
    assert_eq!(order, sorted);
    assert!(global.contains(&(Intent::Refresh, vec!["ctrl-r".to_string()])));
    let list = keymap.bindings(KeyContext::List);
    assert!(list.contains(&(Intent::Bottom, vec!["G".to_string(), "end".to_string()])));
    assert!(list.contains(&(
        Intent::PageUp,
        vec!["pageup".to_string(), "ctrl-b".to_string()]
    )));
    assert!(keymap.bindings(KeyContext::Overview).is_empty());
    assert_eq!(keymap.keys_for(Intent::Refresh), ["ctrl-r"]);
    assert_eq!(keymap.keys_for(Intent::Up), ["k", "up"]);
    assert_eq!(keymap.keys_for(Intent::PrevView), ["backtab"]);
}

#[test]
fn user_override_replaces_only_listed_actions() {
    let keymap =
        user("[global]\nquit = [\"ctrl-q\", \"Q\"]\n\n[services]\nrefresh = [\"r\"]\n").unwrap();
    let ctrl_q = press(KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ctrl_q),
        Some(Intent::Quit)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('Q')),
        Some(Intent::Quit)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('q')),
        None,
        "q was replaced"
    );
    assert_eq!(keymap.keys_for(Intent::Quit), ["ctrl-q", "Q"]);
    // Everything else keeps its default.
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('?')),
        Some(Intent::Help)
    );
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('G')),
        Some(Intent::Bottom)
    );
    // The view-specific binding adds to the global one there only.
    let services = [KeyContext::Services, KeyContext::List, KeyContext::Global];
    assert_eq!(
        keymap.intent_for(&services, &ch('r')),
        Some(Intent::Refresh)
    );
    // In the service detail, a bare `r` is rollback (which opens a confirmation, never acts).
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('r')),
        Some(Intent::Rollback)
    );
    assert_eq!(
        keymap.intent_for(&services, &press(KeyCode::Char('r'), KeyModifiers::CONTROL)),
        Some(Intent::Refresh)
    );
    assert_eq!(
        keymap.keys_for_in(&services, Intent::Refresh),
        ["r", "ctrl-r"]
    );
}

#[test]
fn more_specific_context_shadows() {
    // Binding `q` in [list] is allowed (different context) and wins in lists.
    let keymap = user("[list]\nsort = [\"q\", \"s\"]\n").unwrap();
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('q')),
        Some(Intent::Sort)
    );
    assert_eq!(
        keymap.intent_for(&[KeyContext::Global], &ch('q')),
        Some(Intent::Quit)
    );
    assert!(keymap.keys_for_in(&ALL_CONTEXTS, Intent::Quit).is_empty());
}

#[test]
fn empty_list_unbinds() {
    let keymap = user("[global]\nquit = []\nhelp = [\"q\", \"?\"]\n").unwrap();
    assert_eq!(
        keymap.intent_for(&ALL_CONTEXTS, &ch('q')),
        Some(Intent::Help)
    );
    assert!(keymap.keys_for(Intent::Quit).is_empty());
    assert!(
        !keymap
            .bindings(KeyContext::Global)
            .iter()
            .any(|(a, _)| *a == Intent::Quit)
    );
}

#[test]
fn user_file_is_read_from_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Keymap::load(Some(dir.path())).unwrap(), Keymap::default());
    assert_eq!(Keymap::load(None).unwrap(), Keymap::default());
    std::fs::write(dir.path().join("keymap.toml"), "[global]\nquit = [\"x\"]\n").unwrap();
    let keymap = Keymap::load(Some(dir.path())).unwrap();
    assert_eq!(keymap.keys_for(Intent::Quit), ["x"]);
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[global]\nquit = [\"xx\"]\n",
    )
    .unwrap();
    let err = Keymap::load(Some(dir.path())).unwrap_err().to_string();
    assert!(
        err.starts_with(&dir.path().join("keymap.toml").display().to_string()),
        "{err}"
    );
}

#[test]
fn unknown_action_reports_location_and_hint() {
    let err = user_err("[global]\nquit = [\"q\"]\n  quitt = [\"x\"]\n");
    assert!(
        err.starts_with(
            "/home/me/.config/opsdeck/keymap.toml:3:3: unknown action \"quitt\" in [global]"
        ),
        "{err}"
    );
    assert!(err.contains("did you mean \"quit\""), "{err}");
    assert!(err.contains("page_down"), "lists valid actions: {err}");
}

#[test]
fn unknown_context_reports_location_and_hint() {
    let err = user_err("[globl]\nquit = [\"q\"]\n");
    assert!(
        err.contains("keymap.toml:1:2: unknown context [globl]"),
        "{err}"
    );
    assert!(err.contains("did you mean \"global\""), "{err}");
    assert!(err.contains("service_detail"), "{err}");
}

#[test]
fn unknown_key_reports_location_and_hint() {
    let err = user_err("[list]\nselect = [\"enter\", \"entr\"]\n");
    assert!(
        err.contains("keymap.toml:2:20: unknown key \"entr\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"enter\""), "{err}");
    let err = user_err("[list]\nselect = [\"ctrl-f13\"]\n");
    assert!(err.contains("keymap.toml:2:11:"), "{err}");
}

#[test]
fn wrong_shapes_get_hints() {
    let err = user_err("[global]\nquit = \"q\"\n");
    assert!(err.contains("keymap.toml:2:8:"), "{err}");
    assert!(err.contains("write keys as a list"), "{err}");
    let err = user_err("quit = [\"q\"]\n");
    assert!(err.contains("keymap.toml:1:"), "{err}");
    assert!(err.contains("context table"), "{err}");
}

#[test]
fn duplicate_key_in_one_context_is_an_error() {
    let err = user_err("[global]\nhelp = [\"?\", \"q\"]\n");
    assert!(
        err.contains("keymap.toml:2:14:"),
        "reported at the user's key: {err}"
    );
    assert!(
        err.contains("\"quit\"") && err.contains("\"help\""),
        "{err}"
    );
    assert!(err.contains("[global]"), "{err}");

    let err = user_err("[list]\nup = [\"k\"]\ndown = [\"k\"]\n");
    assert!(err.contains("\"up\"") && err.contains("\"down\""), "{err}");

    // Shifted and unshifted spellings of one key are the same key.
    let err = user_err("[list]\nsort = [\"shift-g\"]\n");
    assert!(
        err.contains("\"bottom\"") && err.contains("\"sort\""),
        "{err}"
    );

    // The same key twice for one action is fine.
    assert!(user("[global]\nquit = [\"q\", \"q\"]\n").is_ok());
}

#[test]
fn key_bindings_display_back() {
    let b: KeyBinding = "ctrl-r".parse().unwrap();
    assert_eq!(
        b,
        KeyBinding::new(KeyCode::Char('r'), KeyModifiers::CONTROL)
    );
    assert!(b.matches(&press(KeyCode::Char('r'), KeyModifiers::CONTROL)));
    assert_eq!(b.to_string(), "ctrl-r");
    let g = KeyBinding::from_event(&press(KeyCode::Char('G'), KeyModifiers::SHIFT));
    assert_eq!(g.to_string(), "G");
    let g = KeyBinding::from_event(&press(KeyCode::Char('g'), KeyModifiers::SHIFT));
    assert_eq!(g.to_string(), "G");
    let ctrl_alt: KeyBinding = "ctrl-alt-x".parse().unwrap();
    assert_eq!(
        ctrl_alt.modifiers,
        KeyModifiers::CONTROL | KeyModifiers::ALT
    );
    assert_eq!(ctrl_alt.to_string(), "ctrl-alt-x");
}

#[test]
fn every_intent_is_described_in_the_shipped_file() {
    let keymap = Keymap::default();
    for &intent in Intent::ALL {
        assert!(
            !keymap.about(intent).description.is_empty(),
            "{} has no description",
            intent.name()
        );
    }
    assert_eq!(keymap.about(Intent::Quit).description, "Quit opsdeck");
    assert_eq!(keymap.about(Intent::Rollback).aliases, ["undo", "revert"]);
    assert!(
        !keymap.about(Intent::Down).palette,
        "movement is not in the palette"
    );
    assert!(keymap.about(Intent::Rollback).palette);
}

#[test]
fn a_user_file_changes_one_field_of_one_intent() {
    let keymap = user("[intents]\nrollback = { aliases = [\"back-out\"] }\n").unwrap();
    let about = keymap.about(Intent::Rollback);
    assert_eq!(about.aliases, ["back-out"]);
    assert_eq!(about.description, "Roll back this instance", "kept");
    assert_eq!(
        keymap.about(Intent::Quit),
        Keymap::default().about(Intent::Quit)
    );
    let names: Vec<Intent> = opsdeck::app::palette_items(&keymap, "back-out")
        .into_iter()
        .map(|i| i.action)
        .collect();
    assert_eq!(
        names.first(),
        Some(&Intent::Rollback),
        "the palette knows it"
    );
}

#[test]
fn a_bad_intents_entry_reports_location_and_fix() {
    let err = user_err("[intents]\nrollbak = { description = \"x\" }\n");
    assert!(
        err.contains("keymap.toml:2:1: unknown action \"rollbak\" in [intents]"),
        "{err}"
    );
    assert!(err.contains("did you mean \"rollback\""), "{err}");
    let err = user_err("[intents]\nrollback = { descripton = \"x\" }\n");
    assert!(err.contains("keymap.toml:2:"), "{err}");
    assert!(err.contains("descripton"), "{err}");
}

#[test]
fn a_keymap_without_a_description_for_an_intent_is_refused() {
    let without_tick: String = DEFAULT_KEYMAP
        .lines()
        .filter(|l| !l.starts_with("tick = {"))
        .map(|l| format!("{l}\n"))
        .collect();
    let err = Keymap::from_toml_str(&without_tick, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not describe \"tick\""), "{err}");
}
