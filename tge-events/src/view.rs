//! What readers get back: events, their evidence and history, projects
//! (times in unix microseconds; the API formats them).

use crate::filter::{Candidate, Sortable};

/// An event as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub project: String,
    pub symbol: Option<String>,
    pub status: String,
    pub event_date: Option<String>,
    pub date_precision: String,
    pub confidence: f64,
    pub corroboration: i32,
    pub watchlist: bool,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub version: i32,
    /// Global change sequence of its last change (grows with every change).
    pub change_seq: i64,
}

/// One report backing an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    pub finding_id: String,
    pub document_id: String,
    pub document_title: Option<String>,
    pub source_id: String,
    pub source_kind: String,
    pub url: String,
    pub snippet: String,
    pub status: String,
    pub confidence: f64,
    pub observed_us: i64,
    pub duplicate_of: Option<String>,
    pub status_only: bool,
    pub language: Option<String>,
}

/// One version of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub version: i32,
    pub status: String,
    pub confidence: f64,
    pub corroboration: i32,
    pub event_date: Option<String>,
    pub changed_us: i64,
}

/// An event with its evidence (oldest first) and history (by version).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDetail {
    pub event: EventRow,
    pub evidence: Vec<EvidenceRow>,
    pub history: Vec<HistoryRow>,
}

/// A project with events.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    pub project: String,
    pub events: i64,
    pub max_confidence: f64,
    pub last_seen_us: i64,
}

impl Sortable for EventRow {
    fn id(&self) -> i64 {
        self.id
    }
    fn first_seen_us(&self) -> i64 {
        self.first_seen_us
    }
    fn last_seen_us(&self) -> i64 {
        self.last_seen_us
    }
    fn confidence(&self) -> f64 {
        self.confidence
    }
    fn event_date(&self) -> Option<&str> {
        self.event_date.as_deref()
    }
}

/// An event row with the source kinds of its evidence (in-memory lists).
pub(crate) struct Listed<'a> {
    pub row: EventRow,
    pub kinds: Vec<&'a str>,
}

impl Sortable for Listed<'_> {
    fn id(&self) -> i64 {
        self.row.id
    }
    fn first_seen_us(&self) -> i64 {
        self.row.first_seen_us
    }
    fn last_seen_us(&self) -> i64 {
        self.row.last_seen_us
    }
    fn confidence(&self) -> f64 {
        self.row.confidence
    }
    fn event_date(&self) -> Option<&str> {
        self.row.event_date.as_deref()
    }
}

impl Candidate for Listed<'_> {
    fn project(&self) -> &str {
        &self.row.project
    }
    fn symbol(&self) -> Option<&str> {
        self.row.symbol.as_deref()
    }
    fn status(&self) -> &str {
        &self.row.status
    }
    fn watchlist(&self) -> bool {
        self.row.watchlist
    }
    fn has_source_kind(&self, kind: &str) -> bool {
        self.kinds.contains(&kind)
    }
}
