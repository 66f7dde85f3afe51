//! What agents report through the memory: fetched documents, TGE
//! candidates, validated detections.

use serde::{Deserialize, Serialize};

/// One finding on the findings stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Finding {
    Document(Document),
    Candidate(Candidate),
    Detection(Detection),
}

impl Finding {
    /// Id that makes the finding idempotent.
    pub fn id(&self) -> &str {
        match self {
            Finding::Document(d) => &d.id,
            Finding::Candidate(c) => &c.id,
            Finding::Detection(d) => &d.id,
        }
    }
}

/// A fetched item, cleaned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id (hash of the canonical URL or GUID).
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: String,
    pub document_id: String,
    pub project: String,
    pub symbol: Option<String>,
    pub confidence: f64,
}

/// Lifecycle of a TGE event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Announced,
    Scheduled,
    Live,
    Postponed,
    Cancelled,
}

impl Status {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Announced => "announced",
            Status::Scheduled => "scheduled",
            Status::Live => "live",
            Status::Postponed => "postponed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// A validated report that `project` (+ `symbol`) has a TGE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
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
}
