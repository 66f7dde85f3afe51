//! What the learned model sees of a document: a sparse vector of hashed
//! features in groups, each group scaled to unit length so a long text
//! does not outweigh a short one:
//!
//! - `word` — word unigrams and bigrams of the text's head (CJK and kana
//!   characters are words of their own, so bigrams are character pairs);
//! - `title` — the same for the first line;
//! - `char` — character 3- and 4-grams of the head, across word edges
//!   (they carry across languages, scripts and inflections);
//! - `rule` — the rules' reading: cue classes in the deciding sentence, in
//!   the title and anywhere, the rules' score, the document signals, and
//!   shapes (ticker, cashtag, date, exchange-notice title, length).
//!
//! The hashing is fixed (FNV-1a, then a 64-bit mix); [`FEATURE_VERSION`]
//! names this layout and is stored in the model file, so a model trained
//! on another layout is refused at load.

use crate::cues::Cue;
use crate::rules::{Analysis, Signal};

/// Version of the feature layout (part of the model file).
pub const FEATURE_VERSION: u32 = 2;
/// log2 of the number of hashed buckets.
pub const BITS: u32 = 18;
/// Number of hashed buckets.
pub const DIM: usize = 1 << BITS;
/// Bytes of the text read for word features.
const HEAD_BYTES: usize = 3_000;
/// Bytes of the text read for character n-grams.
const CHAR_BYTES: usize = 1_500;
/// Bytes of the first line read as the title.
const TITLE_BYTES: usize = 300;

/// A sparse feature vector (indices unique).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Bucket indices (below [`DIM`]), unique.
    pub indices: Vec<u32>,
    /// The value of each bucket in `indices`, in the same order.
    pub values: Vec<f32>,
}

impl Features {
    /// The dot product with dense `weights` (length [`DIM`]).
    pub fn dot(&self, weights: &[f32]) -> f64 {
        self.indices
            .iter()
            .zip(&self.values)
            .map(|(&i, &v)| f64::from(weights.get(i as usize).copied().unwrap_or(0.0) * v))
            .sum()
    }
}

/// One namespace of hashed keys being collected.
struct Group {
    name: String,
    seed: u64,
    keys: Vec<u32>,
}

impl Group {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            seed: fnv(FNV_OFFSET, name.as_bytes()),
            keys: Vec::with_capacity(256),
        }
    }

    fn add_hash(&mut self, h: u64) {
        self.keys.push(bucket(self.seed ^ h));
    }

    fn add(&mut self, key: &str) {
        self.add_hash(fnv(FNV_OFFSET, key.as_bytes()));
    }

    /// Adds the group's keys (binary presence, scaled to unit length).
    fn finish(self, into: &mut Vec<(u32, f32)>) {
        let w = group_weight(&self.name);
        self.finish_scaled(into, w);
    }

    fn finish_scaled(mut self, into: &mut Vec<(u32, f32)>, scale: f32) {
        self.keys.sort_unstable();
        self.keys.dedup();
        if self.keys.is_empty() {
            return;
        }
        let value = scale / (self.keys.len() as f32).sqrt();
        into.extend(self.keys.into_iter().map(|k| (k, value)));
    }
}

/// Weight of a group (chosen by grouped cross-validation on the shared
/// development set: the title's own n-grams added nothing the word group
/// does not carry).
fn group_weight(name: &str) -> f32 {
    match name {
        "title" => 0.0,
        _ => 1.0,
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn fnv_char(h: u64, c: char) -> u64 {
    fnv(h, &(c as u32).to_le_bytes())
}

/// A 64-bit finalizer (splitmix64) so nearby hashes land far apart.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn bucket(h: u64) -> u32 {
    (mix(h) >> (64 - BITS)) as u32
}

/// Ideographs and kana: each is a word of its own.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x31F0..=0x31FF)
}

/// `text` cut to at most `max` bytes at a char boundary.
pub fn head(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max)]
}

/// Lowercased words of `text` as hashes: runs of letters and digits
/// (a `$` prefix kept, so cashtags differ from words), each CJK character
/// alone.
fn word_hashes(text: &str, out: &mut Vec<u64>) {
    let mut current: Option<u64> = None;
    let flush = |current: &mut Option<u64>, out: &mut Vec<u64>| {
        if let Some(h) = current.take() {
            out.push(h);
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush(&mut current, out);
            out.push(fnv_char(FNV_OFFSET, c));
        } else if c.is_alphanumeric() || (c == '$' && current.is_none()) {
            let h = current.unwrap_or(FNV_OFFSET);
            current = Some(if c.is_ascii() {
                fnv_char(h, c.to_ascii_lowercase())
            } else {
                c.to_lowercase().fold(h, fnv_char)
            });
        } else {
            flush(&mut current, out);
        }
    }
    flush(&mut current, out);
}

fn add_words(group: &mut Group, text: &str, scratch: &mut Vec<u64>) {
    scratch.clear();
    word_hashes(text, scratch);
    let mut previous = None;
    for &w in scratch.iter() {
        group.add_hash(w);
        if let Some(p) = previous {
            group.add_hash(mix(p).wrapping_add(w));
        }
        previous = Some(w);
    }
}

/// Character 3- and 4-grams, lowercased, every run of non-letters read as
/// one space.
fn add_char_grams(group: &mut Group, text: &str) {
    let mut window = [' '; 4];
    let mut filled = 1usize;
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_alphanumeric() {
            if c.is_ascii() {
                c.to_ascii_lowercase()
            } else {
                c.to_lowercase().next().unwrap_or(c)
            }
        } else {
            ' '
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        window.rotate_left(1);
        window[3] = c;
        filled = (filled + 1).min(4);
        if filled >= 3 {
            group.add_hash(
                window[1..]
                    .iter()
                    .fold(FNV_OFFSET ^ 3, |h, &c| fnv_char(h, c)),
            );
        }
        if filled >= 4 {
            group.add_hash(window.iter().fold(FNV_OFFSET ^ 4, |h, &c| fnv_char(h, c)));
        }
    }
}

