//! keyword-precision: decides whether a document announces a TGE (token
//! generation event: a token launch, a claim/airdrop going live, the first
//! listing of a new token), for which project, when, with what probability
//! and on what evidence.
//!
//! - [`normalize`] — entities, curly quotes, markdown made plain;
//! - [`cues`], [`cues_intl`] — the lexicon (Aho-Corasick), English and
//!   other languages;
//! - [`sentences`] — cues are judged in the sentence they stand in;
//! - [`model`] — hand-set cue weights: the rules' score of a sentence;
//! - [`rules`] — the rules' reading of a whole text;
//! - [`features`] — hashed n-grams and rule features for the model;
//! - [`linear`], [`model_file`] — the learned, calibrated model;
//! - [`training`] — `train` and grouped cross-validation;
//! - [`entities`] — watchlist gazetteer and open-world project detection;
//! - [`dates`] — event date and its precision;
//! - [`config`] — watchlist and tokens that already trade; `reload` —
//!   the config file refreshed while the agent runs (feature `agent`);
//! - [`eval`] — precision, recall, F1, attribution, Brier score;
//! - `agent` — the agent's task handler (AnalyzeDocument → candidate;
//!   feature `agent`, on by default).

#[cfg(feature = "agent")]
pub mod agent;
pub mod attribution;
pub mod config;
pub mod cues;
pub mod cues_intl;
pub mod dates;
pub mod entities;
pub mod eval;
pub mod features;
pub mod frames;
pub mod linear;
pub mod model;
pub mod model_file;
pub mod normalize;
pub mod patterns;
#[cfg(feature = "agent")]
pub mod reload;
pub mod rules;
pub mod sentences;
pub mod training;

use serde::{Deserialize, Serialize};

pub use config::Config;
pub use dates::{EventDate, Precision};

/// What is classified.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Document {
    /// Caller's id for the document (echoed in logs; may be empty).
    #[serde(default)]
    pub id: String,
    /// Title; read before the text (may be empty).
    #[serde(default)]
    pub title: String,
    /// Body text.
    pub text: String,
    /// Publish time (unix ms) to resolve dates like "tomorrow"; 0 =
    /// unknown (dates resolve against now; "already trades" is judged
    /// only for long-known tokens).
    #[serde(default)]
    pub published_unix_ms: i64,
}

/// A piece of the text that supports the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// Byte offset of the start, in the normalized text.
    pub start: usize,
    /// Byte offset just past the end.
    pub end: usize,
    /// The matched text.
    pub text: String,
}

/// The classifier's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Whether the document announces a TGE (confidence at or above the threshold, not cancelled).
    pub is_tge: bool,
    /// The project the TGE is attributed to, if found.
    pub project: Option<String>,
    /// The project's ticker, if found.
    pub symbol: Option<String>,
    /// Whether the project is on the configured watchlist.
    pub watchlist: bool,
    /// The TGE's date, as precise as the text gives it.
    pub event_date: EventDate,
    /// Probability that the document announces a TGE.
    pub confidence: f64,
    /// The cue words of the deciding sentence.
    pub evidence: Vec<Span>,
    /// The sentence the decision rests on.
    pub snippet: String,
    /// Every weight that applied and the model's probability, for explanations.
    pub reasons: Vec<String>,
    /// Not an announcement, but news about a TGE's lifecycle ("X postpones
    /// its TGE", "Y cancels its token launch"): the event it names, if one
    /// exists, changes status; it never creates one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_update: Option<StatusUpdate>,
}

/// A lifecycle change a source reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusUpdate {
    /// The TGE is put off to a later date.
    Postponed,
    /// The TGE will not happen.
    Cancelled,
}

impl StatusUpdate {
    /// The status name the event takes.
    pub fn name(self) -> &'static str {
        match self {
            StatusUpdate::Postponed => "postponed",
            StatusUpdate::Cancelled => "cancelled",
        }
    }

    /// The change a negation cue states, if it states one.
    fn of_cue(word: &str) -> Option<Self> {
        let w = word.to_lowercase();
        if ["postpone", "delay", "push", "moved"]
            .iter()
            .any(|p| w.starts_with(p))
        {
            Some(StatusUpdate::Postponed)
        } else if ["cancel", "scrap", "shelve", "call"]
            .iter()
            .any(|p| w.starts_with(p))
        {
            Some(StatusUpdate::Cancelled)
        } else {
            None
        }
    }
}

/// The highest P(TGE) of a text whose token already trades.
pub const KNOWN_TOKEN_CEILING: f64 = 0.05;

/// The classifier: the rules (lexicon, names, dates) and the learned,
/// calibrated model that turns their reading and the text's n-grams into
/// P(TGE).
pub struct Classifier {
    config: Config,
    rules: rules::Rules,
    frames: frames::Frames,
    model: model_file::Model,
}

