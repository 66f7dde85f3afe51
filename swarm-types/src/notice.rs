//! What the coordinator announces on the memory-sync channel when an event
//! is created or changes: alert watchers, the API's cache and SSE stream
//! listen.

use serde::{Deserialize, Serialize};

/// An event created or updated by a detection.
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

/// A notice on the memory-sync channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notice {
    EventCreated(EventChange),
    EventUpdated(EventChange),
}
