//! Hostile and odd data from clusters and AWS never drives the terminal, and no terminal size
//! breaks a view.
//!
//! Escape sequences (CSI, OSC, DCS, C1 controls, BEL, backspace, carriage return) are planted in
//! a pod name, a workload name, an event's reason and message, a node name, a health message, an
//! alarm's name and reason. Every view is then drawn through the real crossterm backend into a
//! byte buffer, and the bytes are checked: every escape sequence in them must be one the
//! renderer itself writes (cursor moves, colours, cursor show/hide), and no other control byte
//! may appear at all.

mod support;

use opsdeck::app::key::KeyCode;
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use opsdeck::app::{Msg, State, View, update};
use opsdeck::domain::{
    Alarm, AlarmState, ClusterEvent, EventKind, SourceHealth, SourceStatus, SourceUpdate,
    WorkloadKey,
};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use support::*;

/// Every kind of terminal control an attacker could hide in a string: clear screen, a title
/// (OSC 0) and a clipboard write (OSC 52) ended by BEL, a C1 CSI (U+009B) asking for a cursor
/// report, a DCS query ended by ST, backspace, carriage return, newline, tab, DEL, and an RTL
/// override with a combining mark and a wide character for good measure.
const EVIL: &str = "\x1b[2J\x1b]0;owned\x07\x1b]52;c;cGF5bG9hZA==\x07\u{9b}6n\x1bP+q544e\x1b\\\x08\r\n\t\x7f\u{202e}e\u{301}界";

fn evil(mark: &str) -> String {
    format!("{mark}{EVIL}")
}

/// The demo fleet with hostile strings planted in one cluster's data and one alarm.
fn hostile_state() -> (State, WorkloadKey) {
    let mut state = state_with_fleet(20);
    let mut cluster = state
        .fleet
        .clusters()
        .values()
        .next()
        .expect("the demo fleet has clusters")
        .clone();
    let (old_key, mut workload) = cluster
        .workloads
        .iter()
        .next()
        .map(|(k, w)| (k.clone(), w.clone()))
        .expect("a workload");
    let key = WorkloadKey::new(&old_key.namespace, evil("WL-MARK"));
    workload.key = key.clone();
    workload.template_version = evil("VER-MARK");
    workload.running.clear();
    cluster.workloads.insert(key.clone(), workload);
    let mut pod = cluster.pods.values().next().expect("a pod").clone();
    pod.name = evil("POD-MARK");
    pod.namespace = key.namespace.clone();
    pod.workload = key.name.clone();
    pod.reason = Some(evil("PODREASON-MARK"));
    cluster
        .pods
        .insert((pod.namespace.clone(), pod.name.clone()), pod);
    if let Some(node) = cluster.nodes.values_mut().next() {
        node.name = evil("NODE-MARK");
    }
    cluster.events.push(ClusterEvent {
        at: state.now,
        kind: EventKind::Warning,
        namespace: key.namespace.clone(),
        object: format!("Pod/{}", evil("OBJ-MARK")),
        reason: evil("EVREASON-MARK"),
        message: evil("EVMSG-MARK"),
    });
    cluster.health = SourceHealth {
        status: SourceStatus::Degraded(evil("HEALTH-MARK")),
        ..cluster.health
    };
    update(
        &mut state,
        Msg::Source(SourceUpdate::Cluster(Box::new(cluster))),
    );
    let alarm = Alarm {
        name: evil("ALARMNAME-MARK"),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        state: AlarmState::Alarm,
        reason: evil("ALARM-MARK"),
        since: state.now,
        metric: evil("METRIC-MARK"),
        enabled: true,
        env: Some("prod".into()),
        service: Some(key.name.clone()),
    };
    let health = SourceHealth::live(state.now);
    update(
        &mut state,
        Msg::Source(SourceUpdate::Alarms {
            source: "hostile".into(),
            alarms: vec![alarm],
            health,
        }),
    );
    (state, key)
}

