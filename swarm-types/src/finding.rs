//! What agents report through the memory: fetched documents, TGE
//! candidates, validated detections, and the optimizer's hot-spot reports.

use serde::{Deserialize, Serialize};

/// One finding on the findings stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Finding {
    /// A fetched, cleaned document (scraping specialist → classifier).
    Document(Document),
    /// A document the classifier thinks announces a TGE (keyword precision → data quality).
    Candidate(Candidate),
    /// A validated TGE report (data quality → synthesis and alerts).
    Detection(Detection),
    /// The performance optimizer's slowest sources and task kinds for one run.
    HotSpots(HotSpots),
}

impl Finding {
    /// Id that makes the finding idempotent.
    pub fn id(&self) -> &str {
        match self {
            Finding::Document(d) => &d.id,
            Finding::Candidate(c) => &c.id,
            Finding::Detection(d) => &d.id,
            Finding::HotSpots(h) => &h.id,
        }
    }
}

/// Where the swarm spends its time, as the performance optimizer saw it
/// in one run: the slowest sources (p99 fetch latency) and task kinds
/// (p99 service time), slowest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotSpots {
    /// Unique per report, so a redelivered report is recognised.
    pub id: String,
    /// When the optimizer made the report (Unix ms).
    pub reported_unix_ms: i64,
    /// (source id, p99 fetch latency in ms)
    pub sources: Vec<(String, u64)>,
    /// (task kind, p99 service time in ms)
    pub kinds: Vec<(String, f64)>,
}

/// A fetched item, cleaned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id (hash of the canonical URL or GUID).
    pub id: String,
    /// Id of the configured source the document was fetched from.
    pub source_id: String,
    /// Kind of that source (`rss`, `atom`, `json_api`, `html`, …: the queen's `SourceKind` names).
    pub source_kind: String,
    /// Canonical URL of the item.
    pub url: String,
    /// Title, cleaned (empty when the source gave none).
    pub title: String,
    /// Body text with markup stripped.
    pub text: String,
    /// Publication time the source states (Unix ms), if any.
    pub published_unix_ms: Option<i64>,
    /// When the scraper fetched the item (Unix ms).
    pub fetched_unix_ms: i64,
    /// ISO 639-1 code of the text's language, when detected or stated.
    pub language: Option<String>,
}

/// A document the classifier thinks announces a TGE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Unique per candidate (redeliveries carry the same id).
    pub id: String,
    /// Id of the [`Document`] the candidate came from.
    pub document_id: String,
    /// Name of the project the TGE is attributed to.
    pub project: String,
    /// Ticker symbol, when the text names one.
    pub symbol: Option<String>,
    /// Classifier probability (0.0–1.0) that the document announces this TGE.
    pub confidence: f64,
}

pub use crate::status::Status;

/// Largest Hamming distance between the fingerprints of near-duplicates.
pub const NEAR_DUPLICATE_BITS: u32 = 12;

/// Whether two text fingerprints (64-bit SimHash) are of near-duplicates.
pub fn near_duplicates(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() <= NEAR_DUPLICATE_BITS
}

/// A validated report that `project` (+ `symbol`) has a TGE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Unique per report (redeliveries carry the same id).
    pub id: String,
    /// Id of the [`Document`] the report is about.
    pub document_id: String,
    /// Id of the configured source the document came from.
    pub source_id: String,
    /// Kind of that source (`rss`, `html`, `json_api`, …).
    pub source_kind: String,
    /// URL of the reporting document.
    pub url: String,
    /// Name of the project the TGE belongs to.
    pub project: String,
    /// Ticker symbol, when known.
    pub symbol: Option<String>,
    /// Lifecycle status this report states.
    pub status: Status,
    /// ISO date, month (`2027-03`) or quarter (`2027-Q1`), if known.
    pub event_date: Option<String>,
    /// day, month, quarter, unknown
    pub date_precision: String,
    /// Probability that the document announces this TGE.
    pub confidence: f64,
    /// The sentence of the document the classifier's decision rests on.
    pub snippet: String,
    /// Whether the project is on a configured watchlist.
    pub watchlist: bool,
    /// When the report was made (Unix ms).
    pub observed_unix_ms: i64,
    /// SimHash of the document's text (data-quality computes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<u64>,
    /// The source of an earlier report about the same event whose text
    /// this one nearly duplicates (a syndicated copy): kept as evidence, not
    /// counted as independent corroboration. Decided by the synthesis,
    /// which sees every report of the event under one lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// A report that the project's TGE is postponed or cancelled, not an
    /// announcement: it changes an existing event's status and never
    /// creates an event or adds corroboration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub status_only: bool,
    /// ISO 639-1 code of the reporting document's language, when known
    /// (absent in reports journaled before it was carried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}
