//! The demo source as a tokio task: steps the world on a timer and publishes what changed.

use super::world::DemoWorld;
use crate::app::Msg;
use crate::clock::Clock;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Requests the console can make of the demo source.
#[derive(Debug)]
pub enum DemoControl {
    /// Republish everything now.
    Refresh,
    /// Carry out an action on the simulated clusters.
    Perform {
        request: Box<crate::actions::ActionRequest>,
        reply: crate::source::Reply,
    },
}

pub struct DemoHandle {
    pub control: mpsc::Sender<DemoControl>,
    pub task: JoinHandle<()>,
}

/// Start the simulator. It stops by itself when the console's channel closes.
pub fn spawn(
    world: DemoWorld,
    tick: Duration,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
) -> DemoHandle {
    let (control_tx, control_rx) = mpsc::channel(16);
    let task = tokio::spawn(run(world, tick, clock, tx, control_rx));
    DemoHandle {
        control: control_tx,
        task,
    }
}

/// The simulator's loop: step on every tick, publish what changed, obey control requests.
pub async fn run(
    mut world: DemoWorld,
    tick: Duration,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    mut control_rx: mpsc::Receiver<DemoControl>,
) {
    let mut first = true;
    let mut control_open = true;
    let mut timer = tokio::time::interval(tick);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = timer.tick() => {
                if !first {
                    world.step(clock.now());
                }
            }
            ctl = control_rx.recv(), if control_open => match ctl {
                Some(DemoControl::Refresh) => world.mark_all_dirty(),
                Some(DemoControl::Perform { request, reply }) => {
                    let _ = reply.send(world.perform(&request));
                }
                None => control_open = false,
            },
        }
        for update in world.take_updates(first) {
            if tx.send(Msg::Source(update)).await.is_err() {
                return;
            }
        }
        first = false;
    }
}
