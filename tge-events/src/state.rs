//! What an event is, and how one report changes it ([`EventState::absorb`]):
//! evidence keyed by report id (a redelivery changes nothing), corroboration
//! = distinct independent sources, confidence = noisy-or of each source's
//! best independent report, status = the lifecycle of every report in
//! observed order, the most precise date, a version per change.

use std::collections::BTreeMap;

use crate::change::EventChange;
use swarm_types::finding::near_duplicates;

use crate::report::Report;
use swarm_types::finding::Status;

/// Confidence of a single report is capped below 1 so the noisy-or stays
/// below 1 too (a certain source would hide every other).
const MAX_REPORT_CONFIDENCE: f64 = 0.999_999;

/// What the model keeps of one report of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// Id of the report (unique, so a redelivery is recognised).
    pub finding_id: String,
    /// Id of the configured source the report came from.
    pub source_id: String,
    /// When the report was made (unix ms).
    pub observed_unix_ms: i64,
    /// Lifecycle status the report states.
    pub status: Status,
    /// Clamped to 0..1.
    pub confidence: f64,
    /// SimHash of the document's text, if computed (for near-duplicate detection).
    pub fingerprint: Option<u64>,
    /// The source this report copies (a near-duplicate): evidence, not
    /// corroboration.
    pub duplicate_of: Option<String>,
    /// A postponement/cancellation report: changes status, adds no corroboration or date.
    pub status_only: bool,
}

impl Proof {
    /// Counts as independent corroboration.
    fn independent(&self) -> bool {
        self.duplicate_of.is_none() && !self.status_only
    }
}

/// One TGE event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventState {
    /// Stable id (a provisional negative one before the backend stores it).
    pub id: i64,
    /// Project name as reported, trimmed.
    pub project: String,
    /// The symbol key, if the event has a ticker.
    pub symbol: Option<String>,
    /// Lifecycle status of all reports, in observed order.
    pub status: Status,
    /// Most precise date reported (ISO day, `2027-03` or `2027-Q1`); `None` until one is.
    pub event_date: Option<String>,
    /// day, month, quarter, unknown
    pub date_precision: String,
    /// Noisy-or of each independent source's best confidence (0..1).
    pub confidence: f64,
    /// Distinct independent sources (1 when only copies back the event).
    pub corroboration: i32,
    /// Whether any report marked the project as watchlisted.
    pub watchlist: bool,
    /// When the first report was observed (unix ms).
    pub first_seen_unix_ms: i64,
    /// When the latest report was observed (unix ms).
    pub last_seen_unix_ms: i64,
    /// Bumped on every change (1 once created).
    pub version: i32,
    /// Every report absorbed, in observed order (observed time, finding id).
    pub proofs: Vec<Proof>,
}

/// A report absorbed: the change and the evidence as stored (with the
/// near-duplicate decision).
#[derive(Debug, Clone, PartialEq)]
pub struct Absorbed {
    /// The change notice of the event after the report.
    pub change: EventChange,
    /// Source this report nearly duplicates (`None`: an independent report).
    pub duplicate_of: Option<String>,
}

/// Rank of a date precision: a more precise date replaces a less precise one.
pub fn precision_rank(precision: &str) -> u8 {
    match precision {
        "day" => 3,
        "month" => 2,
        "quarter" => 1,
        _ => 0,
    }
}

impl EventState {
    /// A new, still empty event for `report` (version 0: it exists once it
    /// absorbed the report).
    pub fn new(id: i64, report: &Report) -> Self {
        let symbol = crate::keys::symbol_key(report.symbol.as_deref());
        Self {
            id,
            project: report.project.trim().to_string(),
            symbol: (!symbol.is_empty()).then_some(symbol),
            status: report.status,
            event_date: None,
            date_precision: "unknown".into(),
            confidence: 0.0,
            corroboration: 0,
            watchlist: false,
            first_seen_unix_ms: report.observed_unix_ms,
            last_seen_unix_ms: report.observed_unix_ms,
            version: 0,
            proofs: Vec::new(),
        }
    }

