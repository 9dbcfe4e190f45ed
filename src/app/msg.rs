//! Everything that can happen to the console arrives as a `Msg` on one bounded channel.

use crate::app::key::KeyEvent;
use crate::domain::{SourceUpdate, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved (drives data ages and stale marks).
    Tick(Timestamp),
    Source(SourceUpdate),
    /// The terminal went away or we were asked to stop.
    Shutdown(ShutdownReason),
    /// An action finished (or was refused before anything was sent).
    ActionDone {
        request: crate::actions::ActionRequest,
        result: Result<crate::actions::Outcome, crate::actions::ActionError>,
    },
    /// A cluster's answer to `Effect::CheckAccess`: Err says what is denied.
    AccessChecked {
        request: crate::actions::ActionRequest,
        result: Result<(), String>,
    },
    /// Earlier actions, from the audit log at start-up.
    ActivityLoaded(Vec<crate::actions::audit::Record>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownReason {
    Sigterm,
    Sighup,
    Sigint,
    InputClosed,
}
