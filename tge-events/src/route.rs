//! Which event of a project a report joins: one event per project (+
//! ticker). A report without a ticker joins the project's latest event; a
//! report with one joins the event of that ticker, or gives a ticker-less
//! event its ticker (adoption), or starts a new event. A status-only report
//! (postponed, cancelled) joins the project's latest event or nothing.

use crate::keys::symbol_key;
use crate::report::Report;
use crate::state::EventState;

/// Where a report goes among the events of its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The event at this index.
    Join(usize),
    /// The ticker-less event at this index, which takes the report's ticker.
    Adopt(usize),
    /// A new event.
    Create,
    /// Nowhere (a status report about a project without events).
    Drop,
}

/// The project's latest event: newest last report, then highest id.
fn latest(events: &[EventState]) -> Option<usize> {
    (0..events.len()).max_by_key(|&i| (events[i].last_seen_unix_ms, events[i].id))
}

/// The route of `report` among `events`, every event of its project.
pub fn route(events: &[EventState], report: &Report) -> Route {
    if report.status_only {
        return latest(events).map_or(Route::Drop, Route::Join);
    }
    let symbol = symbol_key(report.symbol.as_deref());
    if symbol.is_empty() {
        return latest(events).map_or(Route::Create, Route::Join);
    }
    if let Some(i) = events
        .iter()
        .position(|e| e.symbol.as_deref() == Some(symbol.as_str()))
    {
        return Route::Join(i);
    }
    events
        .iter()
        .position(|e| e.symbol.is_none())
        .map_or(Route::Create, Route::Adopt)
}

/// The event at `index` takes the ticker of `report`.
pub fn adopt(event: &mut EventState, report: &Report) {
    let symbol = symbol_key(report.symbol.as_deref());
    event.symbol = (!symbol.is_empty()).then_some(symbol);
}
