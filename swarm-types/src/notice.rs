//! What the coordinator announces on the memory-sync channel when an event
//! is created or changes: alert watchers, the API's cache and SSE stream
//! listen.

use serde::{Deserialize, Serialize};

/// An event created or updated by a detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventChange {
    /// The event's id in the synthesis store.
    pub event_id: i64,
    /// Incremented on every change; 1 when the event was just created.
    pub version: i32,
    /// Whether this change created the event (`version == 1`).
    pub created: bool,
    /// The project the event belongs to.
    pub project: String,
    /// The project's ticker, when known.
    pub symbol: Option<String>,
    /// Lifecycle status name (`announced`, `scheduled`, `live`, `postponed`, `cancelled`).
    pub status: String,
    /// Noisy-or of each source's best independent report's confidence (0.0–1.0).
    pub confidence: f64,
    /// Distinct sources reporting the event (near-duplicate copies excluded).
    pub corroboration: i32,
}

/// A notice on the memory-sync channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    /// A detection created a new event.
    EventCreated(EventChange),
    /// A detection changed an existing event.
    EventUpdated(EventChange),
}
