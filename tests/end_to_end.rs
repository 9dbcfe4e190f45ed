//! The real event loop, driven headless on ratatui's TestBackend with scripted keys, fed by the
//! real demo source task on a manual clock.

mod support;

use opsdeck::app::key::KeyCode;
use opsdeck::app::{Effect, Msg, State, View};
use opsdeck::clock::{Clock, ManualClock};
use opsdeck::console::quiet_backend::QuietBackend;
use opsdeck::console::{ConsoleOptions, Executor, Fleet, LoopOptions, LoopStats, Wired, run, wire};
use opsdeck::domain::WorkloadKey;
use opsdeck::source::demo;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, TestBackend, WindowSize};
use ratatui::layout::{Position, Size};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::sync::{mpsc, watch};

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
    let refresh = Msg::Key(opsdeck::app::key::KeyEvent::new(
        KeyCode::Char('r'),
        opsdeck::app::key::KeyModifiers::CONTROL,
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

/// A `TestBackend` that publishes its screen after every frame, so a test can wait for what a
/// console shows while its loop runs in another task.
struct PublishedBackend {
    inner: TestBackend,
    screen: watch::Sender<String>,
}

impl Backend for PublishedBackend {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.inner.draw(content)
    }
    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.inner.append_lines(n)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        self.screen.send_replace(buffer_text(self.inner.buffer()));
        Ok(())
    }
}

/// One whole console: its own channel, demo source, clock ticks and executor
/// (`console::wire`), its own terminal, the real loop in its own task.
struct SideBySide {
    keys: mpsc::Sender<Msg>,
    clock: Arc<ManualClock>,
    screen: watch::Receiver<String>,
    task: tokio::task::JoinHandle<(State, LoopStats)>,
}

impl SideBySide {
    async fn start(seed: u64) -> SideBySide {
        let clock = Arc::new(ManualClock::new(t0()));
        let mut opts = ConsoleOptions {
            fleet: Fleet::Demo {
                seed,
                tick: Duration::from_millis(20),
            },
            theme: theme("dark"),
            keymap: opsdeck::keymap::Keymap::default(),
            settings: settings(),
            loop_options: LoopOptions::default(),
            audit_log: None,
            read_only_envs: Default::default(),
            cache_dir: None,
        };
        let Wired {
            tx,
            rx,
            mut executor,
        } = wire(&mut opts, clock.clone()).await.unwrap();
        let (published, screen) = watch::channel(String::new());
        let now = clock.now();
        let task = tokio::spawn(async move {
            let backend = PublishedBackend {
                inner: TestBackend::new(120, 30),
                screen: published,
            };
            let mut term = Terminal::new(backend).unwrap();
            let state = State::new(opts.keymap, opts.settings, now);
            let mut stats = LoopStats::default();
            let state = run(
                &mut term,
                state,
                &opts.theme,
                rx,
                &mut executor,
                opts.loop_options,
                &mut stats,
            )
            .await
            .unwrap();
            (state, stats)
        });
        SideBySide {
            keys: tx,
            clock,
            screen,
            task,
        }
    }

    async fn press(&self, c: char) {
        self.keys.send(key(c)).await.unwrap();
    }

    /// Wait (at most 10 s) until the screen shows what `shows` asks for; fail with the screen.
    async fn wait_until(&mut self, what: &str, shows: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.screen.borrow_and_update().clone();
            if shows(&now) {
                return now;
            }
            match tokio::time::timeout_at(deadline, self.screen.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => panic!("the console stopped before showing {what}:\n{now}"),
                Err(_) => panic!("no frame shows {what} within 10 s; the last one:\n{now}"),
            }
        }
    }

    fn showing_now(&self) -> String {
        self.screen.borrow().clone()
    }
}

fn on_overview(s: &str) -> bool {
    s.contains("svc ") && !s.contains("┌ Services") && !s.contains("┌ Pipelines")
}

/// Two consoles in one process, each with everything of its own (channel, demo source, clock,
/// executor, terminal) run by the real loop side by side: there is no global state between
/// them. Keys reach only their own console, each moves on by itself, one quitting leaves the
/// other running, and each ends with its own state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_run_side_by_side_in_one_process() {
    let mut a = SideBySide::start(1).await;
    let mut b = SideBySide::start(2).await;
    a.wait_until("A's fleet", on_overview).await;
    b.wait_until("B's fleet", on_overview).await;

    a.press('2').await;
    a.wait_until("A's services", |s| s.contains("┌ Services"))
        .await;
    b.press('3').await;
    b.wait_until("B's pipelines", |s| s.contains("┌ Pipelines"))
        .await;
    assert!(
        a.showing_now().contains("┌ Services"),
        "B's key moved A:\n{}",
        a.showing_now()
    );

    // A quits; B goes on: its source keeps stepping its world and its loop keeps drawing.
    a.press('q').await;
    let (a_state, a_stats) = tokio::time::timeout(Duration::from_secs(10), a.task)
        .await
        .expect("A did not stop within 10 s of `q`")
        .unwrap();
    b.press('7').await;
    let before = b
        .wait_until("B's timeline", |s| s.contains("┌ Timeline"))
        .await;
    b.clock.advance(jiff::SignedDuration::from_mins(30));
    b.wait_until("B's timeline after 30 simulated minutes", |s| s != before)
        .await;
    b.press('q').await;
    let (b_state, b_stats) = tokio::time::timeout(Duration::from_secs(10), b.task)
        .await
        .expect("B did not stop within 10 s of `q`")
        .unwrap();

    assert_eq!(*a_state.view(), View::Services);
    assert_eq!(*b_state.view(), View::Timeline);
    assert_ne!(a_state.fleet, b_state.fleet, "two seeds, two fleets");
    assert_eq!(a.clock.now(), t0(), "B's clock moved A's");
    assert!(
        b_stats.messages > a_stats.messages && a_stats.frames > 2 && b_stats.frames > 3,
        "A {a_stats:?}, B {b_stats:?}"
    );
}
