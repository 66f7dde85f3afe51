//! What the synthesis reads: a validated report that a project has a TGE
//! (a detection), and the other records stored beside events (documents,
//! candidates, hot-spot reports).

pub use swarm_types::finding::{Candidate, Document, NEAR_DUPLICATE_BITS};

/// A validated report that a project (+ symbol) has a TGE: the wire's
/// detection, as the model reads it.
pub use swarm_types::finding::Detection as Report;

/// The performance optimizer's report of the slowest sources and kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct HotSpots {
    /// Unique per report, so a redelivered report is recognised.
    pub id: String,
    /// When the optimizer made the report (unix ms).
    pub reported_unix_ms: i64,
    /// The report as JSON.
    pub report: String,
}

/// One thing to store, in the order the synthesis receives them.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A fetched document.
    Document(Document),
    /// A TGE candidate the classifier found in a document.
    Candidate(Candidate),
    /// A hot-spot report of the performance optimizer.
    HotSpots(HotSpots),
    /// A validated TGE report: evidence for an event.
    Report(Report),
}

impl From<&swarm_types::Finding> for Record {
    /// The record a finding from the stream is stored as.
    fn from(finding: &swarm_types::Finding) -> Self {
        use swarm_types::Finding;
        match finding {
            Finding::Detection(d) => Record::Report(d.clone()),
            Finding::Document(d) => Record::Document(d.clone()),
            Finding::Candidate(c) => Record::Candidate(c.clone()),
            Finding::HotSpots(h) => Record::HotSpots(HotSpots {
                id: h.id.clone(),
                reported_unix_ms: h.reported_unix_ms,
                report: serde_json::to_string(h).unwrap_or_else(|_| "{}".into()),
            }),
        }
    }
}
