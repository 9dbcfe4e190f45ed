//! Configuration: where the file is ([`locate`]), reading it ([`load`], [`parse`]) with errors
//! that point at file:line:col and say how to fix them ([`ConfigError`]), and its shape
//! ([`model`]). See `docs/configuration.md`.

pub mod aws_profiles;
mod diagnostic;
mod doc;
mod load;
mod locate;
pub mod model;
mod suggest;
mod translate;
mod validate;

pub use diagnostic::{ConfigError, Problem, Snippet};
pub use load::{load, load_origin, parse};
pub use locate::{ConfigOrigin, locate};
pub use model::*;

/// `config/default.toml`: every key with its default and a comment; printed by
/// `opsdeck check-config` and tested to parse to exactly `Config::default()`.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../config/default.toml");

impl Config {
    /// Run the simulated fleet: asked for explicitly, or there is nothing real to show.
    pub fn is_demo(&self) -> bool {
        self.demo.enabled || self.environments.is_empty()
    }
}
