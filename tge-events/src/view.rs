//! What readers get back: events, their evidence and history, projects
//! (times in unix microseconds; the API formats them).

use crate::filter::{Candidate, Sortable};

/// An event as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Stable event id.
    pub id: i64,
    /// Project name as reported.
    pub project: String,
    /// Symbol key, if the event has a ticker.
    pub symbol: Option<String>,
    /// Lifecycle status name (one of [`crate::filter::STATUSES`]).
    pub status: String,
    /// Most precise date reported (ISO day, `2027-03` or `2027-Q1`), if any.
    pub event_date: Option<String>,
    /// Precision of `event_date`: day, month, quarter or unknown.
    pub date_precision: String,
    /// Noisy-or of each independent source's best confidence (0..1).
    pub confidence: f64,
    /// Distinct independent sources backing the event.
    pub corroboration: i32,
    /// Whether the project is on a configured watchlist.
    pub watchlist: bool,
    /// When the first report was observed.
    pub first_seen_us: i64,
    /// When the latest report was observed.
    pub last_seen_us: i64,
    /// Bumped on every change (1 once created).
    pub version: i32,
    /// Global change sequence of its last change (grows with every change).
    pub change_seq: i64,
}

/// One report backing an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    /// Id of the report.
    pub finding_id: String,
    /// Id of the document the report is about.
    pub document_id: String,
    /// That document's title; `None` if the document is not stored.
    pub document_title: Option<String>,
    /// Id of the configured source the document came from.
    pub source_id: String,
    /// Kind of that source (`rss`, `html`, `json_api`, …).
    pub source_kind: String,
    /// URL of the reporting document.
    pub url: String,
    /// The sentence the classifier's decision rests on.
    pub snippet: String,
    /// Status name the report states.
    pub status: String,
    /// The report's confidence (0..1).
    pub confidence: f64,
    /// When the report was made.
    pub observed_us: i64,
    /// Source this report nearly duplicates (not counted as corroboration); `None` if independent.
    pub duplicate_of: Option<String>,
    /// A postponement/cancellation report: changes status only.
    pub status_only: bool,
    /// ISO 639-1 code of the document's language, when known.
    pub language: Option<String>,
}

/// One version of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    /// The event's version after this change.
    pub version: i32,
    /// Status name after the change.
    pub status: String,
    /// Confidence after the change (0..1).
    pub confidence: f64,
    /// Distinct independent sources after the change.
    pub corroboration: i32,
    /// Event date after the change, if known.
    pub event_date: Option<String>,
    /// When the change was synthesized.
    pub changed_us: i64,
}

/// An event with its evidence (oldest first) and history (by version).
#[derive(Debug, Clone, PartialEq)]
pub struct EventDetail {
    /// The event as listed.
    pub event: EventRow,
    /// Reports backing it, oldest first.
    pub evidence: Vec<EvidenceRow>,
    /// Its versions, by version.
    pub history: Vec<HistoryRow>,
}

/// A project with events.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    /// Project name.
    pub project: String,
    /// Number of its events.
    pub events: i64,
    /// Highest confidence among its events (0..1).
    pub max_confidence: f64,
    /// When its latest report was observed.
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
