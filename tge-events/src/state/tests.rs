//! The model's rules, including property-style checks over random reports.

use super::*;
use crate::plan::{Loaded, synthesize};

fn report(id: &str, source: &str, confidence: f64) -> Report {
    Report {
        id: id.into(),
        document_id: format!("doc-{id}"),
        source_id: source.into(),
        source_kind: "rss".into(),
        url: String::new(),
        project: "Nova".into(),
        symbol: None,
        status: Status::Announced,
        event_date: None,
        date_precision: "unknown".into(),
        confidence,
        snippet: String::new(),
        watchlist: false,
        observed_unix_ms: 1_000,
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: None,
    }
}

fn absorbed(reports: &[Report]) -> EventState {
    let mut event = EventState::new(1, &reports[0]);
    for r in reports {
        event.absorb(r);
    }
    event
}

#[test]
fn sources_combine_by_noisy_or_of_their_best_report() {
    let e = absorbed(&[
        report("a", "s1", 0.5),
        report("b", "s1", 0.2),
        report("c", "s2", 0.5),
    ]);
    assert_eq!(e.corroboration, 2);
    assert!((e.confidence - 0.75).abs() < 1e-12);
    assert_eq!(e.version, 3);
    assert!(!e.change().created);
}

#[test]
fn a_redelivery_changes_nothing() {
    let mut e = absorbed(&[report("a", "s1", 0.5)]);
    let before = e.clone();
    assert_eq!(e.absorb(&report("a", "s1", 0.5)), None);
    assert_eq!(e, before);
}

#[test]
fn copies_are_evidence_not_corroboration() {
    let mut copy = report("b", "s2", 0.9);
    copy.duplicate_of = Some("s1".into());
    let mut near = report("c", "s3", 0.9);
    near.fingerprint = Some(0xFFFF_0000_FFFF_00FF);
    let mut first = report("a", "s1", 0.5);
    first.fingerprint = Some(0xFFFF_0000_FFFF_0000);
    let mut e = EventState::new(1, &first);
    e.absorb(&first);
    e.absorb(&copy);
    let near_absorbed = e.absorb(&near).map(|a| a.duplicate_of);
    assert_eq!(
        near_absorbed,
        Some(Some("s1".into())),
        "8 bits apart: a copy"
    );
    assert_eq!(e.corroboration, 1);
    assert!((e.confidence - 0.5).abs() < 1e-12);
}

#[test]
fn only_copies_count_once() {
    let mut copy = report("a", "s2", 0.6);
    copy.duplicate_of = Some("s1".into());
    let e = absorbed(&[copy]);
    assert_eq!((e.corroboration, e.confidence), (1, 0.6));
}

#[test]
fn the_most_precise_date_wins_and_ties_take_the_latest() {
    let dated = |id: &str, date: &str, precision: &str| Report {
        event_date: Some(date.into()),
        date_precision: precision.into(),
        ..report(id, id, 0.5)
    };
    let e = absorbed(&[
        dated("a", "2027-Q2", "quarter"),
        dated("b", "2027-05-03", "day"),
        dated("c", "2027-05", "month"),
        report("d", "d", 0.5),
    ]);
    assert_eq!(e.event_date.as_deref(), Some("2027-05-03"));
    assert_eq!(e.date_precision, "day");
    let e = absorbed(&[
        dated("a", "2027-05-03", "day"),
        dated("b", "2027-05-04", "day"),
    ]);
    assert_eq!(e.event_date.as_deref(), Some("2027-05-04"));
}

#[test]
fn status_reports_change_status_not_corroboration_or_date() {
    let mut postponed = report("b", "s2", 0.9);
    postponed.status = Status::Postponed;
    postponed.status_only = true;
    postponed.event_date = Some("2028-01-01".into());
    postponed.date_precision = "day".into();
    postponed.observed_unix_ms = 2_000;
    let e = absorbed(&[report("a", "s1", 0.5), postponed]);
    assert_eq!(e.status, Status::Postponed);
    assert_eq!(e.corroboration, 1);
    assert_eq!(e.event_date, None);
    assert_eq!(e.last_seen_unix_ms, 2_000);
}

