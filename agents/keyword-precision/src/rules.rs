//! The hand-written reading of a text: which sentence mentions a token
//! event most strongly, the cue score of that sentence ([`crate::model`]),
//! the document-wide signals that weaken it (another sense of "TGE", an
//! explainer headline, a past year, an existing token nearby, a token that
//! already trades), and who the text is about. The learned model
//! ([`crate::linear`]) takes all of it as features; it is not the decision.

use crate::config::Config;
use crate::cues::{Cue, Hit, Lexicon};
use crate::dates::DateFinder;
use crate::entities::{self, Attribution, EntityFinder};
use crate::{model, patterns, sentences};

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

/// A document-wide signal the rules applied (a feature of the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// No crypto vocabulary anywhere in the text, so "TGE" likely means something else.
    NoCryptoContext,
    /// No crypto context and a word of another sense of "TGE" (e.g. a gym or expo).
    OtherSense,
    /// "TGE" is spelled out as something else ("Tech Growth Expo (TGE)").
    AcronymSpelledOut,
    /// The headline is an explainer, but the focus sentence is not.
    HeadlineExplainer,
    /// The focus sentence names a year no later than the publication year.
    PastYear,
    /// Crypto context, yet two or more distinct other-sense words.
    OtherSensesMixed,
    /// An existing-token cue elsewhere in the text, none in the focus sentence.
    ExistingNearby,
    /// The attributed token already trades at the text's date (config's known tokens).
    KnownToken,
}

impl Signal {
    /// Stable name (feature key).
    pub fn name(self) -> &'static str {
        match self {
            Signal::NoCryptoContext => "no_crypto_context",
            Signal::OtherSense => "other_sense",
            Signal::AcronymSpelledOut => "acronym",
            Signal::HeadlineExplainer => "headline_explainer",
            Signal::PastYear => "past_year",
            Signal::OtherSensesMixed => "other_senses_mixed",
            Signal::ExistingNearby => "existing_nearby",
            Signal::KnownToken => "known_token",
        }
    }
}

/// What the rules read in one text.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Every cue, in order.
    pub hits: Vec<Hit>,
    /// The sentence the decision rests on, when one mentions a token event.
    pub focus: Option<(usize, usize)>,
    /// The rules' log-odds (cue score of the focus plus document signals).
    pub score: f64,
    /// Every score adjustment, with its weight, for explanations.
    pub reasons: Vec<String>,
    /// The document-wide signals that applied, in the order applied.
    pub signals: Vec<Signal>,
    /// The project, ticker and watchlist membership the text is about.
    pub who: Attribution,
}

impl Analysis {
    /// Cues inside the focus sentence.
    pub fn focus_hits(&self) -> impl Iterator<Item = &Hit> {
        let (start, end) = self.focus.unwrap_or((0, 0));
        self.hits
            .iter()
            .filter(move |h| h.start >= start && h.end <= end)
    }
}

/// Whether a cue names a token event (not only context).
pub fn is_event_cue(cue: Cue) -> bool {
    matches!(
        cue,
        Cue::Tge | Cue::Launch | Cue::Claim | Cue::Listing | Cue::NewTokenVenue
    )
}

/// The compiled rules.
pub struct Rules {
    /// The cue lexicon (phrases per [`Cue`]).
    pub lexicon: Lexicon,
    /// Finds the project and ticker a text is about.
    pub entities: EntityFinder,
    /// Finds and resolves event dates.
    pub dates: DateFinder,
    ticker: regex::Regex,
    /// "Tech Growth Expo (TGE)", "TGE (Total Gym Experience)".
    acronym: regex::Regex,
    year: regex::Regex,
}

impl Default for Rules {
    fn default() -> Self {
        Self::new()
    }
}

impl Rules {
    /// Compiles the lexicon and patterns.
    pub fn new() -> Self {
        Self {
            lexicon: Lexicon::new(),
            entities: EntityFinder::new(),
            dates: DateFinder::new(),
            ticker: patterns::compile(r"\$[A-Za-z][A-Za-z0-9]{1,9}\b|\([A-Z][A-Z0-9]{1,9}\)"),
            acronym: patterns::compile(
                r"\bT[a-z]+\s+G[a-z]+\s+E[a-z]+\s*\(TGE\b|\bTGE\s*\((?:[Tt]he\s+)?T[a-z]+\s+G[a-z]+\s+E[a-z]+\)",
            ),
            // a year used as an attribute of the TGE: "its 2022 token generation event"
            year: patterns::compile(r"(?i)\b(20\d\d)\s+(?:tges?|token\s+generation)\b"),
        }
    }

    /// Whether `text` has a ticker shape (`$ABC`, `(ABC)`).
    pub fn has_ticker(&self, text: &str) -> bool {
        self.ticker.is_match(text)
    }

