//! The real event loop, driven headless on ratatui's TestBackend with scripted keys, fed by the
//! real demo source task on a manual clock.

mod support;

use crossterm::event::KeyCode;
use opsdeck::app::{Effect, Msg, State, View};
use opsdeck::clock::ManualClock;
use opsdeck::console::quiet_backend::QuietBackend;
use opsdeck::console::{Executor, LoopOptions, LoopStats, run};
use opsdeck::domain::WorkloadKey;
use opsdeck::source::demo;
use ratatui::Terminal;
use ratatui::backend::{CrosstermBackend, TestBackend};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::mpsc;

/// Run the loop over `msgs` until they are consumed, then draw the resulting state.
async fn drive(
    term: &mut Terminal<TestBackend>,
    state: State,
    msgs: Vec<Msg>,
    exec: &mut Executor,
) -> (State, LoopStats) {
    let (tx, rx) = mpsc::channel(4096);
    for m in msgs {
        tx.send(m).await.unwrap();
    }
    drop(tx);
    let theme = theme("dark");
    let mut stats = LoopStats::default();
    let state = run(
        term,
        state,
        &theme,
        rx,
        exec,
        LoopOptions::default(),
        &mut stats,
    )
    .await
    .unwrap();
    term.draw(|f| opsdeck::ui::view(&state, &theme, f)).unwrap();
    (state, stats)
}

fn screen(term: &Terminal<TestBackend>) -> String {
    buffer_text(term.backend().buffer())
}

#[tokio::test]
async fn scripted_session_through_every_screen() {
    let clock = Arc::new(ManualClock::new(t0()));
    let (tx, mut rx) = mpsc::channel(4096);
    let handle = demo::spawn(
        demo::DemoWorld::generate(SEED, t0()),
        Duration::from_millis(20),
        clock.clone(),
        tx,
    );
    // Collect the source's first publication and a few live steps.
    let mut from_source = Vec::new();
    while from_source.len() < 12 {
        clock.advance(jiff::SignedDuration::from_secs(1));
        from_source.push(rx.recv().await.unwrap());
    }
    let mut exec = Executor {
        demo: Some(handle.control.clone()),
        ..Executor::default()
    };
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let state = State::new(opsdeck::keymap::Keymap::default(), settings(), t0());

    let (state, _) = drive(&mut term, state, from_source, &mut exec).await;
    let s = screen(&term);
    assert!(
        s.contains("PROD") && s.contains("prod-euw1") && s.contains("gate"),
        "{s}"
    );

    // Filter services, drill into one, look at the gated instance, go back.
    let mut msgs = vec![key('/')];
    msgs.extend("checkout".chars().map(key));
    msgs.extend([code(KeyCode::Enter), code(KeyCode::Enter)]);
    let (state, _) = drive(&mut term, state, msgs, &mut exec).await;
    assert_eq!(
        *state.view(),
        View::ServiceDetail(WorkloadKey::new("payments", "checkout-api"))
    );
    let s = screen(&term);
    assert!(
        s.contains("payments/checkout-api") && s.contains("Pods in dev-use1"),
        "{s}"
    );
    let (state, _) = drive(
        &mut term,
        state,
        vec![key('j'), key('j'), key('j'), key('j')],
        &mut exec,
    )
    .await;
    let s = screen(&term);
    assert!(
        s.contains("Pods in prod-euw1") && s.contains("⏸ 1/2"),
        "{s}"
    );

    let (state, _) = drive(
        &mut term,
        state,
        vec![code(KeyCode::Esc), code(KeyCode::Esc)],
        &mut exec,
    )
    .await;
    assert_eq!(*state.view(), View::Services);
    assert_eq!(state.ui.lists.services.filter, "");

    // Palette to the overview, help, refresh, quit.
    let mut msgs = vec![key(':')];
    msgs.extend("ov".chars().map(key));
    msgs.push(code(KeyCode::Enter));
    msgs.push(key('?'));
    let (state, _) = drive(&mut term, state, msgs, &mut exec).await;
    assert_eq!(*state.view(), View::Overview);
    assert!(screen(&term).contains("Show this help"));
    let refresh = Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('r'),
        crossterm::event::KeyModifiers::CONTROL,
    ));
    let (state, _) = drive(
        &mut term,
        state,
        vec![code(KeyCode::Esc), refresh, key('q')],
        &mut exec,
    )
    .await;
    assert!(state.should_quit);
    assert_eq!(exec.log, vec![Effect::RefreshSources]);
    // The refresh reached the simulator: it republishes every cluster.
    let mut clusters = 0;
    while let Ok(Some(Msg::Source(u))) =
        tokio::time::timeout(Duration::from_secs(2), rx.recv()).await
    {
        if matches!(u, opsdeck::domain::SourceUpdate::Cluster(_)) {
            clusters += 1;
        }
        if clusters >= 6 {
            break;
        }
    }
    assert!(clusters >= 6, "refresh republished all clusters");
    handle.task.abort();
}

