//! What applying a record did: the change notice of an event, or whether a
//! row was stored.

use serde::{Deserialize, Serialize};

/// An event created or updated by a report (published as a notice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventChange {
    pub event_id: i64,
    pub version: i32,
    pub created: bool,
    pub project: String,
    pub symbol: Option<String>,
    pub status: String,
    pub confidence: f64,
    pub corroboration: i32,
}

/// What applying one record did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Already applied before (or nothing to store).
    Unchanged,
    /// A document or candidate row was stored.
    Stored,
    /// An event was created or changed.
    Event(EventChange),
}