    /// Whether `finding_id` is evidence of this event already.
    pub fn has_evidence(&self, finding_id: &str) -> bool {
        self.proofs.iter().any(|p| p.finding_id == finding_id)
    }

    /// Best confidence of each independent source.
    pub fn sources(&self) -> BTreeMap<&str, f64> {
        let mut best = BTreeMap::new();
        for p in self.proofs.iter().filter(|p| p.independent()) {
            let c = best.entry(p.source_id.as_str()).or_insert(0.0_f64);
            *c = c.max(p.confidence);
        }
        best
    }

    /// The change notice of the current state.
    pub fn change(&self) -> EventChange {
        EventChange {
            event_id: self.id,
            version: self.version,
            created: self.version == 1,
            project: self.project.clone(),
            symbol: self.symbol.clone(),
            status: self.status.name().into(),
            confidence: self.confidence,
            corroboration: self.corroboration,
        }
    }

    /// Adds `report` as evidence and recomputes the event; `None` if it is
    /// evidence already (a redelivery).
    pub fn absorb(&mut self, report: &Report) -> Option<Absorbed> {
        if self.has_evidence(&report.id) {
            return None;
        }
        let duplicate_of = report.duplicate_of.clone().or_else(|| {
            let mine = report.fingerprint?;
            self.proofs
                .iter()
                .filter(|p| p.source_id != report.source_id)
                .find(|p| p.fingerprint.is_some_and(|f| near_duplicates(mine, f)))
                .map(|p| p.source_id.clone())
        });
        if duplicate_of.is_some() {
            metrics::counter!("swarm_near_duplicates_total").increment(1);
        }
        let proof = Proof {
            finding_id: report.id.clone(),
            source_id: report.source_id.clone(),
            observed_unix_ms: report.observed_unix_ms,
            status: report.status,
            confidence: clamp(report.confidence),
            fingerprint: report.fingerprint,
            duplicate_of: duplicate_of.clone(),
            status_only: report.status_only,
        };
        let at = self.proofs.partition_point(|p| {
            (p.observed_unix_ms, p.finding_id.as_str())
                <= (proof.observed_unix_ms, proof.finding_id.as_str())
        });
        self.proofs.insert(at, proof);
        if !report.status_only && self.better_date(report) {
            self.event_date = report.event_date.clone();
            self.date_precision = report.date_precision.clone();
        }
        self.recompute();
        self.watchlist |= report.watchlist;
        self.first_seen_unix_ms = self.first_seen_unix_ms.min(report.observed_unix_ms);
        self.last_seen_unix_ms = self.last_seen_unix_ms.max(report.observed_unix_ms);
        self.version += 1;
        Some(Absorbed {
            change: self.change(),
            duplicate_of,
        })
    }

    /// A dated report replaces no date, or one at most as precise.
    fn better_date(&self, report: &Report) -> bool {
        report.event_date.is_some()
            && (self.event_date.is_none()
                || precision_rank(&report.date_precision) >= precision_rank(&self.date_precision))
    }

    /// Status, corroboration and confidence from the evidence.
    fn recompute(&mut self) {
        self.status = Status::lifecycle(self.proofs.iter().map(|p| p.status));
        let best: Vec<f64> = self.sources().into_values().collect();
        if best.is_empty() {
            // only copies so far: the best of them, one source
            self.corroboration = 1;
            self.confidence = self
                .proofs
                .iter()
                .filter(|p| !p.status_only)
                .map(|p| p.confidence.min(MAX_REPORT_CONFIDENCE))
                .fold(0.0, f64::max);
        } else {
            self.corroboration = best.len() as i32;
            self.confidence = 1.0
                - best
                    .iter()
                    .map(|c| 1.0 - c.min(MAX_REPORT_CONFIDENCE))
                    .product::<f64>();
        }
    }
}

fn clamp(confidence: f64) -> f64 {
    if confidence.is_nan() {
        0.0
    } else {
        confidence.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests;
