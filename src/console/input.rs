//! Terminal input and signals, turned into messages.

use crate::app::{Msg, ShutdownReason};
use crate::clock::Clock;
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
                Some(Ok(Event::Key(k))) => Msg::Key(k),
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
