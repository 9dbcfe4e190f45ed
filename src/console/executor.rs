//! Runs the effects `update` returns. Never blocks the UI task: requests are handed to the
//! sources' own tasks.

use crate::app::Effect;
use crate::source::demo::DemoControl;
use tokio::sync::mpsc;

/// A session runs for hours: keep only a short tail of effects.
const LOG_LEN: usize = 64;

#[derive(Default)]
pub struct Executor {
    pub demo: Option<mpsc::Sender<DemoControl>>,
    /// The most recent effects run (tests read this), at most `LOG_LEN`.
    pub log: Vec<Effect>,
}

impl Executor {
    pub fn run(&mut self, effect: Effect) {
        tracing::debug!(?effect, "effect");
        match &effect {
            Effect::RefreshSources => {
                if let Some(demo) = &self.demo {
                    // A full control queue already holds a refresh: dropping this one is fine.
                    let _ = demo.try_send(DemoControl::Refresh);
                }
            }
        }
        if self.log.len() >= LOG_LEN {
            self.log.remove(0);
        }
        self.log.push(effect);
    }
}
