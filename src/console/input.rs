//! Terminal input and signals, turned into messages.

use crate::app::key::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crate::app::{Msg, ShutdownReason};
use crate::clock::Clock;
use crossterm::event as term;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Keys and resizes from the terminal. When input ends (terminal gone) the console shuts down.
pub fn spawn_terminal_input(tx: mpsc::Sender<Msg>) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        loop {
            let msg = match events.next().await {
                Some(Ok(Event::Key(k))) => Msg::Key(key_event(k)),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "terminal input failed");
                    Msg::Shutdown(ShutdownReason::InputClosed)
                }
                None => Msg::Shutdown(ShutdownReason::InputClosed),
            };
            let last = matches!(msg, Msg::Shutdown(_));
            if tx.send(msg).await.is_err() || last {
                return;
            }
        }
    });
}

/// Ends the console when its terminal goes away without a SIGHUP reaching it (signal blocked or
/// ignored, the process moved out of the terminal's session).
///
/// crossterm's input reader cannot tell: on a hung-up tty `read` returns 0 forever and its reader
/// loops on it (100% CPU) instead of ending the stream, and a screen that does not change writes
/// nothing, so no failed write says so either. `isatty` on a hung-up tty fails (EIO), so stdout
/// stops being a terminal: one cheap syscall per check.
pub fn spawn_terminal_watch(tx: mpsc::Sender<Msg>, every: Duration) {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return;
    }
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            timer.tick().await;
            if !std::io::stdout().is_terminal() {
                tracing::info!("the terminal went away (stdout is no longer a terminal)");
                let _ = tx.send(Msg::Shutdown(ShutdownReason::InputClosed)).await;
                return;
            }
        }
    });
}

/// SIGTERM, SIGHUP (SSH session dropped) and SIGINT end the console cleanly.
pub fn spawn_signals(tx: mpsc::Sender<Msg>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("could not install signal handlers");
            return;
        };
        let reason = tokio::select! {
            _ = term.recv() => ShutdownReason::Sigterm,
            _ = hup.recv() => ShutdownReason::Sighup,
            _ = int.recv() => ShutdownReason::Sigint,
        };
        tracing::info!(?reason, "shutting down on signal");
        let _ = tx.send(Msg::Shutdown(reason)).await;
    });
}

/// The clock's tick: drives data ages and stale marks.
pub fn spawn_ticker(tx: mpsc::Sender<Msg>, clock: Arc<dyn Clock>, every: Duration) {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(every);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            timer.tick().await;
            if tx.send(Msg::Tick(clock.now())).await.is_err() {
                return;
            }
        }
    });
}

/// A terminal's key event as the reducer sees it.
pub fn key_event(k: term::KeyEvent) -> KeyEvent {
    let code = match k.code {
        term::KeyCode::Backspace => KeyCode::Backspace,
        term::KeyCode::Enter => KeyCode::Enter,
        term::KeyCode::Left => KeyCode::Left,
        term::KeyCode::Right => KeyCode::Right,
        term::KeyCode::Up => KeyCode::Up,
        term::KeyCode::Down => KeyCode::Down,
        term::KeyCode::Home => KeyCode::Home,
        term::KeyCode::End => KeyCode::End,
        term::KeyCode::PageUp => KeyCode::PageUp,
        term::KeyCode::PageDown => KeyCode::PageDown,
        term::KeyCode::Tab => KeyCode::Tab,
        term::KeyCode::BackTab => KeyCode::BackTab,
        term::KeyCode::Delete => KeyCode::Delete,
        term::KeyCode::Insert => KeyCode::Insert,
        term::KeyCode::F(n) => KeyCode::F(n),
        term::KeyCode::Char(c) => KeyCode::Char(c),
        term::KeyCode::Esc => KeyCode::Esc,
        _ => KeyCode::Other,
    };
    let mut modifiers = KeyModifiers::NONE;
    for (theirs, ours) in [
        (term::KeyModifiers::SHIFT, KeyModifiers::SHIFT),
        (term::KeyModifiers::CONTROL, KeyModifiers::CONTROL),
        (term::KeyModifiers::ALT, KeyModifiers::ALT),
        (term::KeyModifiers::SUPER, KeyModifiers::SUPER),
        (term::KeyModifiers::HYPER, KeyModifiers::HYPER),
        (term::KeyModifiers::META, KeyModifiers::META),
    ] {
        if k.modifiers.contains(theirs) {
            modifiers |= ours;
        }
    }
    let kind = match k.kind {
        term::KeyEventKind::Press => KeyEventKind::Press,
        term::KeyEventKind::Repeat => KeyEventKind::Repeat,
        term::KeyEventKind::Release => KeyEventKind::Release,
    };
    KeyEvent::new_with_kind(code, modifiers, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_keys_become_the_reducers_keys() {
        let k = key_event(term::KeyEvent::new_with_kind(
            term::KeyCode::Char('r'),
            term::KeyModifiers::CONTROL | term::KeyModifiers::SHIFT,
            term::KeyEventKind::Release,
        ));
        assert_eq!(
            k,
            KeyEvent::new_with_kind(
                KeyCode::Char('r'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
                KeyEventKind::Release
            )
        );
        let f = key_event(term::KeyEvent::new(
            term::KeyCode::F(5),
            term::KeyModifiers::ALT,
        ));
        assert_eq!(f, KeyEvent::new(KeyCode::F(5), KeyModifiers::ALT));
        let lock = key_event(term::KeyEvent::new(
            term::KeyCode::CapsLock,
            term::KeyModifiers::NONE,
        ));
        assert_eq!(lock.code, KeyCode::Other);
    }
}
