//! The trained model as a compact, versioned binary file: numbers derived
//! from the training data (weights of hashed features, the Platt
//! calibration, the probability given to texts without any token word),
//! never the texts. The default model is compiled into the binary
//! (`model/tge.model`, made by `keyword-precision train`); `--model FILE`
//! loads another.
//!
//! Layout (little-endian): `TGEM`, format version u32, feature layout
//! version u32, hash bits u32, bias f64, Platt a f64, Platt b f64, gated
//! probability f64, count u32, then `count` entries of (bucket index
//! delta as LEB128 varint, weight f32) in increasing index order.

use thiserror::Error;

use crate::features::{self, Features};
use crate::linear::{Linear, Platt};

const MAGIC: &[u8; 4] = b"TGEM";
const FORMAT_VERSION: u32 = 1;
/// Weights smaller than this are dropped when saving.
const PRUNE_BELOW: f32 = 1e-4;

/// The default model, trained by `keyword-precision train`.
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../model/tge.model");

/// A calibrated model.
#[derive(Debug, Clone)]
pub struct Model {
    /// Weights of the hashed features and the bias (raw score).
    pub linear: Linear,
    /// Calibration of the raw score into a probability.
    pub platt: Platt,
    /// P(TGE) for a text with no token word at all (the rate among such
    /// training texts, smoothed).
    pub gated_probability: f64,
}

/// Why a model file cannot be used.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The file does not start with `TGEM`.
    #[error("not a TGE model file (bad magic)")]
    Magic,
    /// The file's format version (given) is not the one this build reads.
    #[error("model file format {0} is not supported (this build reads {FORMAT_VERSION})")]
    Format(u32),
    /// The model was trained on other features than this build extracts.
    #[error(
        "model was trained on feature layout {found} with {bits} hash bits; this build extracts layout {} with {} bits: retrain with `keyword-precision train`",
        features::FEATURE_VERSION,
        features::BITS
    )]
    Layout {
        /// The file's feature layout version.
        found: u32,
        /// The file's number of hash bits.
        bits: u32,
    },
    /// The file ends early or holds an impossible value at this byte offset.
    #[error("model file is truncated or corrupt at byte {0}")]
    Truncated(usize),
    /// A weight's bucket index (given) is outside the `features::DIM` feature space.
    #[error("model file has a weight index {0} outside the feature space")]
    Index(u64),
}

impl Model {
    /// P(TGE) of `x`.
    pub fn probability(&self, x: &Features) -> f64 {
        self.platt.probability(self.linear.score(x))
    }

    /// The compiled-in default model.
    ///
    /// # Panics
    ///
    /// If the bundled file does not load: a test guards it.
    pub fn bundled() -> Self {
        Self::from_bytes(DEFAULT_MODEL)
            .unwrap_or_else(|e| panic!("the bundled model/tge.model does not load: {e}"))
    }

    /// Serializes the model.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&features::FEATURE_VERSION.to_le_bytes());
        out.extend_from_slice(&features::BITS.to_le_bytes());
        for v in [
            self.linear.bias,
            self.platt.a,
            self.platt.b,
            self.gated_probability,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let kept: Vec<(usize, f32)> = self
            .linear
            .weights
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, w)| w.abs() >= PRUNE_BELOW)
            .collect();
        out.extend_from_slice(&(kept.len() as u32).to_le_bytes());
        let mut previous = 0usize;
        for (i, w) in kept {
            write_varint(&mut out, (i - previous) as u64);
            previous = i;
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Reads a model file.
    ///
    /// # Errors
    ///
    /// A file that is not a model, another format or feature layout, or
    /// truncated.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err(ModelError::Magic);
        }
        let format = r.u32()?;
        if format != FORMAT_VERSION {
            return Err(ModelError::Format(format));
        }
        let layout = r.u32()?;
        let bits = r.u32()?;
        if layout != features::FEATURE_VERSION || bits != features::BITS {
            return Err(ModelError::Layout {
                found: layout,
                bits,
            });
        }
        let bias = r.f64()?;
        let platt = Platt {
            a: r.f64()?,
            b: r.f64()?,
        };
        let gated_probability = r.f64()?;
        let count = r.u32()?;
        let mut weights = vec![0f32; features::DIM];
        let mut index = 0u64;
        for _ in 0..count {
            index += r.varint()?;
            let slot = weights
                .get_mut(usize::try_from(index).unwrap_or(usize::MAX))
                .ok_or(ModelError::Index(index))?;
            *slot = f32::from_le_bytes(r.array()?);
        }
        Ok(Model {
            linear: Linear { weights, bias },
            platt,
            gated_probability,
        })
    }
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ModelError> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(ModelError::Truncated(self.at))?;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(ModelError::Truncated(self.at))?;
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let at = self.at;
        self.take(N)?
            .try_into()
            .map_err(|_| ModelError::Truncated(at))
    }

    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn f64(&mut self) -> Result<f64, ModelError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    fn varint(&mut self) -> Result<u64, ModelError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(ModelError::Truncated(self.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_survives_a_round_trip_and_bad_files_are_refused() {
        let mut weights = vec![0f32; features::DIM];
        weights[3] = 0.5;
        weights[features::DIM - 1] = -1.25;
        let model = Model {
            linear: Linear { weights, bias: 0.3 },
            platt: Platt { a: 1.5, b: -0.2 },
            gated_probability: 0.01,
        };
        let bytes = model.to_bytes();
        let back = Model::from_bytes(&bytes).expect("round trip");
        assert_eq!(back.linear.weights[3], 0.5);
        assert_eq!(back.linear.weights[features::DIM - 1], -1.25);
        assert_eq!(back.platt, model.platt);
        assert!(matches!(Model::from_bytes(b"nope"), Err(ModelError::Magic)));
        assert!(matches!(
            Model::from_bytes(&bytes[..bytes.len() - 2]),
            Err(ModelError::Truncated(_))
        ));
        let mut other_layout = bytes.clone();
        other_layout[8] ^= 0xff;
        assert!(matches!(
            Model::from_bytes(&other_layout),
            Err(ModelError::Layout { .. })
        ));
    }

    #[test]
    fn the_bundled_model_loads() {
        let model = Model::bundled();
        assert!(model.linear.weights.iter().any(|w| *w != 0.0));
        assert!((0.0..0.5).contains(&model.gated_probability));
    }
}