/// A writer whose bytes the test can still read once the backend owns it.
#[derive(Clone, Default)]
struct Captured(Rc<RefCell<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes crossterm writes for one frame of `state` at `width`x`height`.
fn frame_bytes(state: &State, width: u16, height: u16) -> Vec<u8> {
    let theme = theme("dark");
    let out = Captured::default();
    let backend = CrosstermBackend::new(out.clone());
    let options = TerminalOptions {
        // A fixed viewport: no size query to a real terminal.
        viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
    };
    let mut term = Terminal::with_options(backend, options).expect("terminal");
    term.draw(|f| opsdeck::ui::view(state, &theme, f))
        .expect("draw");
    drop(term);
    out.0.take()
}

/// Fails when `bytes` hold an escape sequence the renderer does not write itself, or any other
/// control character (C0, DEL, C1).
fn assert_only_renderer_sequences(bytes: &[u8], context: &str) {
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let around = || {
            let start = (0..=at.saturating_sub(40))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            let end = ((at + 40).min(text.len())..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            format!("{:?}", &text[start..end])
        };
        if c == '\x1b' {
            // The renderer writes CSI sequences only: ESC [ params final, final one of
            // H (cursor position), m (colours), h/l (cursor show/hide: `?25h`/`?25l`).
            let Some((_, '[')) = chars.next() else {
                panic!(
                    "{context}: an escape that is not a CSI at byte {at}: {}",
                    around()
                );
            };
            let mut fin = None;
            for (_, p) in chars.by_ref() {
                if p.is_ascii_digit() || p == ';' || p == ':' || p == '?' {
                    continue;
                }
                fin = Some(p);
                break;
            }
            assert!(
                matches!(fin, Some('H' | 'm' | 'h' | 'l')),
                "{context}: a CSI the renderer does not write (final {fin:?}) at byte {at}: {}",
                around()
            );
        } else {
            assert!(
                !c.is_control(),
                "{context}: a raw control character {c:?} at byte {at}: {}",
                around()
            );
        }
    }
}

fn every_view(key: &WorkloadKey) -> Vec<View> {
    vec![
        View::Overview,
        View::Services,
        View::ServiceDetail(key.clone()),
        View::Pipelines,
        View::Release(key.clone()),
        View::Alerts,
        View::Capacity,
        View::Cost,
        View::Timeline,
        View::Activity,
        View::Sources,
    ]
}

#[test]
fn control_sequences_in_cluster_and_aws_data_never_reach_the_terminal() {
    let (mut state, key) = hostile_state();
    let mut seen = String::new();
    for view in every_view(&key) {
        state.ui.stack = vec![view.clone()];
        for (w, h) in [(80, 24), (200, 50)] {
            let bytes = frame_bytes(&state, w, h);
            assert_only_renderer_sequences(&bytes, &format!("{view:?} at {w}x{h}"));
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    // The planted data was on screen (made harmless), so the check above had something to
    // catch: a pod name, an event message, an alarm reason, a workload name, a health message.
    for mark in [
        "POD-MARK",
        "EVMSG-MARK",
        "ALARM-MARK",
        "WL-MARK",
        "HEALTH-MARK",
    ] {
        assert!(
            seen.contains(mark),
            "{mark} was drawn on no screen: the test would not see its escape sequences"
        );
    }
}

#[test]
fn the_check_itself_catches_a_raw_escape() {
    // The checker must fail on what a raw pod name would write.
    let raw = format!("\x1b[1;1Hok{EVIL}");
    let caught = std::panic::catch_unwind(|| assert_only_renderer_sequences(raw.as_bytes(), "raw"));
    assert!(
        caught.is_err(),
        "a raw clear-screen and OSC passed the check"
    );
    assert_only_renderer_sequences(b"\x1b[1;1H\x1b[38;5;1mok\x1b[0m\x1b[?25l", "renderer");
}

/// What the console does on a resize: the state learns the size, then the frame is drawn.
fn resize_and_render(state: &mut State, width: u16, height: u16) {
    update(state, Msg::Resize { width, height });
    render(state, &theme("dark"), width, height);
}

#[test]
fn every_view_renders_at_every_size_from_1x1_to_500x200() {
    let (mut state, key) = hostile_state();
    let widths = [
        1, 2, 3, 7, 19, 20, 40, 59, 60, 79, 80, 81, 120, 200, 333, 500,
    ];
    let heights = [1, 2, 3, 5, 9, 14, 15, 23, 24, 25, 50, 120, 200];
    let mut views = every_view(&key);
    views.push(View::ServiceDetail(WorkloadKey::new("gone", "nothing")));
    for view in views {
        state.ui.stack = vec![view];
        for &w in &widths {
            for &h in &heights {
                resize_and_render(&mut state, w, h);
            }
        }
    }
    // The help overlay and the command palette, over a view, at the extremes.
    state.ui.stack = vec![View::Overview];
    for (overlay, close) in [('?', KeyCode::Esc), (':', KeyCode::Esc)] {
        update(&mut state, support::key(overlay));
        for (w, h) in [(1, 1), (20, 5), (80, 24), (500, 200)] {
            resize_and_render(&mut state, w, h);
        }
        update(&mut state, code(close));
    }
}

/// opsdeck starts no process itself, so nothing can shell out with a string from a cluster or
/// AWS. The only programs run are the user's credential helpers (kube exec plugins, AWS
/// `credential_process`), by the libraries, from the user's own files. A new process spawn in
/// `src/` fails this test so that it is reviewed (and this test and docs/safety.md updated).
#[test]
fn nothing_in_src_starts_a_process() {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read src/") {
            let path = entry.expect("a dir entry").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read a source file");
                for (n, line) in text.lines().enumerate() {
                    if [
                        "Command::new",
                        "process::Command",
                        "tokio::process",
                        "libc::exec",
                    ]
                    .iter()
                    .any(|p| line.contains(p))
                    {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "src/ starts processes; make sure no argument can come from a cluster or AWS:\n{}",
        found.join("\n")
    );
}
