//! Evaluation on labelled examples: precision, recall, F1, project
//! attribution accuracy, Brier score, and the confusion cases.

use serde::{Deserialize, Serialize};

use crate::{Classifier, Document};

/// One labelled example (JSONL).
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    pub id: String,
    pub text: String,
    pub label: bool,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
}

/// A misclassified or misattributed example.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: String,
    pub kind: &'static str,
    pub confidence: f64,
    pub expected_project: Option<String>,
    pub predicted_project: Option<String>,
    pub category: Option<String>,
    pub text: String,
}

/// Metrics over a labelled set.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub examples: usize,
    pub positives: usize,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Among true positives, share attributed to the labelled project.
    pub attribution_accuracy: f64,
    /// Mean squared error of the confidence against the label.
    pub brier: f64,
    pub cases: Vec<Case>,
}

/// Generic words a project name may carry or drop ("Kelpie Network" is
/// "Kelpie").
const SUFFIXES: &[&str] = &[
    "network",
    "protocol",
    "labs",
    "finance",
    "foundation",
    "dao",
    "chain",
    "markets",
    "rollup",
    "guild",
    "token",
    "the",
];

fn norm(name: &str) -> String {
    name.trim()
        .trim_start_matches('$')
        .to_lowercase()
        .split_whitespace()
        .filter(|w| !SUFFIXES.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Evaluates `classifier` on `examples`.
pub fn evaluate(classifier: &Classifier, examples: &[Example]) -> Report {
    let (mut tp, mut fp, mut fneg, mut attributed, mut brier) = (0, 0, 0, 0, 0.0);
    let mut cases = Vec::new();
    for ex in examples {
        let d = classifier.classify(&Document {
            id: ex.id.clone(),
            text: ex.text.clone(),
            ..Document::default()
        });
        let y = if ex.label { 1.0 } else { 0.0 };
        brier += (d.confidence - y) * (d.confidence - y);
        let case = |kind| Case {
            id: ex.id.clone(),
            kind,
            confidence: d.confidence,
            expected_project: ex.project.clone(),
            predicted_project: d.project.clone(),
            category: ex.category.clone(),
            text: ex.text.clone(),
        };
        match (ex.label, d.is_tge) {
            (true, true) => {
                tp += 1;
                let right = match (&ex.project, &d.project) {
                    (Some(want), Some(got)) => {
                        norm(want) == norm(got)
                            || ex.symbol.as_deref().is_some_and(|s| norm(s) == norm(got))
                    }
                    (None, _) => true,
                    _ => false,
                };
                if right {
                    attributed += 1;
                } else {
                    cases.push(case("wrong_project"));
                }
            }
            (false, true) => {
                fp += 1;
                cases.push(case("false_positive"));
            }
            (true, false) => {
                fneg += 1;
                cases.push(case("false_negative"));
            }
            (false, false) => {}
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    Report {
        examples: examples.len(),
        positives: examples.iter().filter(|e| e.label).count(),
        true_positives: tp,
        false_positives: fp,
        false_negatives: fneg,
        precision,
        recall,
        f1: if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
        attribution_accuracy: ratio(attributed, tp),
        brier: if examples.is_empty() {
            0.0
        } else {
            brier / examples.len() as f64
        },
        cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<Example> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/corpus/tge_dev.jsonl"
        );
        let text =
            std::fs::read_to_string(path).expect("the development corpus is in tests/corpus");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("valid labelled line"))
            .collect()
    }

    #[test]
    fn dev_corpus_is_large_and_balanced_enough() {
        let examples = corpus();
        let positives = examples.iter().filter(|e| e.label).count();
        assert!(examples.len() >= 300, "{} examples", examples.len());
        let share = positives as f64 / examples.len() as f64;
        assert!((0.3..=0.5).contains(&share), "positive share {share:.2}");
    }

    #[test]
    fn dev_corpus_meets_precision_and_recall_targets() {
        let report = evaluate(&Classifier::default(), &corpus());
        let cases: Vec<String> = report
            .cases
            .iter()
            .map(|c| format!("{} {} {}", c.kind, c.id, c.text))
            .collect();
        assert!(
            report.precision >= 0.95,
            "precision {:.3}\n{}",
            report.precision,
            cases.join("\n")
        );
        assert!(
            report.recall >= 0.90,
            "recall {:.3}\n{}",
            report.recall,
            cases.join("\n")
        );
        assert!(report.brier < 0.08, "Brier {:.4}", report.brier);
    }
}
