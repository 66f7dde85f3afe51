//! The learned part: L2-regularised logistic regression over
//! [`crate::features`], trained by AdaGrad SGD in a fixed, seeded order
//! (the same data gives the same weights), then calibrated with Platt
//! scaling fitted on out-of-fold scores, so the output is P(TGE).

use crate::features::{DIM, Features};

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Passes over the training data (each in a fresh shuffled order).
    pub epochs: usize,
    /// AdaGrad base step size.
    pub learning_rate: f64,
    /// L2 penalty per weight (applied on every update of that weight).
    pub l2: f64,
    /// Seed of the shuffle, so a training run is reproducible.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            epochs: 30,
            learning_rate: 0.4,
            l2: 3e-2,
            seed: 0x7367_6521,
        }
    }
}

/// A raw (uncalibrated) linear scorer.
#[derive(Debug, Clone)]
pub struct Linear {
    /// One weight per hashed feature bucket (`DIM` of them).
    pub weights: Vec<f32>,
    /// Intercept of the log-odds.
    pub bias: f64,
}

impl Linear {
    /// The log-odds of `x`.
    pub fn score(&self, x: &Features) -> f64 {
        self.bias + x.dot(&self.weights)
    }
}

/// Platt scaling: P = σ(a·score + b).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Platt {
    /// Slope on the raw score.
    pub a: f64,
    /// Offset of the calibrated log-odds.
    pub b: f64,
}

impl Platt {
    /// No change.
    pub const IDENTITY: Platt = Platt { a: 1.0, b: 0.0 };

    /// The probability of a raw score.
    pub fn probability(&self, score: f64) -> f64 {
        sigmoid(self.a * score + self.b)
    }

    /// Fits `a`, `b` to (score, label) pairs by Newton's method on the
    /// log-loss, with Platt's smoothed targets (no probability of exactly
    /// 0 or 1 from a finite set).
    pub fn fit(scores: &[f64], labels: &[bool]) -> Platt {
        let positives = labels.iter().filter(|&&y| y).count() as f64;
        let negatives = labels.len() as f64 - positives;
        if positives == 0.0 || negatives == 0.0 {
            return Platt::IDENTITY;
        }
        let hi = (positives + 1.0) / (positives + 2.0);
        let lo = 1.0 / (negatives + 2.0);
        let targets: Vec<f64> = labels.iter().map(|&y| if y { hi } else { lo }).collect();
        let (mut a, mut b) = (1.0, 0.0);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
            for (&s, &t) in scores.iter().zip(&targets) {
                let p = sigmoid(a * s + b);
                let d = p - t;
                let w = p * (1.0 - p);
                ga += d * s;
                gb += d;
                haa += w * s * s;
                hab += w * s;
                hbb += w;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-12 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            // backtracking: a Newton step may overshoot far from the optimum
            let before = log_loss(scores, &targets, a, b);
            let mut step = 1.0;
            while step > 1e-6 && log_loss(scores, &targets, a - step * da, b - step * db) > before {
                step /= 2.0;
            }
            a -= step * da;
            b -= step * db;
            if (step * da).abs() < 1e-9 && (step * db).abs() < 1e-9 {
                break;
            }
        }
        if a.is_finite() && b.is_finite() {
            Platt { a, b }
        } else {
            Platt::IDENTITY
        }
    }
}

fn log_loss(scores: &[f64], targets: &[f64], a: f64, b: f64) -> f64 {
    scores
        .iter()
        .zip(targets)
        .map(|(&s, &t)| {
            let z = a * s + b;
            // log(1 + e^z) − t·z, stable for large |z|
            z.max(0.0) + (-z.abs()).exp().ln_1p() - t * z
        })
        .sum()
}

/// The logistic function.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A small deterministic generator (xorshift64*) for the training order.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Trains on `(x, y)` pairs; both classes weigh the same in total.
pub fn train(data: &[(&Features, bool)], settings: Settings) -> Linear {
    let mut weights = vec![0f32; DIM];
    let mut accum = vec![0f32; DIM];
    let mut bias = 0.0f64;
    let mut bias_accum = 0.0f64;
    let positives = data.iter().filter(|(_, y)| *y).count().max(1) as f64;
    let negatives = (data.len() as f64 - positives).max(1.0);
    let n = data.len() as f64;
    let class_weight = |y: bool| {
        if y {
            n / (2.0 * positives)
        } else {
            n / (2.0 * negatives)
        }
    };
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Rng(settings.seed | 1);
    let lr = settings.learning_rate;
    for _ in 0..settings.epochs {
        rng.shuffle(&mut order);
        for &k in &order {
            let (x, y) = data[k];
            let z = bias + x.dot(&weights);
            let g = (sigmoid(z) - if y { 1.0 } else { 0.0 }) * class_weight(y);
            for (&i, &v) in x.indices.iter().zip(&x.values) {
                let i = i as usize;
                let grad = g * f64::from(v) + settings.l2 * f64::from(weights[i]);
                accum[i] += (grad * grad) as f32;
                weights[i] -= (lr * grad / (f64::from(accum[i]).sqrt() + 1e-8)) as f32;
            }
            bias_accum += g * g;
            bias -= lr * g / (bias_accum.sqrt() + 1e-8);
        }
    }
    Linear { weights, bias }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(indices: &[u32]) -> Features {
        Features {
            indices: indices.to_vec(),
            values: vec![1.0; indices.len()],
        }
    }

    #[test]
    fn learns_a_separable_rule_and_platt_keeps_order() {
        let pos = x(&[1, 2]);
        let neg = x(&[1, 3]);
        let data: Vec<(&Features, bool)> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    (&pos, true)
                } else {
                    (&neg, false)
                }
            })
            .collect();
        let model = train(&data, Settings::default());
        assert!(model.score(&pos) > 1.0 && model.score(&neg) < -1.0);
        let scores = [model.score(&pos), model.score(&neg)];
        let platt = Platt::fit(&scores, &[true, false]);
        assert!(platt.probability(scores[0]) > platt.probability(scores[1]));
    }

    #[test]
    fn platt_recovers_a_known_calibration() {
        // labels drawn so that P(y) = σ(0.5·s − 1) exactly in proportion
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for step in -40..=40 {
            let s = f64::from(step) / 4.0;
            let p = sigmoid(0.5 * s - 1.0);
            let ones = (p * 100.0).round() as usize;
            for k in 0..100 {
                scores.push(s);
                labels.push(k < ones);
            }
        }
        let platt = Platt::fit(&scores, &labels);
        assert!((platt.a - 0.5).abs() < 0.05, "{platt:?}");
        assert!((platt.b + 1.0).abs() < 0.05, "{platt:?}");
    }
}
