//! Effects: what `update` asks the outside world to do. Typed data, run by the executor, so the
//! reducer stays pure and every request can be unit-tested without I/O.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask every source to re-send (or re-fetch) its data now.
    RefreshSources,
}
