//! What applying a record did: the change notice of an event, or whether a
//! row was stored.

/// An event created or updated by a report (published as a notice).
pub use swarm_types::EventChange;

/// What applying one record did.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Already applied before (or nothing to store).
    Unchanged,
    /// A document or candidate row was stored.
    Stored,
    /// An event was created or changed.
    Event(EventChange),
}
