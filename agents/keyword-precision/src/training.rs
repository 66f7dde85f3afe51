//! Training and honest evaluation of the model:
//!
//! - [`train`] fits the linear model on every labelled example, with the
//!   Platt calibration fitted on out-of-fold scores of an inner grouped
//!   K-fold (scores of examples the model did not see), so confidences
//!   are probabilities and not the training fit's overconfidence;
//! - [`cross_validate`] is project-grouped K-fold cross-validation: every
//!   record of one project sits in one fold, so a fold never tests on a
//!   project it trained on (records with no project are grouped by id).
//!
//! Both are deterministic: folds come from a hash of the group, the
//! training order from a fixed seed.

use crate::eval::{self, Example};
use crate::features::Features;
use crate::linear::{self, Platt, Settings};
use crate::model_file::Model;
use crate::{Classifier, Config, Decision, Document};

/// Folds of the inner split that calibrates.
const CALIBRATION_FOLDS: usize = 5;

/// The group an example belongs to for grouped folds.
pub fn group_of(example: &Example) -> String {
    match &example.project {
        Some(project) if example.label => format!("project:{}", eval::norm(project)),
        _ => format!("id:{}", example.id),
    }
}

/// The fold (of `k`) of a group.
pub fn fold_of(group: &str, k: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in group.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % k.max(1) as u64) as usize
}

fn document(example: &Example) -> Document {
    Document {
        id: example.id.clone(),
        text: example.text.clone(),
        ..Document::default()
    }
}

/// A featurized example.
struct Row {
    features: Option<Features>,
    label: bool,
    /// Outer fold (cross-validation).
    fold: usize,
    /// Inner fold (calibration), independent of the outer one.
    inner: usize,
}

fn rows(rules: &Classifier, examples: &[Example], k: usize) -> Vec<Row> {
    examples
        .iter()
        .map(|ex| {
            let group = group_of(ex);
            Row {
                features: rules.read(&document(ex)).features,
                label: ex.label,
                fold: fold_of(&group, k),
                inner: fold_of(&format!("{group}/calibration"), CALIBRATION_FOLDS),
            }
        })
        .collect()
}

fn fit(rows: &[&Row], settings: Settings) -> Model {
    let data: Vec<(&Features, bool)> = rows
        .iter()
        .filter_map(|r| r.features.as_ref().map(|x| (x, r.label)))
        .collect();
    // out-of-fold scores for the calibration
    let mut scores = Vec::with_capacity(data.len());
    let mut labels = Vec::with_capacity(data.len());
    for fold in 0..CALIBRATION_FOLDS {
        let inner_train: Vec<(&Features, bool)> = rows
            .iter()
            .filter(|r| r.inner != fold)
            .filter_map(|r| r.features.as_ref().map(|x| (x, r.label)))
            .collect();
        let model = linear::train(&inner_train, settings);
        for r in rows.iter().filter(|r| r.inner == fold) {
            if let Some(x) = &r.features {
                scores.push(model.score(x));
                labels.push(r.label);
            }
        }
    }
    let platt = Platt::fit(&scores, &labels);
    let gated: Vec<bool> = rows
        .iter()
        .filter(|r| r.features.is_none())
        .map(|r| r.label)
        .collect();
    let gated_positives = gated.iter().filter(|&&y| y).count() as f64;
    Model {
        linear: linear::train(&data, settings),
        platt,
        gated_probability: ((gated_positives + 0.5) / (gated.len() as f64 + 1.0)).min(0.5),
    }
}

/// Trains a calibrated model on `examples`.
pub fn train(examples: &[Example], config: &Config, settings: Settings) -> Model {
    let reader = reader(config);
    let rows = rows(&reader, examples, 1);
    let refs: Vec<&Row> = rows.iter().collect();
    fit(&refs, settings)
}

/// A classifier used only to read texts (its model is not used).
fn reader(config: &Config) -> Classifier {
    Classifier::with_model(
        config.clone(),
        Model {
            linear: linear::Linear {
                weights: Vec::new(),
                bias: 0.0,
            },
            platt: Platt::IDENTITY,
            gated_probability: 0.0,
        },
    )
}

/// Project-grouped `k`-fold cross-validation on `examples`: each fold is
/// classified by a model trained on the other folds plus `extra` (other
/// corpora, never tested on). Returns one decision per example, in order.
pub fn cross_validate(
    examples: &[Example],
    extra: &[Example],
    k: usize,
    config: &Config,
    settings: Settings,
) -> Vec<Decision> {
    let reader = reader(config);
    let k = k.max(2);
    let rows = rows(&reader, examples, k);
    let extra_rows = self::rows(&reader, extra, 1);
    let mut decisions: Vec<Option<Decision>> = vec![None; examples.len()];
    for fold in 0..k {
        let train: Vec<&Row> = rows
            .iter()
            .filter(|r| r.fold != fold)
            .chain(extra_rows.iter())
            .collect();
        let classifier = Classifier::with_model(config.clone(), fit(&train, settings));
        for (i, ex) in examples.iter().enumerate() {
            if rows[i].fold == fold {
                decisions[i] = Some(classifier.classify(&document(ex)));
            }
        }
    }
    decisions.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_keep_a_project_together() {
        let ex = |id: &str, project: Option<&str>, label| Example {
            id: id.into(),
            text: String::new(),
            label,
            project: project.map(str::to_string),
            symbol: None,
            category: None,
            source_kind: None,
            language: None,
        };
        let a = ex("1", Some("Orvane Labs"), true);
        let b = ex("2", Some("orvane"), true);
        assert_eq!(group_of(&a), group_of(&b));
        assert_eq!(fold_of(&group_of(&a), 5), fold_of(&group_of(&b), 5));
        assert_ne!(
            group_of(&ex("3", None, false)),
            group_of(&ex("4", None, false))
        );
        let spread: std::collections::HashSet<usize> =
            (0..200).map(|i| fold_of(&format!("id:{i}"), 5)).collect();
        assert_eq!(spread.len(), 5);
    }
}
