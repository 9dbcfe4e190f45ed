//! Runs the effects `update` returns. Never blocks the UI task: requests are handed to the
//! sources' own tasks.

use crate::app::Effect;
use crate::source::demo::DemoControl;
use tokio::sync::mpsc;

#[derive(Default)]
pub struct Executor {
    pub demo: Option<mpsc::Sender<DemoControl>>,
    /// Effects run so far (tests read this).
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
        self.log.push(effect);
    }
}
