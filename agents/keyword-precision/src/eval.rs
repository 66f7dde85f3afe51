//! Evaluation on labelled examples: precision, recall, F1, project
//! attribution accuracy, Brier score, a reliability table (is a 0.8 right
//! 80% of the time?), and the confusion cases.

use serde::{Deserialize, Deserializer, Serialize};

use crate::{Classifier, Decision, Document};

/// One labelled example (JSONL). `label` is `true`/`false` or
/// `"tge"`/`"not_tge"` (the shared development set's form).
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    /// Example id, carried into [`Case::id`].
    pub id: String,
    /// The document text the classifier reads.
    pub text: String,
    /// Whether the text announces a TGE.
    #[serde(deserialize_with = "label")]
    pub label: bool,
    /// The project the TGE belongs to (checked against the attribution); `None` for negatives.
    #[serde(default)]
    pub project: Option<String>,
    /// The project's ticker, also accepted as the attribution.
    #[serde(default)]
    pub symbol: Option<String>,
    /// Free-form grouping of the example (e.g. a hard-negative category), shown in cases.
    #[serde(default)]
    pub category: Option<String>,
    /// Kind of source the text came from, if recorded.
    #[serde(default)]
    pub source_kind: Option<String>,
    /// ISO 639-1 language code (`lang` accepted too), if recorded.
    #[serde(default, alias = "lang")]
    pub language: Option<String>,
}

fn label<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Label {
        Bool(bool),
        Name(String),
    }
    match Label::deserialize(d)? {
        Label::Bool(b) => Ok(b),
        Label::Name(n) => match n.as_str() {
            "tge" | "true" | "1" => Ok(true),
            "not_tge" | "false" | "0" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "label must be tge or not_tge; got `{other}`"
            ))),
        },
    }
}

/// Reads labelled JSONL, naming the line of any bad record.
///
/// # Errors
///
/// A line that is not a labelled example.
pub fn parse_examples(text: &str) -> Result<Vec<Example>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str::<Example>(l)
                .map_err(|e| format!("line {} is not a labelled example: {e}", n + 1))
        })
        .collect()
}

/// One bin of the reliability table.
#[derive(Debug, Clone, Serialize)]
pub struct Bin {
    /// Lower confidence bound of the bin (inclusive).
    pub from: f64,
    /// Upper confidence bound of the bin.
    pub to: f64,
    /// Examples whose confidence fell in the bin.
    pub count: usize,
    /// Mean confidence of those examples (0.0 when empty).
    pub mean_confidence: f64,
    /// Share of TGEs among the bin's examples.
    pub observed: f64,
}

/// A misclassified or misattributed example.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The example's id.
    pub id: String,
    /// `false_positive`, `false_negative` or `wrong_project`.
    pub kind: &'static str,
    /// The classifier's confidence (0.0–1.0).
    pub confidence: f64,
    /// The labelled project, if any.
    pub expected_project: Option<String>,
    /// The project the classifier attributed, if any.
    pub predicted_project: Option<String>,
    /// The example's category, if any.
    pub category: Option<String>,
    /// The example's text.
    pub text: String,
}

/// Metrics over a labelled set.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Examples evaluated.
    pub examples: usize,
    /// Examples labelled TGE.
    pub positives: usize,
    /// Detected and labelled TGE.
    pub true_positives: usize,
    /// Detected but labelled not TGE.
    pub false_positives: usize,
    /// Labelled TGE but not detected.
    pub false_negatives: usize,
    /// `tp / (tp + fp)` (0.0 when nothing was detected).
    pub precision: f64,
    /// `tp / (tp + fn)` (0.0 when there are no positives).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Among true positives, share attributed to the labelled project.
    pub attribution_accuracy: f64,
    /// Mean squared error of the confidence against the label.
    pub brier: f64,
    /// Ten equal-width confidence bins.
    pub reliability: Vec<Bin>,
    /// Misclassified and misattributed examples, in example order.
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

/// A project name for comparison: lowercased, without `$` and generic
/// words.
pub fn norm(name: &str) -> String {
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
    let decisions: Vec<Decision> = examples
        .iter()
        .map(|ex| {
            classifier.classify(&Document {
                id: ex.id.clone(),
                text: ex.text.clone(),
                ..Document::default()
            })
        })
        .collect();
    report(examples, &decisions)
}

