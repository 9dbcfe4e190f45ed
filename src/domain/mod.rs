//! The fleet as the console understands it, independent of where the data came from (demo
//! simulator, Kubernetes, AWS). Plain owned data: no I/O, no ratatui.

pub mod alarm;
pub mod alerts;
pub mod capacity;
pub mod changes;
pub mod checklist;
pub mod cluster;
pub mod cost;
pub mod delta;
mod derived;
pub mod fleet;
pub mod ids;
pub mod metrics;
pub mod pipeline;
pub mod resolve;
pub mod summary;
#[cfg(test)]
pub(crate) mod testkit;
pub mod version;
pub mod workload;

pub use alarm::*;
pub use alerts::*;
pub use capacity::*;
pub use changes::*;
pub use checklist::*;
pub use cluster::*;
pub use cost::*;
pub use delta::*;
pub use fleet::*;
pub use ids::*;
pub use metrics::*;
pub use pipeline::*;
pub use summary::*;
pub use version::version_order;
pub use workload::*;

/// A point in time. Everything in the domain carries explicit timestamps; the current time is
/// injected (`State::now`), never read inside `update` or `view`.
pub type Timestamp = jiff::Timestamp;