impl Classifier {
    /// A classifier with `config` and the bundled model.
    pub fn new(config: Config) -> Self {
        Self::with_model(config, model_file::Model::bundled())
    }

    /// A classifier with `config` and `model`.
    pub fn with_model(config: Config, model: model_file::Model) -> Self {
        Self {
            config,
            rules: rules::Rules::new(),
            frames: frames::Frames::new(),
            model,
        }
    }

    /// The rules (for training and evaluation, which featurize texts).
    pub fn rules(&self) -> &rules::Rules {
        &self.rules
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The normalized text, the rules' reading and the model's features
    /// of `doc`; `None` features when the text has no token word at all.
    pub fn read(&self, doc: &Document) -> Reading {
        let text = normalize::document_text(&doc.title, &doc.text);
        let published = (doc.published_unix_ms > 0).then_some(doc.published_unix_ms);
        let analysis = self.rules.analyze(&text, published, &self.config);
        let on_topic = analysis
            .hits
            .iter()
            .any(|h| h.cue == cues::Cue::Topic || rules::is_event_cue(h.cue));
        let features = on_topic.then(|| {
            let focus = analysis.focus.map(|(s, e)| &text[s..e]).unwrap_or_default();
            let title = rules::first_line(&text);
            let now = published.unwrap_or_else(swarm_now_ms);
            let shapes = features::Shapes {
                has_date: self.rules.dates.find(focus, now).value.is_some(),
                has_ticker_in_title: self.rules.has_ticker(title),
                has_cashtag: text.contains('$') && self.rules.has_ticker(&text),
                has_name_ticker: text.contains('(') && self.rules.has_ticker(&text),
            };
            let frames = self.frames.keys(title, &text);
            features::extract(&text, &analysis, shapes, &frames)
        });
        Reading {
            text,
            published,
            analysis,
            features,
        }
    }

    /// P(TGE) of a reading. A text about a token the config says already
    /// trades (at the text's date) is at most [`KNOWN_TOKEN_CEILING`]: the
    /// operator's list is a fact the model cannot outvote.
    pub fn probability(&self, reading: &Reading) -> f64 {
        let p = match &reading.features {
            Some(x) => self.model.probability(x),
            None => self.model.gated_probability,
        };
        if reading
            .analysis
            .signals
            .contains(&rules::Signal::KnownToken)
        {
            p.min(KNOWN_TOKEN_CEILING)
        } else {
            p
        }
    }

    /// Classifies one document.
    pub fn classify(&self, doc: &Document) -> Decision {
        let reading = self.read(doc);
        let confidence = self.probability(&reading);
        let Reading {
            text,
            published,
            analysis,
            ..
        } = reading;
        let is_tge = confidence >= self.config.threshold;
        let now = published.unwrap_or_else(swarm_now_ms);
        let (focus_start, focus_end) = analysis.focus.unwrap_or((0, first_line(&text).len()));
        let focus = &text[focus_start..focus_end];
        let evidence = analysis
            .focus_hits()
            .map(|h| Span {
                start: h.start,
                end: h.end,
                text: text[h.start..h.end].to_string(),
            })
            .collect();
        let mut reasons = analysis.reasons.clone();
        reasons.push(format!("model P(TGE) {confidence:.3}"));
        let mut project = analysis.who.project.clone();
        let mut symbol = analysis.who.symbol.clone();
        let mut snippet = focus.trim().to_string();
        // a postponed TGE is still a scheduled one (the labelling rule);
        // a cancelled one is not: either way the status travels with it
        let status_update = self
            .status_update(&text, &analysis.hits)
            .map(|(update, at, who)| {
                if !is_tge {
                    project = who.project;
                    symbol = who.symbol;
                    snippet = at;
                }
                reasons.push(format!("reports the TGE {}", update.name()));
                update
            });
        let is_tge = is_tge && status_update != Some(StatusUpdate::Cancelled);
        // a date is looked for only where there is an event to date
        let event_date = if is_tge || status_update.is_some() {
            match self.rules.dates.find(focus, now) {
                found if found.value.is_some() => found,
                _ => self.rules.dates.find(&text, now),
            }
        } else {
            EventDate::unknown()
        };
        Decision {
            is_tge,
            project,
            symbol,
            watchlist: analysis.who.watchlist,
            event_date,
            confidence,
            evidence,
            snippet,
            reasons,
            status_update,
        }
    }

    /// A sentence saying a named project's TGE is postponed or cancelled,
    /// with no speculation, denial or looking back in it.
    fn status_update(
        &self,
        text: &str,
        hits: &[cues::Hit],
    ) -> Option<(StatusUpdate, String, entities::Attribution)> {
        let core =
            |h: &cues::Hit| matches!(h.cue, cues::Cue::Tge | cues::Cue::Launch | cues::Cue::Claim);
        if !hits.iter().any(core) || !hits.iter().any(|h| h.cue == cues::Cue::Negation) {
            return None;
        }
        for (start, end) in sentences::split(text) {
            let here: Vec<&cues::Hit> = hits
                .iter()
                .filter(|h| h.start >= start && h.end <= end)
                .collect();
            let core = here.iter().any(|h| core(h));
            let blocked = here.iter().any(|h| {
                matches!(
                    h.cue,
                    cues::Cue::Speculation | cues::Cue::Retrospective | cues::Cue::Scam
                ) || (h.cue == cues::Cue::Negation
                    && StatusUpdate::of_cue(&text[h.start..h.end]).is_none())
            });
            if !core || blocked {
                continue;
            }
            let Some(update) = here
                .iter()
                .filter(|h| h.cue == cues::Cue::Negation)
                .find_map(|h| StatusUpdate::of_cue(&text[h.start..h.end]))
            else {
                continue;
            };
            let sentence = &text[start..end];
            let who = self.rules.entities.attribute(text, sentence, &self.config);
            if who.project.is_some() {
                return Some((update, sentence.trim().to_string(), who));
            }
        }
        None
    }
}

/// What the classifier read in a document.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The normalized text (title first).
    pub text: String,
    /// Publish time (Unix ms) the dates were resolved against; `None` when unknown.
    pub published: Option<i64>,
    /// The rule cues, signals, attribution and score of the text.
    pub analysis: rules::Analysis,
    /// The model's input; `None` when the text has no token word at all.
    pub features: Option<features::Features>,
}

