//! Keymap: the shipped defaults, user overrides, key normalisation and errors.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use opsdeck::app::action::{Action, KeyContext};
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
    for action in Action::ALL {
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
        keymap.action_for(&ALL_CONTEXTS, &ch('q')),
        Some(Action::Quit)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('?')),
        Some(Action::Help)
    );
    assert_eq!(
        keymap.action_for(
            &ALL_CONTEXTS,
            &press(KeyCode::Char('?'), KeyModifiers::SHIFT)
        ),
        Some(Action::Help)
    );
    // G arrives with SHIFT on most terminals, without on some.
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('G')),
        Some(Action::Bottom)
    );
    assert_eq!(
        keymap.action_for(
            &ALL_CONTEXTS,
            &press(KeyCode::Char('G'), KeyModifiers::SHIFT)
        ),
        Some(Action::Bottom)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('g')),
        Some(Action::Top)
    );
    assert_eq!(
        keymap.action_for(
            &ALL_CONTEXTS,
            &press(KeyCode::Char('r'), KeyModifiers::CONTROL)
        ),
        Some(Action::Refresh)
    );
    // In the service detail, a bare `r` is rollback (which opens a confirmation, never acts).
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('r')),
        Some(Action::Rollback)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &press(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Action::PrevView)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &press(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Action::Select)
    );
    // List bindings do not apply outside lists.
    assert_eq!(keymap.action_for(&[KeyContext::Global], &ch('j')), None);
    assert_eq!(
        keymap.action_for(&[KeyContext::List], &ch('j')),
        Some(Action::Down)
    );
}

#[test]
fn releases_are_ignored_and_repeats_count() {
    let keymap = Keymap::default();
    let mut event = KeyEvent::new_with_kind_and_state(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
        KeyEventState::NONE,
    );
    assert_eq!(keymap.action_for(&ALL_CONTEXTS, &event), None);
    event.kind = KeyEventKind::Repeat;
    assert_eq!(keymap.action_for(&ALL_CONTEXTS, &event), Some(Action::Down));
}

#[test]
fn help_and_hints() {
    let keymap = Keymap::default();
    let global = keymap.bindings(KeyContext::Global);
    assert_eq!(global[0], (Action::Quit, vec!["q".to_string()]));
    let order: Vec<Action> = global.iter().map(|(a, _)| *a).collect();
    let mut sorted = order.clone();
    sorted.sort_by_key(|a| Action::ALL.iter().position(|b| b == a));
    assert_eq!(order, sorted);
    assert!(global.contains(&(Action::Refresh, vec!["ctrl-r".to_string()])));
    let list = keymap.bindings(KeyContext::List);
    assert!(list.contains(&(Action::Bottom, vec!["G".to_string(), "end".to_string()])));
    assert!(list.contains(&(
        Action::PageUp,
        vec!["pageup".to_string(), "ctrl-b".to_string()]
    )));
    assert!(keymap.bindings(KeyContext::Overview).is_empty());
    assert_eq!(keymap.keys_for(Action::Refresh), ["ctrl-r"]);
    assert_eq!(keymap.keys_for(Action::Up), ["k", "up"]);
    assert_eq!(keymap.keys_for(Action::PrevView), ["backtab"]);
}

#[test]
fn user_override_replaces_only_listed_actions() {
    let keymap =
        user("[global]\nquit = [\"ctrl-q\", \"Q\"]\n\n[services]\nrefresh = [\"r\"]\n").unwrap();
    let ctrl_q = press(KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ctrl_q),
        Some(Action::Quit)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('Q')),
        Some(Action::Quit)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('q')),
        None,
        "q was replaced"
    );
    assert_eq!(keymap.keys_for(Action::Quit), ["ctrl-q", "Q"]);
    // Everything else keeps its default.
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('?')),
        Some(Action::Help)
    );
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('G')),
        Some(Action::Bottom)
    );
    // The view-specific binding adds to the global one there only.
    let services = [KeyContext::Services, KeyContext::List, KeyContext::Global];
    assert_eq!(
        keymap.action_for(&services, &ch('r')),
        Some(Action::Refresh)
    );
    // In the service detail, a bare `r` is rollback (which opens a confirmation, never acts).
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('r')),
        Some(Action::Rollback)
    );
    assert_eq!(
        keymap.action_for(&services, &press(KeyCode::Char('r'), KeyModifiers::CONTROL)),
        Some(Action::Refresh)
    );
    assert_eq!(
        keymap.keys_for_in(&services, Action::Refresh),
        ["r", "ctrl-r"]
    );
}

#[test]
fn more_specific_context_shadows() {
    // Binding `q` in [list] is allowed (different context) and wins in lists.
    let keymap = user("[list]\nsort = [\"q\", \"s\"]\n").unwrap();
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('q')),
        Some(Action::Sort)
    );
    assert_eq!(
        keymap.action_for(&[KeyContext::Global], &ch('q')),
        Some(Action::Quit)
    );
    assert!(keymap.keys_for_in(&ALL_CONTEXTS, Action::Quit).is_empty());
}

#[test]
fn empty_list_unbinds() {
    let keymap = user("[global]\nquit = []\nhelp = [\"q\", \"?\"]\n").unwrap();
    assert_eq!(
        keymap.action_for(&ALL_CONTEXTS, &ch('q')),
        Some(Action::Help)
    );
    assert!(keymap.keys_for(Action::Quit).is_empty());
    assert!(
        !keymap
            .bindings(KeyContext::Global)
            .iter()
            .any(|(a, _)| *a == Action::Quit)
    );
}

#[test]
fn user_file_is_read_from_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Keymap::load(Some(dir.path())).unwrap(), Keymap::default());
    assert_eq!(Keymap::load(None).unwrap(), Keymap::default());
    std::fs::write(dir.path().join("keymap.toml"), "[global]\nquit = [\"x\"]\n").unwrap();
    let keymap = Keymap::load(Some(dir.path())).unwrap();
    assert_eq!(keymap.keys_for(Action::Quit), ["x"]);
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
