//! The console's core: messages in, a pure reducer, effects out.

pub mod action;
pub mod effect;
pub mod msg;
pub mod queries;
pub mod state;
pub mod update;

pub use action::{Action, KeyContext};
pub use effect::Effect;
pub use msg::{Msg, ShutdownReason};
pub use queries::{PaletteItem, detail_key, palette_items, selected_index, visible_services};
pub use state::{Input, ServiceSort, Settings, State, TOP_VIEWS, UiState, View};
pub use update::{apply_action, update};
