//! Classification throughput on one core: the development corpus repeated
//! to about 20 MB, classified one document at a time. Prints MB/s and
//! documents/s. Run: `cargo bench -p keyword-precision --bench classify`.

use std::time::Instant;

use keyword_precision::{Classifier, Document, eval::Example};

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
    let docs: Vec<Document> = examples
        .iter()
        .map(|e| Document {
            id: e.id.clone(),
            text: e.text.clone(),
            published_unix_ms: 1_796_083_200_000,
            ..Document::default()
        })
        .collect();
    let corpus_bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let rounds = (20_000_000 / corpus_bytes.max(1)).max(1);
    let classifier = Classifier::default();
    // warm up
    let mut positives = 0usize;
    for d in &docs {
        positives += usize::from(classifier.classify(d).is_tge);
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for d in &docs {
            positives += usize::from(classifier.classify(d).is_tge);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let bytes = (corpus_bytes * rounds) as f64;
    let n = (docs.len() * rounds) as f64;
    println!(
        "classify: {} documents ({:.1} MB), one core",
        n as u64,
        bytes / 1e6
    );
    println!(
        "  throughput  {:.1} MB/s   {:.0} documents/s   (mean document {} bytes; {positives} positive decisions)",
        bytes / 1e6 / secs,
        n / secs,
        corpus_bytes / docs.len().max(1)
    );
}
