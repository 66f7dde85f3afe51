//! What the API answers with (JSON bodies, with their OpenAPI schemas).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A TGE event: one per project (+ ticker), merged from every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Stable event id.
    pub id: i64,
    /// Project name as reported.
    pub project: String,
    /// Ticker symbol (normalised key); null when the event has no ticker.
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
    /// Whether the project is on a configured watchlist.
    pub watchlist: bool,
    /// RFC 3339, UTC.
    pub first_seen: String,
    /// When the latest report was observed (RFC 3339, UTC).
    pub last_seen: String,
    /// Bumped on every change.
    pub version: i32,
    /// Global change sequence of its last change (the SSE event id).
    pub change_seq: i64,
    /// `first_seen` in unix microseconds (sorting, cursors; not serialized).
    #[serde(skip)]
    #[schema(ignore)]
    pub first_seen_us: i64,
    /// `last_seen` in unix microseconds (sorting, cursors; not serialized).
    #[serde(skip)]
    #[schema(ignore)]
    pub last_seen_us: i64,
}

/// One report backing an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// Id of the report.
    pub finding_id: String,
    /// Id of the document the report is about.
    pub document_id: String,
    /// Title of the document, if the coordinator stored it.
    pub document_title: Option<String>,
    /// Id of the configured source the document came from.
    pub source_id: String,
    /// Kind of that source (`rss`, `atom`, `json_api`, `html`, …).
    pub source_kind: String,
    /// URL of the reporting document: always an `http` or `https` URL, or
    /// empty when the document's URL was not one (`javascript:`, `data:`, …
    /// are never served as links).
    pub url: String,
    /// The sentence of the document the classifier's decision rests on.
    pub snippet: String,
    /// Status the report states (announced, scheduled, live, postponed, cancelled).
    pub status: String,
    /// Probability the document announces this TGE, 0..1.
    pub confidence: f64,
    /// When the report was made (RFC 3339, UTC).
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
    /// The event's version after this change (1: created).
    pub version: i32,
    /// Status after the change.
    pub status: String,
    /// Confidence after the change, 0..1.
    pub confidence: f64,
    /// Distinct sources after the change.
    pub corroboration: i32,
    /// When the change was made (RFC 3339, UTC).
    pub changed_at: String,
}

/// An event with its evidence and status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventDetail {
    /// The event itself (its fields at the top level).
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
    /// The events of this page, in the requested order.
    pub items: Vec<Event>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A project with events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    /// Project name.
    pub project: String,
    /// Number of its events.
    pub events: i64,
    /// Highest confidence among its events, 0..1.
    pub max_confidence: f64,
    /// When its latest report was observed (RFC 3339, UTC).
    pub last_seen: String,
}

/// The projects list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectList {
    /// Every project with events.
    pub items: Vec<Project>,
}

/// A polled source: its schedule, last poll and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    /// Id of the configured source.
    pub source_id: String,
    /// Queen schedule polling it.
    pub schedule: String,
    /// URL polled; without an admin key its query string, fragment and
    /// userinfo are left out (`https://feeds.example/news?…`).
    pub url: String,
    /// Source kind (`rss`, `atom`, `json_api`, `html`, …).
    pub kind: String,
    /// Polling interval in milliseconds.
    pub interval_ms: i64,
    /// Whether its schedule is paused.
    pub paused: bool,
    /// Newest document fetched from it (RFC 3339), if any.
    pub last_fetched: Option<String>,
    /// Number of stored documents fetched from it.
    pub documents: i64,
    /// Next poll (RFC 3339).
    pub next_poll: Option<String>,
    /// ok, failing (last error present), open / half_open (its circuit
    /// breaker), paused
    pub health: String,
    /// Last fetch error reported for it; null when none is kept.
    pub last_error: Option<String>,
    /// Circuit-breaker phase (closed, open, half_open), if one is kept.
    pub breaker: Option<String>,
}

/// The sources list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SourceList {
    /// Every polled source.
    pub items: Vec<Source>,
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyInfo {
    /// Key id.
    pub id: i64,
    /// Name given at creation.
    pub name: String,
    /// read or admin.
    pub scope: String,
    /// First 12 characters of the key, to recognise it.
    pub key_prefix: String,
    /// Requests per second allowed; null: the configured default.
    pub rate_per_sec: Option<f64>,
    /// When the key was created (RFC 3339, UTC).
    pub created_at: String,
    /// When the key was revoked (RFC 3339, UTC); null while valid.
    pub revoked_at: Option<String>,
}

/// The keys list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    /// Every key, newest first.
    pub items: Vec<KeyInfo>,
}

/// The answer of a cache refresh.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CacheRefreshed {
    /// Entries dropped.
    pub dropped: u64,
}

/// The answer of `/ready` (never why not: that is logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// Whether the event store and the memory answer.
    pub ready: bool,
}
