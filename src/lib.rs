//! opsdeck: a terminal ops console for release engineers and incident responders.
//!
//! Data flows one way (see `docs/architecture.md`): sources send [`app::Msg`]s over one bounded
//! channel; the pure [`app::update`] changes [`app::State`] and returns [`app::Effect`]s that the
//! executor runs; [`ui::view`] only reads the state.

pub mod actions;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod domain;
mod hints;
pub mod keymap;
pub mod logging;
pub mod paths;
pub mod snapshot;
pub mod source;
pub mod text_clean;
pub mod theme;
pub mod ui;
