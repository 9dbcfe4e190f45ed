//! Terminal restoration, end to end: the real `opsdeck` binary in a real pty, driven by tmux.
//!
//! Each test starts a private tmux server (`tmux -L <unique socket>`, killed on drop, also when
//! the test fails) with one 80x24 session whose pane runs a small `sh` wrapper:
//!
//! ```sh
//! stty -a > BEFORE                       # terminal modes before opsdeck
//! sh -c 'echo $$ > PID; exec opsdeck …'  # PID is opsdeck's own pid (exec keeps it)
//! echo "EXIT:$?"                         # on the normal screen, after opsdeck left
//! stty -a > AFTER                        # terminal modes after opsdeck
//! exec sleep 600                         # keep the pane (and its screen) for inspection
//! ```
//!
//! opsdeck stays in the pane's foreground process group (no `&`), exactly as when a user runs it.
//! Everything opsdeck writes (logs) goes under a temp `OPSDECK_HOME`.
//!
//! tmux is required: without it these tests fail (never skip) with a message saying so.

#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const OPSDECK: &str = env!("CARGO_BIN_EXE_opsdeck");
const WIDTH: u16 = 80;
const HEIGHT: u16 = 24;
/// Generous bounds: the machine running the tests may be small and busy.
const FIRST_FRAME: Duration = Duration::from_secs(10);
const EXIT: Duration = Duration::from_secs(10);
/// How long opsdeck may take to be gone after a signal or a hang-up.
const GONE: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(50);

/// How the pane's wrapper behaves when the terminal itself goes away.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wrapper {
    /// The normal case: report `EXIT:` and `stty` on the terminal, then keep the pane open.
    Normal,
    /// The pane will be killed: the wrapper shell survives the hang-up (a trap, which `exec`
    /// resets to the default for opsdeck, so opsdeck sees the real thing), records opsdeck's
    /// exit status in a file and ends.
    SurviveHangup,
    /// As `SurviveHangup`, and opsdeck starts with SIGHUP blocked (a signal mask survives `exec`;
    /// python3 sets it, the harness already needs python3): the terminal goes away and no
    /// signal says so.
    HangupBlocked,
}

/// A private tmux server with one session running opsdeck through the wrapper.
struct Harness {
    socket: String,
    dir: tempfile::TempDir,
}