#[test]
fn late_copies_do_not_move_the_status_back() {
    let mut live = report("a", "s1", 0.5);
    live.status = Status::Live;
    live.observed_unix_ms = 10;
    let mut late = report("b", "s2", 0.5);
    late.status = Status::Scheduled;
    late.observed_unix_ms = 20;
    assert_eq!(absorbed(&[late.clone(), live.clone()]).status, Status::Live);
    assert_eq!(absorbed(&[live, late]).status, Status::Live);
}

/// A small deterministic generator (no external crate for shuffles).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

fn random_reports(rng: &mut Lcg, n: usize) -> Vec<Report> {
    (0..n)
        .map(|i| {
            let mut r = report(&format!("r{i}"), &format!("s{}", rng.next() % 5), 0.0);
            r.confidence = (rng.next() % 1_200) as f64 / 1_000.0 - 0.1;
            r.observed_unix_ms = (rng.next() % 50) as i64;
            r.status = Status::ALL[(rng.next() % 5) as usize];
            r
        })
        .collect()
}

#[test]
fn absorbing_twice_changes_nothing_and_confidence_stays_in_bounds() {
    let mut rng = Lcg(7);
    for _ in 0..200 {
        let n = 1 + (rng.next() % 12) as usize;
        let reports = random_reports(&mut rng, n);
        let mut e = absorbed(&reports);
        assert!((0.0..=1.0).contains(&e.confidence), "{}", e.confidence);
        let before = e.clone();
        for r in &reports {
            assert_eq!(e.absorb(r), None);
        }
        assert_eq!(e, before);
    }
}

#[test]
fn the_order_of_reports_does_not_change_confidence_or_status() {
    let mut rng = Lcg(11);
    for _ in 0..200 {
        let n = 1 + (rng.next() % 12) as usize;
        let mut reports = random_reports(&mut rng, n);
        let a = absorbed(&reports);
        rng.shuffle(&mut reports);
        let b = absorbed(&reports);
        assert_eq!(a.confidence.to_bits(), b.confidence.to_bits());
        assert_eq!(a.corroboration, b.corroboration);
        assert_eq!(a.status, b.status, "the lifecycle follows observed time");
        assert_eq!(a.proofs, b.proofs);
    }
}

#[test]
fn a_batch_routes_tickers_and_status_reports() {
    let mut loaded = Loaded::new();
    let with_symbol = Report {
        symbol: Some("$nova".into()),
        ..report("b", "s2", 0.5)
    };
    let mut cancelled = report("c", "s3", 0.5);
    cancelled.status_only = true;
    cancelled.status = Status::Cancelled;
    let mut elsewhere = cancelled.clone();
    elsewhere.id = "d".into();
    elsewhere.project = "Elsewhere".into();
    let reports = [
        report("a", "s1", 0.5),
        with_symbol,
        report("a", "s1", 0.5),
        cancelled,
        elsewhere,
    ];
    let refs: Vec<&Report> = reports.iter().collect();
    let (outcomes, changes) = synthesize(&mut loaded, &refs, 0);
    assert!(matches!(&outcomes[0], crate::Applied::Event(c) if c.created));
    assert!(
        matches!(&outcomes[1], crate::Applied::Event(c) if c.symbol.as_deref() == Some("NOVA"))
    );
    assert_eq!(outcomes[2], crate::Applied::Unchanged, "a redelivery");
    assert!(matches!(&outcomes[3], crate::Applied::Event(c) if c.status == "cancelled"));
    assert_eq!(outcomes[4], crate::Applied::Unchanged, "no event to cancel");
    assert_eq!(changes.changed, vec![-1]);
    assert_eq!(changes.evidence.len(), 3);
    assert_eq!(changes.history.len(), 3);
    assert_eq!(loaded["nova"].len(), 1);
}
