//! keyword-precision: decides whether a document announces a TGE (token
//! generation event: a token launch, a claim/airdrop going live, the first
//! listing of a new token), for which project, when, with what probability
//! and on what evidence.
//!
//! - [`cues`] — the lexicon (Aho-Corasick, word boundaries);
//! - [`sentences`] — cues are judged in the sentence they stand in;
//! - [`model`] — cue weights and the logistic probability;
//! - [`entities`] — watchlist gazetteer and open-world project detection;
//! - [`dates`] — event date and its precision;
//! - [`config`] — watchlist and tokens that already trade;
//! - [`eval`] — precision, recall, F1, attribution, Brier score;
//! - [`agent`] — the agent's task handler (AnalyzeDocument → candidate).

pub mod agent;
pub mod config;
pub mod cues;
pub mod dates;
pub mod entities;
pub mod eval;
pub mod model;
pub mod patterns;
pub mod sentences;

use serde::{Deserialize, Serialize};

pub use config::Config;
pub use dates::{EventDate, Precision};

/// Words that place a text in crypto (so "TGE" is a token event there).
const CRYPTO_WORDS: &[&str] = &[
    "token",
    "tokens",
    "crypto",
    "blockchain",
    "airdrop",
    "web3",
    "on-chain",
    "onchain",
    "wallet",
    "wallets",
    "defi",
    "protocol",
    "mainnet",
    "staking",
    "stakers",
    "dao",
    "claim",
    "launchpool",
    "tokenomics",
    "chain",
    "l1",
    "l2",
    "layer-2",
    "dex",
    "nft",
    "binance",
    "coinbase",
    "okx",
    "bybit",
    "kucoin",
    "bitget",
    "uniswap",
    "solana",
    "ethereum",
    "bitcoin",
    "btc",
    "eth",
    "testnet",
    "validators",
    "fdv",
    "ticker",
    "listing",
    "usdt",
    "stablecoin",
    "points",
];

/// What is classified.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Document {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
    /// Publish time (unix ms) to resolve dates like "tomorrow"; 0 = now.
    #[serde(default)]
    pub published_unix_ms: i64,
}

/// A piece of the text that supports the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The classifier's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub is_tge: bool,
    pub project: Option<String>,
    pub symbol: Option<String>,
    pub watchlist: bool,
    pub event_date: EventDate,
    /// Probability that the document announces a TGE.
    pub confidence: f64,
    pub evidence: Vec<Span>,
    /// The sentence the decision rests on.
    pub snippet: String,
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
    Postponed,
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

impl Decision {
    /// The answer for a text that mentions no token event at all.
    fn not_a_token_event() -> Self {
        Decision {
            is_tge: false,
            project: None,
            symbol: None,
            watchlist: false,
            event_date: EventDate {
                value: None,
                precision: Precision::Unknown,
            },
            confidence: model::probability(model::weights::BIAS - 3.0),
            evidence: Vec::new(),
            snippet: String::new(),
            reasons: vec!["no token event mentioned".into()],
            status_update: None,
        }
    }
}

