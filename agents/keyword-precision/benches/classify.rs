//! Classification throughput on one core, on two inputs:
//!
//! - **dense**: the development corpus (short, nearly all token-event
//!   texts, hard negatives included) repeated to about 20 MB — the worst
//!   case, every document reaches sentence scoring;
//! - **stream**: a synthetic news stream of ~2 KB articles (market wraps,
//!   regulation, hacks, earnings; sentences assembled from fixed parts
//!   written for this bench) with one development-corpus item in fifty —
//!   closer to what a feed delivers.
//!
//! Prints MB/s and documents/s for each. Run:
//! `cargo bench -p keyword-precision --bench classify` (`CLASSIFY_BENCH_MB=N`
//! for N MB of stream instead of 200, e.g. under a profiler).

use std::time::Instant;

use keyword_precision::{Classifier, Document, eval::Example};

const SUBJECTS: &[&str] = &[
    "Bitcoin",
    "Ether",
    "The dollar index",
    "Asian equities",
    "A large lending desk",
    "The central bank",
    "A mid-sized exchange",
    "Stablecoin supply",
    "Options open interest",
    "A Nordic pension fund",
];
const VERBS: &[&str] = &[
    "slipped",
    "edged higher",
    "held steady",
    "drew scrutiny",
    "reported results",
    "widened its losses",
    "recovered part of the drop",
    "faced new questions",
];
const TAILS: &[&str] = &[
    "as traders weighed fresh inflation data from the United States.",
    "after a quiet weekend session with thin liquidity across venues.",
    "while analysts pointed to funding rates that stayed close to neutral.",
    "ahead of a scheduled speech by a senior rate setter on Thursday.",
    "following an outage that delayed withdrawals for roughly forty minutes.",
    "even as on-chain activity stayed near its three-month average.",
    "with volumes about a fifth below the thirty-day mean, according to desk notes.",
];

/// A deterministic ~2 KB article with no token-event cue.
fn article(seed: usize) -> String {
    let mut text = String::new();
    let mut i = seed;
    while text.len() < 2_000 {
        i = i
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pick =
            |list: &[&'static str], shift: u32| -> &'static str { list[(i >> shift) % list.len()] };
        text.push_str(pick(SUBJECTS, 7));
        text.push(' ');
        text.push_str(pick(VERBS, 17));
        text.push(' ');
        text.push_str(pick(TAILS, 27));
        text.push(' ');
    }
    text
}

fn run(name: &str, classifier: &Classifier, docs: &[Document], target_bytes: usize) {
    let corpus_bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let rounds = (target_bytes / corpus_bytes.max(1)).max(1);
    let mut positives = 0usize;
    for d in docs {
        positives += usize::from(classifier.classify(d).is_tge); // warm up
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for d in docs {
            positives += usize::from(classifier.classify(d).is_tge);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let bytes = (corpus_bytes * rounds) as f64;
    let n = (docs.len() * rounds) as f64;
    println!(
        "{name:>6}: {:>9.1} MB/s  {:>9.0} documents/s  ({} documents, {:.0} MB, mean {} bytes, {positives} positive decisions)",
        bytes / 1e6 / secs,
        n / secs,
        n as u64,
        bytes / 1e6,
        corpus_bytes / docs.len().max(1)
    );
}

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/tge_dev.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("corpus present");
    let examples: Vec<Example> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let doc = |id: String, text: String| Document {
        id,
        text,
        published_unix_ms: 1_796_083_200_000,
        ..Document::default()
    };
    let dense: Vec<Document> = examples
        .iter()
        .map(|e| doc(e.id.clone(), e.text.clone()))
        .collect();
    let stream: Vec<Document> = (0..2_000)
        .map(|i| {
            if i % 50 == 0 {
                let e = &examples[(i / 50) % examples.len()];
                doc(e.id.clone(), e.text.clone())
            } else {
                doc(format!("a{i}"), article(i))
            }
        })
        .collect();
    let classifier = Classifier::default();
    // CLASSIFY_BENCH_MB=2 for a short run (profilers); default 200 MB of stream
    let stream_bytes = std::env::var("CLASSIFY_BENCH_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(200_000_000, |mb| mb * 1_000_000);
    // CLASSIFY_BENCH_ONLY=stream (or dense) runs one of the two
    let only = std::env::var("CLASSIFY_BENCH_ONLY").unwrap_or_default();
    println!("classify, one core:");
    if only != "stream" {
        run("dense", &classifier, &dense, stream_bytes / 10);
    }
    if only != "dense" {
        run("stream", &classifier, &stream, stream_bytes);
    }
}
