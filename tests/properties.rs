//! Property tests (proptest): arbitrary message sequences through `update`, and arbitrary
//! (mutated) Kubernetes objects and CloudWatch alarms through the translations to the domain.
//! Case counts are kept modest so the suite stays fast; `PROPTEST_CASES=5000` runs more.

mod support;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::DynamicObject;
use opsdeck::app::key::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::{Msg, State, TOP_VIEWS, View, update};
use opsdeck::source::aws::alarm_map::{self, Attribution, NamePattern, RawAlarm};
use opsdeck::source::kube::translate;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::Value;
use std::sync::OnceLock;
use support::*;

/// `cases` per property, unless `PROPTEST_CASES` asks for more.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// update: arbitrary input never panics, and the state stays usable

fn a_key() -> impl Strategy<Value = Msg> {
    let chars = "jkhlgG12345678?:/qsaArRSHtxw \t9zn"
        .chars()
        .collect::<Vec<_>>();
    prop_oneof![
        4 => proptest::sample::select(chars).prop_map(key),
        2 => proptest::sample::select(vec![
            KeyCode::Esc, KeyCode::Enter, KeyCode::Up, KeyCode::Down, KeyCode::PageUp,
            KeyCode::PageDown, KeyCode::Home, KeyCode::End, KeyCode::Tab, KeyCode::BackTab,
            KeyCode::Backspace, KeyCode::Left, KeyCode::Right,
        ]).prop_map(code),
        1 => any::<char>().prop_map(|c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))),
        1 => any::<char>().prop_map(|c| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))),
    ]
}

fn a_msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        8 => a_key(),
        1 => (0u16..400, 0u16..150).prop_map(|(width, height)| Msg::Resize { width, height }),
        1 => (-3600i64..86_400).prop_map(|s| Msg::Tick(t0() + jiff::SignedDuration::from_secs(s))),
    ]
}

fn fleet_state() -> State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| state_with_fleet(5)).clone()
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn any_message_sequence_keeps_the_state_usable(msgs in proptest::collection::vec(a_msg(), 1..60)) {
        let mut state = fleet_state();
        let theme = theme("dark");
        for m in msgs {
            update(&mut state, m.clone());
            // The screen is a top view (a tab, or Sources, reached by its key and the palette),
            // drilled into only by detail screens: the Services of one stage, a service, a
            // release.
            let stack = &state.ui.stack;
            prop_assert!(
                stack
                    .first()
                    .is_some_and(|v| TOP_VIEWS.contains(v) || *v == View::Sources),
                "after {m:?} the stack does not start at a top view: {stack:?}"
            );
            prop_assert!(
                stack[1..].iter().all(|v| matches!(
                    v,
                    View::Services | View::ServiceDetail(_) | View::Release(_)
                )),
                "after {m:?} a drill-in is not a detail screen: {stack:?}"
            );
            if state.should_quit {
                break;
            }
        }
        // And `esc` always leads back to the top view the screen started from (an open input,
        // palette, dialog or filter closing on the way).
        let home = state.ui.stack[0].clone();
        for _ in 0..16 {
            update(&mut state, code(KeyCode::Esc));
        }
        prop_assert_eq!(&state.ui.stack, &vec![home], "esc does not lead home");
        // Whatever the sequence did, every screen can still be drawn, at its size and at 80x24.
        render(&state, &theme, state.ui.width, state.ui.height);
        render(&state, &theme, 80, 24);
    }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes → domain: real objects with fields removed, emptied, or filled with odd values

const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "\u{202e}lanigiro",
    "e\u{301}\u{301}\u{301}\u{301}",
    "界界界界界界界界",
    "👩‍👩‍👧‍👦",
    "\x1b[2J\x1b]0;x\x07",
    "-1",
    "9999999999999999999999",
    "1e400",
    "NaN",
    "2026-13-45T99:99:99Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z",
    ":::",
    "a/b/c",
    "registry:5000/x/y:tag@sha256:abc",
    "\u{0}",
];

const ODD_NUMBERS: &[i64] = &[0, -1, 1, i32::MAX as i64, i32::MIN as i64, 65_535];

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Null,
    Text(usize),
    LongText(usize),
    Number(usize),
    EmptyObject,
    EmptyArray,
}

fn a_mutation() -> impl Strategy<Value = (usize, Mutation)> {
    let m = prop_oneof![
        3 => Just(Mutation::Remove),
        1 => Just(Mutation::Null),
        3 => (0..ODD_STRINGS.len()).prop_map(Mutation::Text),
        1 => (1usize..20_000).prop_map(Mutation::LongText),
        2 => (0..ODD_NUMBERS.len()).prop_map(Mutation::Number),
        1 => Just(Mutation::EmptyObject),
        1 => Just(Mutation::EmptyArray),
    ];
    (any::<usize>(), m)
}

