pub mod action;
pub mod msg;

pub use action::{Action, KeyContext};
pub use msg::{Msg, ShutdownReason};
