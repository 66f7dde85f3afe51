//! Wire findings as the event model's records (the same fields; the
//! statuses by name).

use tge_events::{Candidate, Document, HotSpots, Record, Report, Status};

use crate::finding::{self, Detection, Finding};

/// The model's status of a wire status.
pub fn status(s: finding::Status) -> Status {
    match s {
        finding::Status::Announced => Status::Announced,
        finding::Status::Scheduled => Status::Scheduled,
        finding::Status::Live => Status::Live,
        finding::Status::Postponed => Status::Postponed,
        finding::Status::Cancelled => Status::Cancelled,
    }
}

/// The model's report of a detection.
pub fn report(d: &Detection) -> Report {
    Report {
        id: d.id.clone(),
        document_id: d.document_id.clone(),
        source_id: d.source_id.clone(),
        source_kind: d.source_kind.clone(),
        url: d.url.clone(),
        project: d.project.clone(),
        symbol: d.symbol.clone(),
        status: status(d.status),
        event_date: d.event_date.clone(),
        date_precision: d.date_precision.clone(),
        confidence: d.confidence,
        snippet: d.snippet.clone(),
        watchlist: d.watchlist,
        observed_unix_ms: d.observed_unix_ms,
        fingerprint: d.fingerprint,
        duplicate_of: d.duplicate_of.clone(),
        status_only: d.status_only,
        language: d.language.clone(),
    }
}

/// The record of a finding.
pub fn record(f: &Finding) -> Record {
    match f {
        Finding::Detection(d) => Record::Report(report(d)),
        Finding::Document(d) => Record::Document(Document {
            id: d.id.clone(),
            source_id: d.source_id.clone(),
            source_kind: d.source_kind.clone(),
            url: d.url.clone(),
            title: d.title.clone(),
            text: d.text.clone(),
            published_unix_ms: d.published_unix_ms,
            fetched_unix_ms: d.fetched_unix_ms,
            language: d.language.clone(),
        }),
        Finding::Candidate(c) => Record::Candidate(Candidate {
            id: c.id.clone(),
            document_id: c.document_id.clone(),
            project: c.project.clone(),
            symbol: c.symbol.clone(),
            confidence: c.confidence,
        }),
        Finding::HotSpots(h) => Record::HotSpots(HotSpots {
            id: h.id.clone(),
            reported_unix_ms: h.reported_unix_ms,
            report: serde_json::to_string(h).unwrap_or_else(|_| "{}".into()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_their_names_and_the_near_duplicate_rule_is_the_same() {
        for s in [
            finding::Status::Announced,
            finding::Status::Scheduled,
            finding::Status::Live,
            finding::Status::Postponed,
            finding::Status::Cancelled,
        ] {
            assert_eq!(status(s).name(), s.name());
        }
        assert_eq!(
            finding::NEAR_DUPLICATE_BITS,
            tge_events::report::NEAR_DUPLICATE_BITS
        );
    }

    #[test]
    fn a_report_journals_like_its_detection() {
        let d = Detection {
            id: "a".into(),
            document_id: "d".into(),
            source_id: "s".into(),
            source_kind: "rss".into(),
            url: "u".into(),
            project: "Nova".into(),
            symbol: Some("NOVA".into()),
            status: finding::Status::Scheduled,
            event_date: Some("2027-03".into()),
            date_precision: "month".into(),
            confidence: 0.5,
            snippet: String::new(),
            watchlist: true,
            observed_unix_ms: 5,
            fingerprint: Some(7),
            duplicate_of: None,
            status_only: false,
            language: Some("en".into()),
        };
        let wire = serde_json::to_value(&d).ok();
        let model = serde_json::to_value(report(&d)).ok();
        assert!(wire.is_some());
        assert_eq!(wire, model);
    }
}