fn cue_name(cue: Cue) -> &'static str {
    match cue {
        Cue::Tge => "tge",
        Cue::Launch => "launch",
        Cue::Claim => "claim",
        Cue::Listing => "listing",
        Cue::NewTokenVenue => "venue",
        Cue::Event => "event",
        Cue::Speculation => "speculation",
        Cue::Negation => "negation",
        Cue::Retrospective => "retrospective",
        Cue::ExistingToken => "existing",
        Cue::Scam => "scam",
        Cue::OtherSense => "other_sense",
        Cue::NotToken => "not_token",
        Cue::Explainer => "explainer",
        Cue::Topic => "topic",
    }
}

/// Facts about the text the rules module knows and the hashing cannot see.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shapes {
    /// The focus sentence holds a date.
    pub has_date: bool,
    /// The title (first line) holds a ticker.
    pub has_ticker_in_title: bool,
    /// The text has a `$` and a ticker (a cashtag like `$QNT`).
    pub has_cashtag: bool,
    /// The text has a `(` and a ticker (a "Name (TICK)" form).
    pub has_name_ticker: bool,
}

/// The features of `text` (normalized, title first) with the rules'
/// `analysis`.
pub fn extract(text: &str, analysis: &Analysis, shapes: Shapes, frames: &[String]) -> Features {
    let mut pairs: Vec<(u32, f32)> = Vec::with_capacity(1024);
    let mut scratch = Vec::with_capacity(512);
    let body = head(text, HEAD_BYTES);
    let mut words = Group::new("word");
    add_words(&mut words, body, &mut scratch);
    words.finish(&mut pairs);

    let title = head(crate::rules::first_line(text), TITLE_BYTES);
    let mut titles = Group::new("title");
    add_words(&mut titles, title, &mut scratch);
    titles.finish(&mut pairs);

    let mut chars = Group::new("char");
    add_char_grams(&mut chars, head(text, CHAR_BYTES));
    chars.finish(&mut pairs);

    let mut rule = Group::new("rule");
    let title_end = title.len();
    for hit in &analysis.hits {
        let name = cue_name(hit.cue);
        rule.add(&format!("any:{name}"));
        if hit.end <= title_end {
            rule.add(&format!("title:{name}"));
        }
    }
    for hit in analysis.focus_hits() {
        rule.add(&format!("focus:{}", cue_name(hit.cue)));
    }
    for signal in &analysis.signals {
        rule.add(&format!("signal:{}", signal.name()));
    }
    if analysis.focus.is_none() {
        rule.add("no_focus");
    }
    for (flag, name) in [
        (shapes.has_date, "date"),
        (shapes.has_ticker_in_title, "ticker_in_title"),
        (shapes.has_cashtag, "cashtag"),
        (shapes.has_name_ticker, "name_ticker"),
        (analysis.who.project.is_some(), "named_project"),
        (analysis.who.symbol.is_some(), "named_symbol"),
        (!text.contains('\n'), "title_only"),
    ] {
        if flag {
            rule.add(&format!("shape:{name}"));
        }
    }
    for frame in frames {
        rule.add(&format!("frame:{frame}"));
    }
    let length = match text.len() {
        0..=120 => "xs",
        121..=400 => "s",
        401..=1500 => "m",
        _ => "l",
    };
    rule.add(&format!("length:{length}"));
    rule.finish(&mut pairs);
    // the rules' score as a number (log-odds, scaled and clipped)
    let score = (analysis.score / 6.0).clamp(-2.0, 2.0) as f32;
    pairs.push((bucket(fnv(FNV_OFFSET, b"rule_score")), score));
    if analysis.signals.contains(&Signal::KnownToken) {
        pairs.push((bucket(fnv(FNV_OFFSET, b"known_token")), 1.0));
    }
    merge(pairs)
}

/// Sums values that landed in the same bucket and sorts by index.
fn merge(mut pairs: Vec<(u32, f32)>) -> Features {
    pairs.sort_unstable_by_key(|p| p.0);
    let mut features = Features {
        indices: Vec::with_capacity(pairs.len()),
        values: Vec::with_capacity(pairs.len()),
    };
    for (i, v) in pairs {
        if features.indices.last() == Some(&i) {
            if let Some(last) = features.values.last_mut() {
                *last += v;
            }
        } else {
            features.indices.push(i);
            features.values.push(v);
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_cjk_and_keep_cashtags_apart() {
        let mut out = Vec::new();
        word_hashes("Nova $NOVA 上线", &mut out);
        assert_eq!(out.len(), 4);
        let mut again = Vec::new();
        word_hashes("nova nova", &mut again);
        assert_eq!(out[0], again[0]);
        assert_ne!(out[1], again[1], "a cashtag is not the word");
    }

    #[test]
    fn head_cuts_at_char_boundaries() {
        assert_eq!(head("ab”cd", 3), "ab");
        assert_eq!(head("ab", 10), "ab");
    }

    #[test]
    fn groups_are_unit_length_and_indices_unique() {
        let rules = crate::rules::Rules::new();
        let text = "Binance Will List Orvane (ORV)\nOrvane token launch on May 3.";
        let analysis = rules.analyze(text, None, &crate::Config::default());
        let f = extract(text, &analysis, Shapes::default(), &[]);
        let mut sorted = f.indices.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), f.indices.len());
        assert!(f.values.iter().all(|v| v.is_finite()));
        assert!(f.indices.iter().all(|&i| (i as usize) < DIM));
    }
}