/// Tab through every top-level view with the real loop, press enter, move, enter and esc on
/// each, at 80x24 and at a too-small 40x10: every view is reached, nothing panics, and at 80x24
/// each view draws its own screen.
#[tokio::test]
async fn headless_navigation_through_every_screen() {
    for (w, h) in [(80u16, 24u16), (40, 10)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut exec = Executor::default();
        let mut state = state_following_fleet(120);
        state.dirty = true;
        let mut visited = Vec::new();
        for _ in 0..opsdeck::app::TOP_VIEWS.len() {
            let view = state.view().clone();
            visited.push(view.clone());
            let msgs = vec![
                Msg::Resize {
                    width: w,
                    height: h,
                },
                code(KeyCode::Enter),
                key('j'),
                key('s'),
                code(KeyCode::Enter),
                key('G'),
                code(KeyCode::Esc),
                code(KeyCode::Esc),
            ];
            let (s, _) = drive(&mut term, state, msgs, &mut exec).await;
            let text = screen(&term);
            if w >= 80 {
                assert!(
                    text.lines().next().unwrap().contains(view.title()),
                    "{w}x{h} {view:?}:\n{text}"
                );
                assert!(
                    text.lines().count() == h as usize && text.len() > 500,
                    "{text}"
                );
            } else {
                assert!(text.contains("needs at least"), "{text}");
            }
            // Back at the top of the view's stack, then on to the next view.
            assert_eq!(s.ui.stack.len(), 1, "{w}x{h} {view:?}: {:?}", s.ui.stack);
            let (s, _) = drive(&mut term, s, vec![code(KeyCode::Tab)], &mut exec).await;
            state = s;
        }
        assert_eq!(visited, opsdeck::app::TOP_VIEWS.to_vec());
        assert_eq!(*state.view(), View::Overview, "tab came round");
    }
}

#[tokio::test]
async fn a_burst_of_messages_costs_one_frame() {
    let mut w = world(0);
    let mut msgs: Vec<Msg> = w.take_updates(true).into_iter().map(Msg::Source).collect();
    for i in 0..500 {
        msgs.push(Msg::Tick(t0() + jiff::SignedDuration::from_millis(i)));
    }
    let sent = msgs.len() as u64;
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let state = State::new(opsdeck::keymap::Keymap::default(), settings(), t0());
    let (_, stats) = drive(&mut term, state, msgs, &mut Executor::default()).await;
    assert!(stats.frames <= 2, "frames drawn: {}", stats.frames);
    assert_eq!(stats.messages, sent);
}

/// Nothing changes on screen: not one byte goes to the terminal.
#[test]
fn an_unchanged_screen_writes_nothing() {
    let state = state_with_fleet(10);
    let theme = theme("dark");
    let written = Rc::new(Cell::new(0usize));
    let backend = QuietBackend::new(CrosstermBackend::new(Counting(written.clone())));
    let opts = ratatui::TerminalOptions {
        viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 120, 40)),
    };
    let mut term = Terminal::with_options(backend, opts).unwrap();
    term.draw(|f| opsdeck::ui::view(&state, &theme, f)).unwrap();
    let first = written.get();
    assert!(first > 1000, "first frame wrote {first} bytes");
    term.draw(|f| opsdeck::ui::view(&state, &theme, f)).unwrap();
    let second = written.get() - first;
    assert_eq!(second, 0, "an identical frame wrote {second} bytes");
    // A change is still written, and only the change.
    let mut changed = state.clone();
    opsdeck::app::update(&mut changed, support::key('l'));
    term.draw(|f| opsdeck::ui::view(&changed, &theme, f))
        .unwrap();
    let third = written.get() - first;
    assert!(
        third > 0 && third < first / 4,
        "moving the selection wrote {third} bytes"
    );
}

struct Counting(Rc<Cell<usize>>);

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