use rules::first_line;

fn swarm_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Default for Classifier {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

/// Classifies `doc` with the default configuration.
pub fn classify(doc: &Document) -> Decision {
    Classifier::default().classify(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        Document {
            id: "t".into(),
            title: String::new(),
            text: text.into(),
            published_unix_ms: 1_796_000_000_000,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any Unicode text: no panic, a probability, spans inside the
        /// normalized text on char boundaries.
        #[test]
        fn any_text_classifies_without_panicking(title in "\\PC{0,40}", text in "\\PC{0,400}") {
            let d = classifier().classify(&Document { title, text, ..doc("") });
            proptest::prop_assert!((0.0..=1.0).contains(&d.confidence));
            for span in &d.evidence {
                proptest::prop_assert!(span.start <= span.end);
            }
        }

        /// Texts built from the tricky pieces real feeds carry.
        #[test]
        fn feed_like_text_classifies_without_panicking(parts in proptest::collection::vec(
            proptest::sample::select(vec!["”", "’s", "TGE", "(TGE)", "$ABC", "Dec.", "May 3", "上线", "空投", "에어드랍",
                "токен", ".", "..", "&amp;", "&#8217;", "**", "[x](y)", "\n", " ", "🚀", "Binance Will List", "(ZZ)", "2026-13-45", "Q5"]), 0..40)) {
            let text: String = parts.concat();
            let d = classifier().classify(&doc(&text));
            proptest::prop_assert!((0.0..=1.0).contains(&d.confidence));
        }

        #[test]
        fn sentences_dates_and_names_never_panic(text in "\\PC{0,300}") {
            for (s, e) in sentences::split(&text) {
                proptest::prop_assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
            }
            let rules = rules::Rules::new();
            let _ = rules.dates.find(&text, 1_796_000_000_000);
            let _ = rules.entities.attribute(&text, &text, &Config::default());
        }
    }

    fn classifier() -> &'static Classifier {
        static C: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        C.get_or_init(Classifier::default)
    }

    #[test]
    fn postponements_and_cancellations_are_status_updates_not_announcements() {
        let d = classify(&doc(
            "Marrowind postpones its token generation event after an audit finding.",
        ));
        assert_eq!(d.status_update, Some(StatusUpdate::Postponed));
        assert_eq!(d.project.as_deref(), Some("Marrowind"));
        let d = classify(&doc(
            "Soltern Labs cancels its token launch, citing regulatory uncertainty.",
        ));
        assert_eq!(d.status_update, Some(StatusUpdate::Cancelled));
        assert!(!d.is_tge, "a cancelled TGE is not announced");
        assert_eq!(d.project.as_deref(), Some("Soltern Labs"));
        for text in [
            "Rumours that Ferrox delayed its TGE are false, the team says.",
            "Trading delayed on several exchanges as Bitcoin volatility spikes.",
            "Kelvane announces its TGE for June 4, 2027.",
        ] {
            assert_eq!(classify(&doc(text)).status_update, None, "{text}");
        }
    }
}