    /// Reads `text` (normalized, title first) published at `published`
    /// (unix ms; `None` when unknown).
    pub fn analyze(&self, text: &str, published: Option<i64>, config: &Config) -> Analysis {
        let hits = self.lexicon.hits(text);
        let now = published.unwrap_or_else(now_ms);
        let mut analysis = Analysis {
            focus: None,
            score: model::weights::BIAS - 3.0,
            reasons: vec!["no token event mentioned".into()],
            signals: Vec::new(),
            who: Attribution::default(),
            hits,
        };
        let hits = &analysis.hits;
        let mut best: Option<model::SentenceScore> = None;
        if hits.iter().any(|h| is_event_cue(h.cue)) {
            for (start, end) in sentences::split(text) {
                let in_sentence: Vec<Hit> = hits
                    .iter()
                    .copied()
                    .filter(|h| h.start >= start && h.end <= end)
                    .collect();
                if !in_sentence.iter().any(|h| is_event_cue(h.cue)) {
                    continue;
                }
                let sentence = &text[start..end];
                let has_date = self.dates.find(sentence, now).value.is_some();
                let has_ticker = self.ticker.is_match(sentence);
                if let Some(s) =
                    model::score_sentence(text, (start, end), &in_sentence, has_date, has_ticker)
                    && best.as_ref().is_none_or(|b| s.score > b.score)
                {
                    best = Some(s);
                }
            }
        }
        let Some(best) = best else {
            // no sentence to rest on: still say who a text on the topic
            // of tokens is about (the others are not read further)
            if analysis.hits.iter().any(|h| h.cue == Cue::Topic) {
                analysis.who = self.entities.attribute(text, first_line(text), config);
            }
            return analysis;
        };
        let mut score = best.score;
        let mut reasons = best.reasons.clone();
        let mut signals = Vec::new();
        let mut apply = |signal: Signal, weight: f64, why: String| {
            score += weight;
            reasons.push(format!("{why} ({weight:+.1})"));
            signals.push(signal);
        };
        let lower = text.to_lowercase();
        let crypto_context = hits.iter().any(|h| {
            matches!(h.cue, Cue::Launch | Cue::Claim | Cue::NewTokenVenue)
                || (h.cue == Cue::Tge && h.end - h.start > 4)
        }) || self
            .ticker
            .find_iter(text)
            .any(|m| !m.as_str().eq_ignore_ascii_case("(TGE)"))
            || CRYPTO_WORDS
                .iter()
                .any(|w| entities::contains_word(&lower, w));
        let in_best = |h: &&Hit| h.start >= best.start && h.end <= best.end;
        let only_bare_tge = hits
            .iter()
            .filter(in_best)
            .filter(|h| matches!(h.cue, Cue::Tge | Cue::Launch | Cue::Claim))
            .all(|h| h.cue == Cue::Tge && h.end - h.start <= 4);
        use model::weights;
        if !crypto_context {
            if hits.iter().any(|h| h.cue == Cue::OtherSense) {
                apply(
                    Signal::OtherSense,
                    weights::OTHER_SENSE,
                    "another sense of TGE".into(),
                );
            } else {
                // bare "TGE" or a claim portal outside crypto: another world
                let weight = if only_bare_tge {
                    weights::BARE_TGE
                } else {
                    weights::BARE_TGE / 2.0
                };
                apply(Signal::NoCryptoContext, weight, "no crypto context".into());
            }
        }
        if self.acronym.is_match(text) {
            apply(
                Signal::AcronymSpelledOut,
                weights::OTHER_SENSE,
                "TGE spelled out as something else".into(),
            );
        }
        let headline_explainer = sentences::split(text).first().is_some_and(|(s0, e0)| {
            hits.iter()
                .any(|h| h.cue == Cue::Explainer && h.start >= *s0 && h.end <= *e0)
        });
        let explainer_here = hits.iter().filter(in_best).any(|h| h.cue == Cue::Explainer);
        if headline_explainer && !explainer_here {
            apply(
                Signal::HeadlineExplainer,
                weights::EXPLAINER,
                "an explainer".into(),
            );
        }
        let (published_year, _, _) = crate::dates::civil(now);
        let past_year = self
            .year
            .captures_iter(&text[best.start..best.end])
            .any(|c| c[1].parse::<i64>().is_ok_and(|y| y <= published_year));
        if past_year && published.is_some() {
            apply(
                Signal::PastYear,
                weights::RETROSPECTIVE,
                "a past year".into(),
            );
        }
        let existing_elsewhere = hits
            .iter()
            .any(|h| h.cue == Cue::ExistingToken && !in_best(&h));
        let existing_here = hits
            .iter()
            .filter(in_best)
            .any(|h| h.cue == Cue::ExistingToken);
        let other_senses: std::collections::HashSet<&str> = hits
            .iter()
            .filter(|h| h.cue == Cue::OtherSense)
            .map(|h| &text[h.start..h.end])
            .collect();
        if crypto_context && other_senses.len() >= 2 {
            apply(
                Signal::OtherSensesMixed,
                weights::OTHER_SENSE_MIXED,
                format!("words of another world: {other_senses:?}"),
            );
        }
        if existing_elsewhere && !existing_here {
            apply(
                Signal::ExistingNearby,
                weights::EXISTING_NEARBY,
                "an existing token nearby".into(),
            );
        }
        let focus = &text[best.start..best.end];
        let who = self.entities.attribute(text, focus, config);
        let focus_lower = focus.to_lowercase();
        let known = who
            .symbol
            .as_deref()
            .is_some_and(|s| config.is_known_token(s, published))
            || who.project.as_deref().is_some_and(|p| {
                config.is_known_token(p, published)
                    && entities::contains_word(&focus_lower, &p.to_lowercase())
            });
        if known {
            apply(
                Signal::KnownToken,
                weights::KNOWN_TOKEN,
                "token already trades".into(),
            );
        }
        analysis.focus = Some((best.start, best.end));
        analysis.score = score;
        analysis.reasons = reasons;
        analysis.signals = signals;
        analysis.who = who;
        analysis
    }
}

/// The first line of `text` (its title).
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
