//! What the synthesis reads: a validated report that a project has a TGE
//! (a detection), and the other records stored beside events (documents,
//! candidates, hot-spot reports).

use serde::{Deserialize, Serialize};

use crate::status::Status;

/// Largest Hamming distance between the text fingerprints (64-bit SimHash)
/// of near-duplicates (the value of `memory_coordinator::finding`).
pub const NEAR_DUPLICATE_BITS: u32 = 12;

/// A validated report that `project` (+ `symbol`) has a TGE. Serialized
/// like the wire's detection, so journals stay readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Unique per report (redeliveries carry the same id).
    pub id: String,
    pub document_id: String,
    pub source_id: String,
    pub source_kind: String,
    pub url: String,
    pub project: String,
    pub symbol: Option<String>,
    pub status: Status,
    /// ISO date, month (`2027-03`) or quarter (`2027-Q1`), if known.
    pub event_date: Option<String>,
    /// day, month, quarter, unknown
    pub date_precision: String,
    /// Probability that the document announces this TGE.
    pub confidence: f64,
    pub snippet: String,
    pub watchlist: bool,
    pub observed_unix_ms: i64,
    /// SimHash of the document's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<u64>,
    /// The source whose earlier report this one nearly duplicates, if the
    /// reporter already knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// A postponement or cancellation: changes an existing event's status,
    /// never creates an event or adds corroboration.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub status_only: bool,
    /// ISO 639-1 code of the reporting document's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A fetched document (evidence links to it; the API shows its title).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub id: String,
    pub source_id: String,
    pub source_kind: String,
    pub url: String,
    pub title: String,
    pub text: String,
    pub published_unix_ms: Option<i64>,
    pub fetched_unix_ms: i64,
    pub language: Option<String>,
}

/// A document the classifier thinks announces a TGE.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub document_id: String,
    pub project: String,
    pub symbol: Option<String>,
    pub confidence: f64,
}

/// The performance optimizer's report of the slowest sources and kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct HotSpots {
    pub id: String,
    pub reported_unix_ms: i64,
    /// The report as JSON.
    pub report: String,
}

/// One thing to store, in the order the synthesis receives them.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Document(Document),
    Candidate(Candidate),
    HotSpots(HotSpots),
    Report(Report),
}
