//! Effects: what `update` asks the outside world to do. Typed data, run by the executor, so the
//! reducer stays pure and every request can be unit-tested without I/O.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Ask every source to re-send (or re-fetch) its data now.
    RefreshSources,
    /// Ask the clusters whether we may do this (RBAC) before it is offered; the answer comes
    /// back as `Msg::AccessChecked`. Sends nothing that changes anything, and is not audited.
    CheckAccess(Vec<crate::actions::ActionRequest>),
    /// Carry out confirmed actions: audit first, then the request, then `Msg::ActionDone`.
    Perform(Vec<Perform>),
}

/// One confirmed action and what the person saw before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Perform {
    pub request: crate::actions::ActionRequest,
    /// The state before, for the audit log (e.g. "1.5.0 (rev 8)").
    pub before: String,
    /// Production: the executor sends a server-side dry run first.
    pub production: bool,
}
