//! The UI task: receive messages, reduce, run effects, draw when dirty at a capped rate.
//! Generic over the ratatui backend so tests drive the real loop on a `TestBackend`.

use super::executor::Executor;
use crate::app::{Msg, State, update};
use crate::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Messages handled before a frame is drawn, so a burst of updates costs one frame.
const MAX_BATCH: usize = 4096;

#[derive(Debug, Clone)]
pub struct LoopOptions {
    pub max_fps: u32,
    /// Debug aid for the terminal-restore tests: panic in the UI task after this long.
    pub panic_after: Option<Duration>,
    /// Notified once the first frame is drawn (sources that must not run before it wait).
    pub first_frame: Option<std::sync::Arc<tokio::sync::Notify>>,
    /// Told which service instances the screen shows after each frame (the metrics
    /// collectors fetch those), when a configured fleet has metrics sources.
    pub metric_targets: Option<tokio::sync::watch::Sender<crate::source::aws::metrics::Watched>>,
}

impl Default for LoopOptions {
    fn default() -> Self {
        LoopOptions {
            max_fps: 30,
            panic_after: None,
            first_frame: None,
            metric_targets: None,
        }
    }
}

/// What happened in a run, for tests and the log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoopStats {
    pub frames: u64,
    pub messages: u64,
}

/// Run until the state asks to quit or every sender is gone. Returns the final state.
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    mut state: State,
    theme: &Theme,
    mut rx: mpsc::Receiver<Msg>,
    executor: &mut Executor,
    options: LoopOptions,
    stats: &mut LoopStats,
) -> std::io::Result<State> {
    let frame_interval = Duration::from_secs(1) / options.max_fps.clamp(1, 240);
    let panic_at = options.panic_after.map(|d| Instant::now() + d);
    let started = Instant::now();
    let mut last_draw = Instant::now() - frame_interval;
    loop {
        if state.dirty && last_draw.elapsed() >= frame_interval {
            let size = terminal
                .size()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            if (size.width, size.height) != (state.ui.width, state.ui.height) {
                update(
                    &mut state,
                    Msg::Resize {
                        width: size.width,
                        height: size.height,
                    },
                );
            }
            if let Err(e) = terminal.draw(|f| crate::ui::view(&state, theme, f)) {
                // The terminal is gone (SSH dropped, pane killed): that ends the session, cleanly.
                tracing::info!(error = %e, "cannot draw; the terminal went away");
                break;
            }
            if stats.frames == 0 {
                tracing::info!(
                    elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
                    "first frame drawn"
                );
                if let Some(n) = &options.first_frame {
                    n.notify_one();
                }
            }
            stats.frames += 1;
            state.dirty = false;
            if let Some(targets) = &options.metric_targets {
                let now = crate::app::metric_targets(&state);
                targets.send_if_modified(|old| {
                    let changed = *old != now;
                    if changed {
                        *old = now;
                    }
                    changed
                });
            }
            // Until the first data arrives the screen only says "waiting": such a frame does not
            // start the frame-rate cap, so the fleet appears the moment it is there.
            last_draw = if state.fleet.layout().envs.is_empty() {
                Instant::now() - frame_interval
            } else {
                Instant::now()
            };
        }
        let next_frame = last_draw + frame_interval;
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => Some(m),
                None => break,
            },
            _ = tokio::time::sleep_until(next_frame), if state.dirty => None,
            _ = tokio::time::sleep_until(panic_at.unwrap_or(next_frame)), if panic_at.is_some() => {
                panic!("debug panic requested with --debug-panic-after-ms");
            }
        };
        if let Some(first) = msg {
            let mut batch = 0;
            let mut next = Some(first);
            let mut typed = false;
            while let Some(m) = next {
                stats.messages += 1;
                typed |= matches!(m, Msg::Key(_));
                for effect in update(&mut state, m) {
                    executor.run(effect);
                }
                batch += 1;
                next = if batch < MAX_BATCH {
                    rx.try_recv().ok()
                } else {
                    None
                };
            }
            // The frame cap is for bursts of source updates; a key's answer is drawn at once
            // (a key right after a data frame waited up to a frame interval: p99 key-to-frame
            // 35 ms at 30 fps). A flood of keys still costs one frame per batch.
            if typed {
                last_draw = Instant::now() - frame_interval;
            }
        }
        if state.should_quit {
            break;
        }
    }
    Ok(state)
}