/// Whether `got` names the project `ex` is labelled with.
pub fn attributed(ex: &Example, got: Option<&str>) -> bool {
    match (&ex.project, got) {
        (Some(want), Some(got)) => {
            norm(want) == norm(got) || ex.symbol.as_deref().is_some_and(|s| norm(s) == norm(got))
        }
        (None, _) => true,
        _ => false,
    }
}

/// The metrics of `decisions` (one per example, in order).
pub fn report(examples: &[Example], decisions: &[Decision]) -> Report {
    let (mut tp, mut fp, mut fneg, mut attributed_right, mut brier) = (0, 0, 0, 0, 0.0);
    let mut cases = Vec::new();
    let mut bins: Vec<(usize, f64, usize)> = vec![(0, 0.0, 0); 10];
    for (ex, d) in examples.iter().zip(decisions) {
        let y = if ex.label { 1.0 } else { 0.0 };
        brier += (d.confidence - y) * (d.confidence - y);
        let bin = &mut bins[((d.confidence * 10.0) as usize).min(9)];
        bin.0 += 1;
        bin.1 += d.confidence;
        bin.2 += usize::from(ex.label);
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
                if attributed(ex, d.project.as_deref()) {
                    attributed_right += 1;
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
        attribution_accuracy: ratio(attributed_right, tp),
        brier: if examples.is_empty() {
            0.0
        } else {
            brier / examples.len() as f64
        },
        reliability: bins
            .iter()
            .enumerate()
            .map(|(i, &(count, sum, positives))| Bin {
                from: i as f64 / 10.0,
                to: (i + 1) as f64 / 10.0,
                count,
                mean_confidence: if count == 0 { 0.0 } else { sum / count as f64 },
                observed: ratio(positives, count),
            })
            .collect(),
        cases,
    }
}

impl Report {
    /// The report as text: the figures, the reliability table, and (when
    /// `cases`) the misclassified examples.
    pub fn render(&self, cases: bool) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "examples {}  positives {}\nprecision {:.3}  recall {:.3}  F1 {:.3}\nattribution accuracy {:.3}  Brier {:.4}\nTP {}  FP {}  FN {}",
            self.examples,
            self.positives,
            self.precision,
            self.recall,
            self.f1,
            self.attribution_accuracy,
            self.brier,
            self.true_positives,
            self.false_positives,
            self.false_negatives
        );
        let _ = writeln!(
            out,
            "\nreliability (confidence bin: n, mean confidence, share TGE)"
        );
        for bin in &self.reliability {
            let _ = writeln!(
                out,
                "  {:.1}-{:.1}: {:>4}  {:.3}  {}",
                bin.from,
                bin.to,
                bin.count,
                bin.mean_confidence,
                if bin.count == 0 {
                    "-".to_string()
                } else {
                    format!("{:.3}", bin.observed)
                }
            );
        }
        if cases {
            for case in &self.cases {
                let text: String = case.text.chars().take(300).collect();
                let _ = writeln!(
                    out,
                    "\n[{}] {} p={:.2} expected={:?} got={:?} ({})\n  {}",
                    case.kind,
                    case.id,
                    case.confidence,
                    case.expected_project,
                    case.predicted_project,
                    case.category.as_deref().unwrap_or("-"),
                    text.replace('\n', " / ")
                );
            }
        }
        out
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
        parse_examples(&text).expect("valid labelled lines")
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
            report.precision >= 0.92,
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

    /// Project-grouped 5-fold cross-validation on the shared real-text
    /// development set (`../shared/detection/real-dev.jsonl`, present on
    /// CI): the figures must not fall below what the model reached
    /// (P 0.750, R 0.795, attribution 0.817, Brier 0.152) minus a margin.
    #[test]
    fn grouped_cross_validation_on_the_shared_real_texts_holds() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/detection/real-dev.jsonl"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("the shared development set {path}: {e}"));
        let examples = parse_examples(&text).expect("labelled lines");
        let decisions = crate::training::cross_validate(
            &examples,
            &[],
            5,
            &crate::Config::default(),
            crate::linear::Settings::default(),
        );
        let report = report(&examples, &decisions);
        let figures = format!(
            "P {:.3} R {:.3} attribution {:.3} Brier {:.4}",
            report.precision, report.recall, report.attribution_accuracy, report.brier
        );
        assert!(report.precision >= 0.70, "{figures}");
        assert!(report.recall >= 0.75, "{figures}");
        assert!(report.attribution_accuracy >= 0.78, "{figures}");
        assert!(report.brier <= 0.17, "{figures}");
    }
}
