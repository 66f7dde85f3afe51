//! The event store's rows as the API's JSON bodies (times as RFC 3339).

use tge_events::calendar::rfc3339;
use tge_events::view::{EventDetail as DetailRow, EventRow, ProjectRow};

use crate::model::{Event, EventDetail, Evidence, HistoryEntry, Project};

/// An event as listed.
pub(super) fn event(r: EventRow) -> Event {
    Event {
        id: r.id,
        project: r.project,
        symbol: r.symbol,
        status: r.status,
        event_date: r.event_date,
        date_precision: r.date_precision,
        confidence: r.confidence,
        corroboration: r.corroboration,
        watchlist: r.watchlist,
        first_seen: rfc3339(r.first_seen_us),
        last_seen: rfc3339(r.last_seen_us),
        version: r.version,
        change_seq: r.change_seq,
        first_seen_us: r.first_seen_us,
        last_seen_us: r.last_seen_us,
    }
}

/// Events as listed.
pub(super) fn events(rows: Vec<EventRow>) -> Vec<Event> {
    rows.into_iter().map(event).collect()
}

/// An event with evidence and history.
pub(super) fn detail(d: DetailRow) -> EventDetail {
    EventDetail {
        event: event(d.event),
        evidence: d
            .evidence
            .into_iter()
            .map(|v| Evidence {
                finding_id: v.finding_id,
                document_id: v.document_id,
                document_title: v.document_title,
                source_id: v.source_id,
                source_kind: v.source_kind,
                // rows stored before links were checked at ingestion
                url: if tge_events::link::is_web_link(&v.url) {
                    v.url
                } else {
                    String::new()
                },
                snippet: v.snippet,
                status: v.status,
                confidence: v.confidence,
                observed_at: rfc3339(v.observed_us),
                duplicate_of: v.duplicate_of,
                status_only: v.status_only,
                language: v.language,
            })
            .collect(),
        history: d
            .history
            .into_iter()
            .map(|h| HistoryEntry {
                version: h.version,
                status: h.status,
                confidence: h.confidence,
                corroboration: h.corroboration,
                changed_at: rfc3339(h.changed_us),
            })
            .collect(),
    }
}

/// Projects with events.
pub(super) fn projects(rows: Vec<ProjectRow>) -> Vec<Project> {
    rows.into_iter()
        .map(|p| Project {
            project: p.project,
            events: p.events,
            max_confidence: p.max_confidence,
            last_seen: rfc3339(p.last_seen_us),
        })
        .collect()
}
