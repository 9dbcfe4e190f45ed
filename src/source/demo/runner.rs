//! The demo source as a tokio task: steps the world on a timer and publishes what changed.

use super::world::DemoWorld;
use crate::app::Msg;
use crate::clock::Clock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Requests the console can make of the demo source.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoControl {
    /// Republish everything now.
    Refresh,
}

pub struct DemoHandle {
    pub control: mpsc::Sender<DemoControl>,
    pub task: JoinHandle<()>,
}

/// Start the simulator. It stops by itself when the console's channel closes.
pub fn spawn(
    mut world: DemoWorld,
    tick: Duration,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
) -> DemoHandle {
    let (control_tx, mut control_rx) = mpsc::channel(16);
    let task = tokio::spawn(async move {
        let mut first = true;
        let mut timer = tokio::time::interval(tick);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = timer.tick() => {
                    if !first {
                        world.step(clock.now());
                    }
                }
                ctl = control_rx.recv() => match ctl {
                    Some(DemoControl::Refresh) => world.mark_all_dirty(),
                    None => {}
                },
            }
            for update in world.take_updates(first) {
                if tx.send(Msg::Source(update)).await.is_err() {
                    return;
                }
            }
            first = false;
        }
    });
    DemoHandle {
        control: control_tx,
        task,
    }
}
