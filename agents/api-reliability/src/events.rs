//! The events alerts are rendered from: the agent reads the event store
//! itself (`tge_events::Reader`: PostgreSQL in production, the in-process
//! store in the one-process run) by the task's event id, and never trusts
//! a task for what it can look up. An event that does not exist, or is
//! older than the version the task names, is not alerted.

use std::sync::Arc;

use tge_events::Reader;
use tge_events::view::{EventDetail, HistoryRow};

use crate::format::Alert;

/// The event store the agent reads.
#[derive(Clone)]
pub struct EventStore(pub Arc<dyn Reader>);

impl std::fmt::Debug for EventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStore")
    }
}

/// Why the event `version` of an event became an alert, from its history:
/// `created` for version 1, `status_change` when its status differs from
/// the version before, `update` otherwise.
pub fn reason_at(history: &[HistoryRow], version: i64) -> &'static str {
    if version <= 1 {
        return "created";
    }
    let status = |v: i64| {
        history
            .iter()
            .find(|h| i64::from(h.version) == v)
            .map(|h| h.status.as_str())
    };
    match (status(version - 1), status(version)) {
        (Some(before), Some(after)) if before == after => "update",
        _ => "status_change",
    }
}

/// The alert for the stored event (its current state) for a task naming
/// `version`.
pub fn alert(detail: &EventDetail, version: i64) -> Alert {
    let event = &detail.event;
    Alert {
        event_id: event.id,
        version: event.version,
        project: event.project.clone(),
        symbol: event.symbol.clone(),
        status: event.status.clone(),
        confidence: event.confidence,
        corroboration: event.corroboration,
        reason: reason_at(&detail.history, version).into(),
    }
}