impl Harness {
    /// Start the session; `args` are opsdeck's extra arguments.
    fn start(name: &str, args: &[&str], wrapper: Wrapper) -> Harness {
        require_tmux();
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "opsdeck-test-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let dir = tempfile::Builder::new()
            .prefix("opsdeck-term-")
            .tempdir()
            .expect("create temp dir");
        let harness = Harness { socket, dir };
        let script = harness.path("wrapper.sh");
        fs::write(&script, harness.wrapper_script(args, wrapper)).expect("write wrapper");
        let out = harness.tmux(&[
            "new-session",
            "-d",
            "-s",
            "opsdeck",
            "-x",
            &WIDTH.to_string(),
            "-y",
            &HEIGHT.to_string(),
            &format!("sh {}", quote(&script)),
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        harness
    }

    fn wrapper_script(&self, args: &[&str], wrapper: Wrapper) -> String {
        let home = self.path("home");
        let mut opsdeck = vec![
            "env".to_string(),
            "-u".into(),
            "OPSDECK_CONFIG".into(),
            format!("OPSDECK_HOME={}", quote(&home)),
            // A short report (no backtrace), so it fits on the 24-line screen.
            "RUST_BACKTRACE=0".into(),
            "RUST_LIB_BACKTRACE=0".into(),
            quote(Path::new(OPSDECK)),
        ];
        // The demo fleet unless the test brings its own config.
        if !args.contains(&"--config") {
            opsdeck.extend(["--demo".into(), "--seed".into(), "1".into()]);
        }
        opsdeck.extend(args.iter().map(|a| quote(Path::new(a))));
        if wrapper == Wrapper::HangupBlocked {
            let block = "import os, signal, sys; \
                         signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGHUP]); \
                         os.execvp(sys.argv[1], sys.argv[1:])";
            opsdeck.splice(
                0..0,
                ["python3".to_string(), "-c".into(), format!("'{block}'")],
            );
        }
        let opsdeck = opsdeck.join(" ");
        let dir = quote(self.dir.path());
        // PID is written via a temp file + rename so a reader never sees it half-written; the
        // inner `sh` then `exec`s opsdeck, which keeps that pid and the terminal's foreground.
        let run = format!(
            "sh -c 'echo $$ > PID.tmp && mv PID.tmp PID && exec \"$@\"' sh {opsdeck}\n\
             status=$?\n"
        );
        match wrapper {
            Wrapper::Normal => format!(
                "cd {dir} || exit 1\n\
                 stty -a > BEFORE\n\
                 {run}\
                 echo \"EXIT:$status\"\n\
                 stty -a > AFTER.tmp; mv AFTER.tmp AFTER\n\
                 exec sleep 600\n"
            ),
            Wrapper::SurviveHangup | Wrapper::HangupBlocked => format!(
                "cd {dir} || exit 1\n\
                 trap : HUP\n\
                 {run}\
                 echo \"$status\" > STATUS.tmp; mv STATUS.tmp STATUS\n"
            ),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            // Running the tests from inside tmux must not matter.
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    /// The visible screen of the pane.
    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", "opsdeck"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane's normal screen including its scrollback, wrapped lines joined.
    fn screen_with_history(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "opsdeck"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format evaluated for the pane, e.g. `#{alternate_on}`.
    fn format(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "opsdeck", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn log(&self) -> String {
        fs::read_to_string(self.path("home/data/opsdeck.log")).unwrap_or_default()
    }

    /// Poll `cond` until it holds; on timeout fail with `what` and the current screen.
    fn wait_until(&self, what: &str, timeout: Duration, mut cond: impl FnMut(&Harness) -> bool) {
        let start = Instant::now();
        loop {
            if cond(self) {
                return;
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}\n{}",
                    self.context()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// The screen and the log, for failure messages.
    fn context(&self) -> String {
        format!(
            "--- screen (80x24) ---\n{}\n--- opsdeck.log ---\n{}",
            self.screen(),
            self.log()
        )
    }

    /// Wait for the console's first frame; returns opsdeck's pid.
    fn wait_first_frame(&self) -> u32 {
        // The log line covers a frame drawn and gone between two polls on a very busy machine.
        self.wait_until(
            "the console's first frame (\"Overview\")",
            FIRST_FRAME,
            |h| h.screen().contains("Overview") || h.log().contains("first frame drawn"),
        );
        self.pid()
    }

    fn pid(&self) -> u32 {
        let mut pid = None;
        self.wait_until("the PID file", FIRST_FRAME, |h| {
            pid = fs::read_to_string(h.path("PID"))
                .ok()
                .and_then(|s| s.trim().parse().ok());
            pid.is_some()
        });
        pid.unwrap()
    }

    /// Wait for the wrapper's `EXIT:<code>` line and return the code.
    fn wait_exit(&self) -> i32 {
        let mut code = None;
        self.wait_until("opsdeck to exit (\"EXIT:\")", EXIT, |h| {
            code = h
                .screen()
                .lines()
                .find_map(|l| l.trim().strip_prefix("EXIT:")?.trim().parse().ok());
            code.is_some()
        });
        code.unwrap()
    }

    fn wait_gone(&self, pid: u32, after: &str) {
        self.wait_until(
            &format!("opsdeck (pid {pid}) to be gone after {after}"),
            GONE,
            |_| !alive(pid),
        );
    }

    /// The alternate screen is off, the cursor visible and the tty modes as before opsdeck.
    fn assert_restored(&self) {
        self.wait_until("the wrapper's `stty -a` after opsdeck", EXIT, |h| {
            h.path("AFTER").exists()
        });
        assert_eq!(
            self.format("#{alternate_on}"),
            "0",
            "the alternate screen is still on\n{}",
            self.context()
        );
        // `cursor_flag` exists since tmux 2.x; an empty answer means a tmux too old to check with.
        let cursor = self.format("#{cursor_flag}");
        assert!(
            !cursor.is_empty(),
            "this tmux does not report #{{cursor_flag}}; install a tmux >= 3 to run these tests"
        );
        assert_eq!(
            cursor,
            "1",
            "the cursor is still hidden\n{}",
            self.context()
        );
        let before = fs::read_to_string(self.path("BEFORE")).expect("read BEFORE");
        let after = fs::read_to_string(self.path("AFTER")).expect("read AFTER");
        for flag in ["icanon", "echo"] {
            assert!(
                has_flag(&before, flag),
                "the pane's tty should start with {flag} set:\n{before}"
            );
            assert!(
                has_flag(&after, flag),
                "raw mode was not left: `{flag}` is off after opsdeck\n--- before ---\n{before}\n--- after ---\n{after}"
            );
        }
        assert_eq!(
            before, after,
            "the terminal modes after opsdeck differ from before"
        );
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        // Ends the pane (and with it opsdeck, if a test failed while it was running).
        let _ = self.tmux(&["kill-server"]);
    }
}

fn require_tmux() {
    match Command::new("tmux").arg("-V").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`tmux -V` failed ({}): the terminal-restore tests need a working tmux; install tmux (e.g. `apt-get install tmux`)",
            out.status
        ),
        Err(e) => panic!(
            "cannot run tmux ({e}): the terminal-restore tests need tmux; install tmux (e.g. `apt-get install tmux`)"
        ),
    }
}

/// Single-quote for `sh`.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// Whether `stty -a` output has `flag` set (the token `flag`, not `-flag`).
fn has_flag(stty: &str, flag: &str) -> bool {
    stty.split(|c: char| c.is_whitespace() || c == ';')
        .any(|t| t == flag)
}

/// A zombie (exited, not yet reaped by its parent) counts as gone.
fn alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_none_or(|(_, rest)| !rest.starts_with('Z')),
        Err(_) if Path::new("/proc/self/stat").exists() => false,
        // No procfs: ask kill(1).
        Err(_) => Command::new("kill")
            .args(["-0", &pid.to_string()])
            .output()
            .is_ok_and(|o| o.status.success()),
    }
}

fn send_signal(pid: u32, signal: &str) {
    let out = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .output()
        .expect("run kill");
    assert!(
        out.status.success(),
        "kill -{signal} {pid} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn panic_restores_terminal_and_shows_report() {
    let h = Harness::start(
        "panic",
        &["--debug-panic-after-ms", "1500"],
        Wrapper::Normal,
    );
    h.wait_first_frame();
    let code = h.wait_exit();
    assert_eq!(code, 101, "a panic exits with 101\n{}", h.context());
    h.assert_restored();
    // The report was printed after the alternate screen was left, so it is on the normal screen.
    let screen = h.screen_with_history();
    assert!(
        screen.contains("debug panic"),
        "the panic report is not on the normal screen\n--- screen with history ---\n{screen}"
    );
    // Printed after raw mode was left: lines start at column 0 (no staircase).
    let report = screen
        .lines()
        .find(|l| l.contains("debug panic"))
        .unwrap_or_default();
    assert!(
        report.starts_with("Message:"),
        "the panic report looks garbled: {report:?}\n{screen}"
    );
}

fn signal_case(name: &str, signal: &str) {
    let h = Harness::start(name, &[], Wrapper::Normal);
    let pid = h.wait_first_frame();
    send_signal(pid, signal);
    h.wait_gone(pid, &format!("SIG{signal}"));
    let code = h.wait_exit();
    assert_eq!(code, 0, "SIG{signal} is a clean shutdown\n{}", h.context());
    h.assert_restored();
}

#[test]
fn sighup_restores_terminal() {
    signal_case("hup", "HUP");
}

#[test]
fn sigterm_restores_terminal() {
    signal_case("term", "TERM");
}

#[test]
fn killed_pane_leaves_no_orphan() {
    // The real-world hang-up: the pty goes away (SSH dropped, tmux pane killed) and the kernel
    // sends SIGHUP. Every write to the terminal now fails; opsdeck must still exit, and cleanly.
    killed_pane_case("killed-pane", &[], Wrapper::SurviveHangup);
}

#[test]
fn a_lost_terminal_ends_the_process_even_without_sighup() {
    // k9s #1194: a console that missed the hang-up lived on as an orphan, its input reader
    // spinning on the dead tty. With SIGHUP blocked, opsdeck must notice the terminal itself.
    // A fleet with no clusters: the screen never changes, so no failing write gives the lost
    // terminal away either (without `console::input::spawn_terminal_watch` opsdeck lived on
    // here, its input thread at 100% CPU).
    let files = tempfile::tempdir().expect("temp dir");
    let config = files.path().join("opsdeck.toml");
    fs::write(
        &config,
        "regions = [\"eu-west-1\"]\n[fleet]\nname = \"still\"\n[[environments]]\nname = \"prod\"\n",
    )
    .expect("write config");
    let config = config.display().to_string();
    killed_pane_case(
        "hup-blocked",
        &["--config", &config],
        Wrapper::HangupBlocked,
    );
}

fn killed_pane_case(name: &str, args: &[&str], wrapper: Wrapper) {
    let h = Harness::start(name, args, wrapper);
    let pid = h.wait_first_frame();
    let out = h.tmux(&["kill-session", "-t", "opsdeck"]);
    assert!(
        out.status.success(),
        "tmux kill-session failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = Instant::now();
    while alive(pid) {
        assert!(
            start.elapsed() < GONE,
            "opsdeck (pid {pid}) is still running {GONE:?} after its pane was killed\n--- opsdeck.log ---\n{}",
            h.log()
        );
        std::thread::sleep(POLL);
    }
    let status_file = h.path("STATUS");
    while !status_file.exists() {
        assert!(
            start.elapsed() < EXIT,
            "the wrapper did not record opsdeck's exit status\n--- opsdeck.log ---\n{}",
            h.log()
        );
        std::thread::sleep(POLL);
    }
    let status = fs::read_to_string(&status_file).unwrap_or_default();
    // Depending on which comes first, the SIGHUP (a clean shutdown, 0) or a failed draw on the
    // dead terminal (an I/O error, 1), opsdeck exits with 0 or 1. Anything else is a crash:
    // 134 (128 + SIGABRT) was a panic while printing to the dead terminal, inside the panic hook.
    assert!(
        matches!(status.trim(), "0" | "1"),
        "opsdeck did not exit in an orderly way after the hang-up: status {:?} (128+N means killed by signal N)\n--- opsdeck.log ---\n{}",
        status.trim(),
        h.log()
    );
    let log = h.log();
    assert!(
        log.contains("console stopped"),
        "the log does not show an orderly shutdown after the hang-up\n{log}"
    );
    if wrapper == Wrapper::HangupBlocked {
        assert!(
            !log.contains("shutting down on signal"),
            "SIGHUP was meant to be blocked, yet it arrived: this test proves nothing\n{log}"
        );
        assert!(
            log.contains("stdout is no longer a terminal"),
            "the log does not say the terminal went away\n{log}"
        );
    }
}

/// A secret planted in the kubeconfig (a bearer token, sent on every request) is nowhere in a
/// panic's output: the report on the screen (scrollback included) and the log at trace level.
#[test]
fn a_panic_report_holds_no_secret() {
    const SECRET: &str = "opsdeck-planted-panic-secret-51c0";
    let files = tempfile::tempdir().expect("temp dir");
    // A port that was free a moment ago: the cluster is unreachable, the token is still used.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let kubeconfig = files.path().join("kubeconfig");
    fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{token: {SECRET}}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\n"
        ),
    )
    .expect("write kubeconfig");
    let config = files.path().join("opsdeck.toml");
    fs::write(
        &config,
        format!(
            "regions = [\"eu-west-1\"]\n[fleet]\nname = \"t\"\n[logging]\nlevel = \"trace\"\n[[environments]]\nname = \"prod\"\n[[environments.clusters]]\nname = \"c\"\nregion = \"eu-west-1\"\nkubeconfig = {:?}\ncontext = \"c\"\n",
            kubeconfig.display().to_string()
        ),
    )
    .expect("write config");
    let config = config.display().to_string();
    let h = Harness::start(
        "panic-secret",
        &["--config", &config, "--debug-panic-after-ms", "2500"],
        Wrapper::Normal,
    );
    h.wait_first_frame();
    let code = h.wait_exit();
    assert_eq!(code, 101, "a panic exits with 101\n{}", h.context());
    let screen = h.screen_with_history();
    assert!(screen.contains("debug panic"), "no panic report:\n{screen}");
    let log = h.log();
    assert!(log.contains("panic"), "the panic is not in the log:\n{log}");
    assert!(
        log.contains("127.0.0.1"),
        "the log does not show the cluster was tried: the test would prove nothing\n{log}"
    );
    for (what, text) in [("the screen", &screen), ("the log", &log)] {
        assert!(!text.contains(SECRET), "the secret is in {what}:\n{text}");
    }
}

#[test]
fn quit_key_restores_terminal() {
    let h = Harness::start("quit", &[], Wrapper::Normal);
    let pid = h.wait_first_frame();
    let out = h.tmux(&["send-keys", "-t", "opsdeck", "q"]);
    assert!(out.status.success(), "tmux send-keys failed");
    let code = h.wait_exit();
    assert_eq!(code, 0, "`q` quits cleanly\n{}", h.context());
    h.wait_gone(pid, "`q`");
    h.assert_restored();
}
