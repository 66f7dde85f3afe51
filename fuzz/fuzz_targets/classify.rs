//! libFuzzer target for the TGE classifier (`infra/dev/fuzz.sh` runs it).
//!
//! Input layout: byte 0 picks where the rest splits into title and body
//! (and, by its low bit, whether valid UTF-8 is split at a char boundary or
//! as raw bytes); byte 1 picks how the publish time is made (0, negative,
//! huge, a plausible date or raw) from the next eight bytes; the rest is
//! the text. Then `classify` and the public sentence splitter, date
//! finder, lexicon and attribution functions run, and cheap invariants are
//! checked.

#![no_main]

use std::sync::OnceLock;

use keyword_precision::rules::Rules;
use keyword_precision::{
    Classifier, Config, Document, Precision, attribution, dates, features, normalize, sentences,
};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    classifier: Classifier,
    rules: Rules,
    config: Config,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        classifier: Classifier::default(),
        rules: Rules::new(),
        config: Config::default(),
    })
}

/// The publish time: byte `kind` chooses the shape, `raw` the value.
fn published(kind: u8, raw: [u8; 8]) -> i64 {
    let v = i64::from_le_bytes(raw);
    match kind % 8 {
        0 => 0,
        1 => -(v.unsigned_abs() as i64 & i64::MAX) - 1, // negative, down to i64::MIN
        2 => i64::MAX - (v & 0xffff),                   // huge
        3 => i64::MIN + (v & 0xffff),                   // hugely negative
        // 2020-01-01 .. about 2035, the range real feeds send
        4 | 5 => 1_577_836_800_000 + (v.unsigned_abs() % 473_040_000_000) as i64,
        6 => 1,
        _ => v,
    }
}

/// Title and body of `bytes` split at the point `selector` picks.
fn split_text(selector: u8, bytes: &[u8]) -> (String, String) {
    let mut at = bytes.len() * selector as usize / 255;
    match std::str::from_utf8(bytes) {
        // valid UTF-8 as is: split at a char boundary
        Ok(s) if selector & 1 == 0 => {
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            (s[..at].to_string(), s[at..].to_string())
        }
        // anything else: raw byte halves, lossily decoded
        _ => {
            at = at.min(bytes.len());
            (
                String::from_utf8_lossy(&bytes[..at]).into_owned(),
                String::from_utf8_lossy(&bytes[at..]).into_owned(),
            )
        }
    }
}

fn check_ranges(text: &str, ranges: &[(usize, usize)], what: &str) {
    let mut last_end = 0;
    for &(s, e) in ranges {
        assert!(
            s <= e && e <= text.len(),
            "{what}: range {s}..{e} of {}",
            text.len()
        );
        assert!(
            text.is_char_boundary(s) && text.is_char_boundary(e),
            "{what}: {s}..{e} not on char boundaries"
        );
        assert!(s >= last_end, "{what}: ranges overlap or go back");
        last_end = e;
    }
}

fn check_date(d: &dates::EventDate) {
    assert_eq!(
        d.value.is_some(),
        d.precision != Precision::Unknown,
        "date value and precision disagree: {d:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let selector = data.first().copied().unwrap_or(0);
    let kind = data.get(1).copied().unwrap_or(0);
    let mut raw = [0u8; 8];
    for (i, b) in data.iter().skip(2).take(8).enumerate() {
        raw[i] = *b;
    }
    let published_unix_ms = published(kind, raw);
    let (title, text) = split_text(selector, data.get(10..).unwrap_or_default());

    let doc = Document {
        id: "fuzz".into(),
        title,
        text,
        published_unix_ms,
    };
    let decision = f.classifier.classify(&doc);

    // the text evidence spans index (lib.rs: the normalized title + body)
    let normalized = normalize::document_text(&doc.title, &doc.text);
    assert!(
        decision.confidence.is_finite() && (0.0..=1.0).contains(&decision.confidence),
        "confidence {}",
        decision.confidence
    );
    for span in &decision.evidence {
        assert!(span.start <= span.end, "span {}..{}", span.start, span.end);
        assert!(span.end <= normalized.len(), "span past the text");
        assert!(
            normalized.is_char_boundary(span.start) && normalized.is_char_boundary(span.end),
            "span {}..{} not on char boundaries",
            span.start,
            span.end
        );
        assert_eq!(&normalized[span.start..span.end], span.text, "span text");
    }
    assert_eq!(
        decision.snippet.trim(),
        decision.snippet,
        "snippet not trimmed"
    );
    assert!(
        normalized.contains(decision.snippet.as_str()),
        "snippet not in the text"
    );
    check_date(&decision.event_date);
    if let Some(p) = &decision.project {
        assert!(!p.trim().is_empty(), "empty project name");
    }

    // the public pieces, on the normalized and on the raw text
    let now = published_unix_ms;
    for t in [normalized.as_str(), doc.text.as_str()] {
        let parts = sentences::split(t);
        check_ranges(t, &parts, "sentences");
        let hits = f.rules.lexicon.hits(t);
        for h in &hits {
            check_ranges(t, &[(h.start, h.end)], "lexicon hit");
        }
        check_date(&f.rules.dates.find(t, now));
        let focus = parts.first().map_or("", |&(s, e)| &t[s..e]);
        check_date(&f.rules.dates.find(focus, now));
        let who = f.rules.entities.attribute(t, focus, &f.config);
        if who.watchlist {
            assert!(who.project.is_some(), "watchlist match without a project");
        }
        let mut candidates = attribution::Candidates::new(t, focus);
        attribution::propose_pairs(t, &mut candidates);
        if let Some(best) = candidates.best() {
            assert!(best.score.is_finite(), "candidate score {}", best.score);
            let _ = attribution::is_not_the_project(&best.name);
        }
        let _ = f.rules.has_ticker(t);
        let _ = dates::parse_iso_day(focus);
        let cut = features::head(t, selector as usize * 16);
        assert!(t.starts_with(cut) && cut.len() <= selector as usize * 16);
    }
    let (y, m, d) = dates::civil(now);
    assert!(
        (1..=12).contains(&m) && (1..=31).contains(&d),
        "civil({now}) = {y}-{m}-{d}"
    );
});