/// JSON pointers to every value in `v` (the root excluded).
fn paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                paths(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                paths(c, p, out);
            }
        }
        _ => {}
    }
}

fn mutate(mut obj: Value, mutations: &[(usize, Mutation)]) -> Value {
    for (pick, m) in mutations {
        let mut all = Vec::new();
        paths(&obj, String::new(), &mut all);
        if all.is_empty() {
            break;
        }
        let path = &all[pick % all.len()];
        let (parent, last) = path.rsplit_once('/').unwrap();
        let new = match m {
            Mutation::Remove => {
                match obj.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.remove(&last.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>()
                            && i < a.len()
                        {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Mutation::Null => Value::Null,
            Mutation::Text(i) => Value::from(ODD_STRINGS[*i]),
            Mutation::LongText(n) => Value::from("ẅ".repeat(*n)),
            Mutation::Number(i) => Value::from(ODD_NUMBERS[*i]),
            Mutation::EmptyObject => Value::Object(Default::default()),
            Mutation::EmptyArray => Value::Array(Vec::new()),
        };
        // Keep each value's JSON type (a string stays a string), so most objects still
        // deserialise and reach the translation; `Null` and `Remove` test missing fields.
        if let Some(slot) = obj.pointer_mut(path)
            && (new.is_null() || std::mem::discriminant(slot) == std::mem::discriminant(&new))
        {
            *slot = new;
        }
    }
    obj
}

/// Every object of the fixtures, by kind.
fn fixture_objects(kind: &str) -> Vec<Value> {
    static ALL: OnceLock<Vec<Value>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let mut out = Vec::new();
        for yaml in [
            include_str!("fixtures/kube/small-cluster.yaml"),
            include_str!("fixtures/kube/release-actions.yaml"),
        ] {
            let docs: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("fixture YAML");
            for d in docs {
                if d["kind"] == "List" {
                    out.extend(d["items"].as_array().cloned().unwrap_or_default());
                } else if !d.is_null() {
                    out.push(d);
                }
            }
        }
        out
    });
    let found: Vec<Value> = all.iter().filter(|o| o["kind"] == kind).cloned().collect();
    assert!(!found.is_empty(), "no {kind} in the fixtures");
    found
}

/// Translate one mutated object of `kind`; objects serde rejects are kube's business, skipped.
fn translate_mutated(kind: &str, pick: usize, mutations: &[(usize, Mutation)]) -> bool {
    let objects = fixture_objects(kind);
    let obj = mutate(objects[pick % objects.len()].clone(), mutations);
    macro_rules! run {
        ($ty:ty, $f:expr) => {
            match serde_json::from_value::<$ty>(obj) {
                Ok(o) => {
                    let _ = $f(&o);
                    true
                }
                Err(_) => false,
            }
        };
    }
    match kind {
        "Pod" => run!(Pod, translate::pod),
        "Deployment" => run!(Deployment, translate::deployment),
        "ReplicaSet" => run!(ReplicaSet, translate::replicaset),
        "Node" => run!(Node, translate::node),
        "HorizontalPodAutoscaler" => run!(HorizontalPodAutoscaler, translate::hpa),
        "Event" => run!(Event, translate::event),
        "Rollout" => run!(DynamicObject, translate::rollout),
        other => panic!("no translation for {other}"),
    }
}

const KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "Node",
    "HorizontalPodAutoscaler",
    "Event",
    "Rollout",
];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn kubernetes_objects_with_odd_fields_translate_without_panic(
        kind in proptest::sample::select(KINDS),
        pick in any::<usize>(),
        mutations in proptest::collection::vec(a_mutation(), 1..12),
    ) {
        translate_mutated(kind, pick, &mutations);
    }
}

#[test]
fn most_mutated_objects_still_reach_the_translation() {
    // The property above is only worth something if serde accepts most mutated objects.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (
        proptest::sample::select(KINDS),
        any::<usize>(),
        proptest::collection::vec(a_mutation(), 1..12),
    );
    let mut translated = 0;
    for _ in 0..400 {
        let (kind, pick, mutations) = strategy.new_tree(&mut runner).unwrap().current();
        if translate_mutated(kind, pick, &mutations) {
            translated += 1;
        }
    }
    assert!(
        translated > 100,
        "only {translated} of 400 mutated objects deserialised"
    );
}

// ---------------------------------------------------------------------------------------------
// CloudWatch → domain

fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => proptest::sample::select(ODD_STRINGS).prop_map(str::to_string),
        2 => any::<String>(),
        1 => "[a-z{}*-]{0,12}",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn cloudwatch_alarms_with_odd_fields_map_without_panic(
        name in odd_text(),
        state in odd_text(),
        reason in odd_text(),
        namespace in proptest::option::of(odd_text()),
        metric in proptest::option::of(odd_text()),
        dimensions in proptest::collection::vec((odd_text(), odd_text()), 0..4),
        tags in proptest::collection::vec((odd_text(), odd_text()), 0..4),
        pattern in odd_text(),
        composite in any::<bool>(),
        since in proptest::option::of(-10_000_000_000i64..10_000_000_000),
    ) {
        let raw = RawAlarm {
            name: name.clone(),
            composite,
            // The words CloudWatch sends, read as the source reads them.
            state: opsdeck::domain::AlarmState::from_cloudwatch(&state),
            reason: reason.clone(),
            since: since.and_then(|s| jiff::Timestamp::from_second(s).ok()),
            namespace,
            metric_name: metric,
            dimensions,
            arn: Some(format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}")),
            tags,
            rule: None,
            actions_enabled: true,
        };
        let ctx = Attribution {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            rules: Default::default(),
            pattern: NamePattern::parse(&pattern).ok(),
            clusters: Vec::new(),
            envs: vec!["dev".into(), "prod".into()],
            default_env: None,
        };
        let alarm = alarm_map::map(&raw, &ctx, t0());
        prop_assert_eq!(alarm.name, name);
        prop_assert_eq!(alarm.reason, reason);
        if let Some(env) = &alarm.env {
            prop_assert!(ctx.envs.contains(env), "attributed to an unknown environment {}", env);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The parsers of user-written files (also fuzzed with cargo fuzz: tests/fuzz/): shipped files
// with lines dropped, doubled or spliced with odd text, and arbitrary text, give a value or an
// error, never a panic.

#[derive(Debug, Clone)]
enum Edit {
    DropLine(usize),
    DoubleLine(usize),
    Insert(usize, String),
}

fn an_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::DropLine),
        any::<usize>().prop_map(Edit::DoubleLine),
        (
            any::<usize>(),
            prop_oneof![
                proptest::sample::select(vec![
                    "=",
                    "[",
                    "]",
                    "[[",
                    "\"",
                    "'''",
                    "{",
                    "}",
                    ",",
                    "#",
                    "\n",
                    "= =",
                    "[global]",
                    "extends = \"dark\"",
                    "extends = \"fuzz\"",
                    "= [\"ctrl-\"]",
                    "1e999",
                    "-0",
                    "\"\\u{0}\"",
                    "ctrl-alt-shift-",
                    "f99",
                    "rgb(300,0,0)",
                    "#fffffff",
                ])
                .prop_map(str::to_string),
                any::<String>(),
            ]
        )
            .prop_map(|(at, s)| Edit::Insert(at, s)),
    ]
}

fn edited(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match e {
            Edit::DropLine(i) => {
                lines.remove(i % n);
            }
            Edit::DoubleLine(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Insert(i, s) => {
                let line = &mut lines[i % n];
                let at = line
                    .char_indices()
                    .map(|(b, _)| b)
                    .nth(i % (line.chars().count() + 1))
                    .unwrap_or(line.len());
                line.insert_str(at, s);
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn config_text_never_panics(
        base in proptest::sample::select(vec![
            include_str!("../config/example.toml"),
            include_str!("../config/default.toml"),
        ]),
        edits in proptest::collection::vec(an_edit(), 0..8),
        raw in any::<String>(),
    ) {
        let _ = opsdeck::config::parse(&edited(base, &edits), "p.toml");
        let _ = opsdeck::config::parse(&raw, "p.toml");
    }

    #[test]
    fn keymap_text_never_panics(
        edits in proptest::collection::vec(an_edit(), 0..8),
        raw in any::<String>(),
    ) {
        use opsdeck::keymap::{DEFAULT_KEYMAP, Keymap};
        let user = std::path::Path::new("keymap.toml");
        let _ = Keymap::from_toml_str(DEFAULT_KEYMAP, Some((&edited(DEFAULT_KEYMAP, &edits), user)));
        let _ = Keymap::from_toml_str(DEFAULT_KEYMAP, Some((&raw, user)));
    }

    #[test]
    fn theme_text_never_panics(
        edits in proptest::collection::vec(an_edit(), 0..8),
        raw in any::<String>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        for text in [edited(include_str!("../themes/dark.toml"), &edits), raw.clone()] {
            std::fs::write(dir.path().join("p.toml"), &text).unwrap();
            let _ = opsdeck::theme::load_theme("p", Some(dir.path()), false);
        }
        let _ = opsdeck::theme::parse_color(&raw);
    }
}
