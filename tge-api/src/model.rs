//! What the API answers with (JSON bodies, with their OpenAPI schemas).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A TGE event: one per project (+ ticker), merged from every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub project: String,
    pub symbol: Option<String>,
    /// announced, scheduled, live, postponed, cancelled
    pub status: String,
    /// Day (`2027-03-01`), month (`2027-03`) or quarter (`2027-Q1`), if known.
    pub event_date: Option<String>,
    /// day, month, quarter, unknown
    pub date_precision: String,
    /// Noisy-or of each source's best report, 0..1.
    pub confidence: f64,
    /// Distinct sources reporting it.
    pub corroboration: i32,
    pub watchlist: bool,
    /// RFC 3339, UTC.
    pub first_seen: String,
    pub last_seen: String,
    /// Bumped on every change.
    pub version: i32,
    /// Global change sequence of its last change (the SSE event id).
    pub change_seq: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub first_seen_us: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub last_seen_us: i64,
}

/// One report backing an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub finding_id: String,
    pub document_id: String,
    /// Title of the document, if the coordinator stored it.
    pub document_title: Option<String>,
    pub source_id: String,
    pub source_kind: String,
    pub url: String,
    pub snippet: String,
    pub status: String,
    pub confidence: f64,
    pub observed_at: String,
    /// The source whose earlier report this one nearly duplicates (a
    /// syndicated copy: evidence, not corroboration).
    pub duplicate_of: Option<String>,
    /// A report that the TGE was postponed or cancelled (status only).
    pub status_only: bool,
    /// ISO 639-1 code of the document's language (`en`, `zh`, `ja`):
    /// stated by the source or detected from the text; null when unknown.
    #[schema(example = "en")]
    pub language: Option<String>,
}

/// One version of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub version: i32,
    pub status: String,
    pub confidence: f64,
    pub corroboration: i32,
    pub changed_at: String,
}

/// An event with its evidence and status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: Event,
    /// Oldest first.
    pub evidence: Vec<Evidence>,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A page of events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<Event>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A project with events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    pub project: String,
    pub events: i64,
    pub max_confidence: f64,
    pub last_seen: String,
}

/// The projects list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectList {
    pub items: Vec<Project>,
}

/// A polled source: its schedule, last poll and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    pub source_id: String,
    /// Queen schedule polling it.
    pub schedule: String,
    pub url: String,
    pub kind: String,
    pub interval_ms: i64,
    pub paused: bool,
    /// Newest document fetched from it (RFC 3339), if any.
    pub last_fetched: Option<String>,
    pub documents: i64,
    /// Next poll (RFC 3339).
    pub next_poll: Option<String>,
    /// ok, failing (last error present), open / half_open (its circuit
    /// breaker), paused
    pub health: String,
    pub last_error: Option<String>,
    /// Circuit-breaker phase (closed, open, half_open), if one is kept.
    pub breaker: Option<String>,
}

/// The sources list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SourceList {
    pub items: Vec<Source>,
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyInfo {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub key_prefix: String,
    pub rate_per_sec: Option<f64>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// The keys list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyInfo>,
}

/// The answer of a cache refresh.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CacheRefreshed {
    /// Entries dropped.
    pub dropped: u64,
}