/// The classifier, with its compiled lexicon and patterns.
pub struct Classifier {
    config: Config,
    lexicon: cues::Lexicon,
    entities: entities::EntityFinder,
    dates: dates::DateFinder,
    ticker: regex::Regex,
    /// "Tech Growth Expo (TGE)", "TGE (Total Gym Experience)".
    acronym: regex::Regex,
    year: regex::Regex,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Classifier {
    /// A classifier with `config`.
    ///
    /// # Panics
    ///
    /// Never: every pattern is fixed and valid.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            lexicon: cues::Lexicon::new(),
            entities: entities::EntityFinder::new(),
            dates: dates::DateFinder::new(),
            ticker: patterns::compile(r"\$[A-Za-z][A-Za-z0-9]{1,9}\b|\([A-Z][A-Z0-9]{1,9}\)"),
            acronym: patterns::compile(
                r"\bT[a-z]+\s+G[a-z]+\s+E[a-z]+\s*\(TGE\b|\bTGE\s*\((?:[Tt]he\s+)?T[a-z]+\s+G[a-z]+\s+E[a-z]+\)",
            ),
            // a year used as an attribute of the TGE: "its 2022 token generation event"
            year: patterns::compile(r"(?i)\b(20\d\d)\s+(?:tges?|token\s+generation)\b"),
        }
    }

    /// Classifies one document.
    pub fn classify(&self, doc: &Document) -> Decision {
        let text = if doc.title.is_empty() {
            doc.text.clone()
        } else {
            format!("{}\n{}", doc.title, doc.text)
        };
        let published = if doc.published_unix_ms > 0 {
            doc.published_unix_ms
        } else {
            now_ms()
        };
        let hits = self.lexicon.hits(&text);
        let mut best: Option<model::SentenceScore> = None;
        let event_cue = |h: &cues::Hit| {
            matches!(
                h.cue,
                cues::Cue::Tge
                    | cues::Cue::Launch
                    | cues::Cue::Claim
                    | cues::Cue::Listing
                    | cues::Cue::NewTokenVenue
            )
        };
        if !hits.iter().any(event_cue) {
            return Decision::not_a_token_event();
        }
        for (start, end) in sentences::split(&text) {
            let in_sentence: Vec<cues::Hit> = hits
                .iter()
                .copied()
                .filter(|h| h.start >= start && h.end <= end)
                .collect();
            if !in_sentence.iter().any(event_cue) {
                continue;
            }
            let sentence = &text[start..end];
            let has_date = self.dates.find(sentence, published).value.is_some();
            let has_ticker = self.ticker.is_match(sentence);
            if let Some(s) =
                model::score_sentence(&text, (start, end), &in_sentence, has_date, has_ticker)
                && best.as_ref().is_none_or(|b| s.score > b.score)
            {
                best = Some(s);
            }
        }
        let Some(best) = best else {
            return Decision::not_a_token_event();
        };
        let mut score = best.score;
        let mut reasons = best.reasons.clone();
        let lower = text.to_lowercase();
        let crypto_context = hits.iter().any(|h| {
            matches!(
                h.cue,
                cues::Cue::Launch | cues::Cue::Claim | cues::Cue::NewTokenVenue
            ) || (h.cue == cues::Cue::Tge && h.end - h.start > 4)
        }) || self
            .ticker
            .find_iter(&text)
            .any(|m| !m.as_str().eq_ignore_ascii_case("(TGE)"))
            || CRYPTO_WORDS
                .iter()
                .any(|w| entities::contains_word(&lower, w));
        let in_best = |h: &&cues::Hit| h.start >= best.start && h.end <= best.end;
        let only_bare_tge = hits
            .iter()
            .filter(in_best)
            .filter(|h| matches!(h.cue, cues::Cue::Tge | cues::Cue::Launch | cues::Cue::Claim))
            .all(|h| h.cue == cues::Cue::Tge && h.end - h.start <= 4);
        if !crypto_context {
            if hits.iter().any(|h| h.cue == cues::Cue::OtherSense) {
                score += model::weights::OTHER_SENSE;
                reasons.push(format!(
                    "another sense of TGE ({:+.1})",
                    model::weights::OTHER_SENSE
                ));
            } else {
                // bare "TGE" or a claim portal outside crypto: another world
                let weight = if only_bare_tge {
                    model::weights::BARE_TGE
                } else {
                    model::weights::BARE_TGE / 2.0
                };
                score += weight;
                reasons.push(format!("no crypto context ({weight:+.1})"));
            }
        }
        if self.acronym.is_match(&text) {
            score += model::weights::OTHER_SENSE;
            reasons.push(format!(
                "TGE spelled out as something else ({:+.1})",
                model::weights::OTHER_SENSE
            ));
        }
        let headline_explainer = sentences::split(&text).first().is_some_and(|(s0, e0)| {
            hits.iter()
                .any(|h| h.cue == cues::Cue::Explainer && h.start >= *s0 && h.end <= *e0)
        });
        let explainer_here = hits
            .iter()
            .filter(in_best)
            .any(|h| h.cue == cues::Cue::Explainer);
        if headline_explainer && !explainer_here {
            score += model::weights::EXPLAINER;
            reasons.push(format!("an explainer ({:+.1})", model::weights::EXPLAINER));
        }
        let (published_year, _, _) = dates::civil(published);
        let past_year = self
            .year
            .captures_iter(&text[best.start..best.end])
            .any(|c| c[1].parse::<i64>().is_ok_and(|y| y <= published_year));
        if past_year {
            score += model::weights::RETROSPECTIVE;
            reasons.push(format!(
                "a past year ({:+.1})",
                model::weights::RETROSPECTIVE
            ));
        }
        let existing_elsewhere = hits
            .iter()
            .any(|h| h.cue == cues::Cue::ExistingToken && !in_best(&h));
        let existing_here = hits
            .iter()
            .filter(in_best)
            .any(|h| h.cue == cues::Cue::ExistingToken);
        let other_senses: std::collections::HashSet<&str> = hits
            .iter()
            .filter(|h| h.cue == cues::Cue::OtherSense)
            .map(|h| &text[h.start..h.end])
            .collect();
        if crypto_context && other_senses.len() >= 2 {
            score += model::weights::OTHER_SENSE_MIXED;
            reasons.push(format!(
                "words of another world: {other_senses:?} ({:+.1})",
                model::weights::OTHER_SENSE_MIXED
            ));
        }
        if existing_elsewhere && !existing_here {
            score += model::weights::EXISTING_NEARBY;
            reasons.push(format!(
                "an existing token nearby ({:+.1})",
                model::weights::EXISTING_NEARBY
            ));
        }
        let focus = &text[best.start..best.end];
        let who = self.entities.attribute(&text, focus, &self.config);
        let focus_lower = focus.to_lowercase();
        let known = who
            .symbol
            .as_deref()
            .is_some_and(|s| self.config.is_known_token(s))
            || who.project.as_deref().is_some_and(|p| {
                self.config.is_known_token(p)
                    && entities::contains_word(&focus_lower, &p.to_lowercase())
            });
        if known {
            score += model::weights::KNOWN_TOKEN;
            reasons.push(format!(
                "token already trades ({:+.1})",
                model::weights::KNOWN_TOKEN
            ));
        }
        let confidence = model::probability(score);
        let is_tge = confidence >= self.config.threshold;
        let evidence = hits
            .iter()
            .filter(|h| h.start >= best.start && h.end <= best.end)
            .map(|h| Span {
                start: h.start,
                end: h.end,
                text: text[h.start..h.end].to_string(),
            })
            .collect();
        let mut project = who.project;
        let mut symbol = who.symbol;
        let mut snippet = focus.trim().to_string();
        let status_update = if is_tge {
            None
        } else {
            self.status_update(&text, &hits).map(|(update, at, who)| {
                project = who.project;
                symbol = who.symbol;
                snippet = at;
                reasons.push(format!("reports the TGE {}", update.name()));
                update
            })
        };
        Decision {
            is_tge,
            project,
            symbol,
            watchlist: who.watchlist,
            event_date: self.dates.find(focus, published).value.map_or_else(
                || self.dates.find(&text, published),
                |_| self.dates.find(focus, published),
            ),
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
        for (start, end) in sentences::split(text) {
            let here: Vec<&cues::Hit> = hits
                .iter()
                .filter(|h| h.start >= start && h.end <= end)
                .collect();
            let core = here
                .iter()
                .any(|h| matches!(h.cue, cues::Cue::Tge | cues::Cue::Launch | cues::Cue::Claim));
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
            let who = self.entities.attribute(text, sentence, &self.config);
            if who.project.is_some() {
                return Some((update, sentence.trim().to_string(), who));
            }
        }
        None
    }
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

    #[test]
    fn postponements_and_cancellations_are_status_updates_not_announcements() {
        let d = classify(&doc(
            "Marrowind postpones its token generation event after an audit finding.",
        ));
        assert!(!d.is_tge);
        assert_eq!(d.status_update, Some(StatusUpdate::Postponed));
        assert_eq!(d.project.as_deref(), Some("Marrowind"));
        let d = classify(&doc(
            "Soltern Labs cancels its token launch, citing regulatory uncertainty.",
        ));
        assert_eq!(d.status_update, Some(StatusUpdate::Cancelled));
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
