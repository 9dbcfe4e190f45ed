//! Entering and leaving the terminal's raw/alternate-screen mode, on every exit path.

use super::quiet_backend::QuietBackend;
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, Write, stdout};

pub type Term = Terminal<QuietBackend<CrosstermBackend<Stdout>>>;

pub fn enter() -> std::io::Result<Term> {
    terminal::enable_raw_mode()?;
    if let Err(e) = execute!(stdout(), terminal::EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    Terminal::new(QuietBackend::new(CrosstermBackend::new(stdout()))).inspect_err(|_| restore())
}

/// Best effort: after SIGHUP the terminal may be gone and these writes fail; that is fine.
pub fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

/// Restore the terminal and let go of ratatui's `Terminal`, on the normal exit path.
///
/// ratatui's `Drop` for `Terminal` re-shows a hidden cursor and, when that fails, reports it with
/// `eprintln!`, which *panics* if stderr is the same dead terminal (pty closed: SSH dropped, tmux
/// pane killed). That panic then reached the panic hook, whose report panicked again, and the
/// process died of SIGABRT instead of exiting cleanly (the log lost its last lines too). If the
/// cursor cannot be shown there is no terminal left to restore, so that `Drop` is skipped.
pub fn leave(mut term: Term) {
    restore();
    if term.show_cursor().is_err() {
        std::mem::forget(term);
    }
}

/// Restore the terminal before color-eyre prints a panic report, so the report is readable and
/// the user's shell is usable.
pub fn install_panic_hook() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    std::panic::set_hook(Box::new(move |info| {
        restore();
        tracing::error!(panic = %info, "panic");
        // Not `panic_hook(info)`: that uses `eprintln!`, which panics when stderr is a dead
        // terminal, and a panic inside the panic hook aborts the process. Best effort instead.
        let _ = writeln!(std::io::stderr(), "{}", panic_hook.panic_report(info));
    }));
    Ok(())
}
