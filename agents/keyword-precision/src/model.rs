//! From cues to a decision: each sentence that mentions a TGE, a token
//! launch, a claim going live or a new-token listing gets a score from the
//! cues around it (event framing raises it; speculation, negation, looking
//! back, an existing token, scam warnings lower it); the best sentence,
//! adjusted for document-wide signals (another sense of "TGE", a token
//! that already trades), goes through a logistic function. The weights are
//! set by hand from what each cue means and checked for calibration (Brier
//! score) with `keyword-precision eval`.

use std::collections::HashSet;

use crate::cues::{Cue, Hit};

/// Weights of the score (log-odds).
pub mod weights {
    /// Starting score of a token-event sentence (P ≈ 0.10 with nothing else).
    pub const BIAS: f64 = -2.2;
    /// The sentence says TGE / token generation event.
    pub const TGE: f64 = 3.4;
    /// A token launch (used only when there is no TGE cue).
    pub const LAUNCH: f64 = 2.6;
    /// A claim or airdrop going live (when there is no TGE cue).
    pub const CLAIM: f64 = 3.0;
    /// A listing on a venue for new tokens (when there is no TGE, claim or launch cue).
    pub const LISTING_NEW: f64 = 2.8;
    /// A new-token venue without a listing cue.
    pub const NEW_VENUE: f64 = 2.2;
    /// A plain listing, the weakest core cue.
    pub const LISTING: f64 = 0.8;
    /// Event framing (dates set, "goes live", "opens").
    pub const EVENT: f64 = 1.2;
    /// The sentence carries a date.
    pub const DATE: f64 = 0.9;
    /// The sentence names a ticker.
    pub const TICKER: f64 = 0.4;
    /// Speculation ("could", "rumoured") in the token event's clause.
    pub const SPECULATION: f64 = -4.2;
    /// Negation or denial ("no plans for a token") in the token event's clause.
    pub const NEGATION: f64 = -4.6;
    /// Looking back at a past event.
    pub const RETROSPECTIVE: f64 = -4.4;
    /// An existing token (already trading) in the sentence.
    pub const EXISTING: f64 = -2.8;
    /// A scam or phishing warning.
    pub const SCAM: f64 = -2.6;
    /// A cue that the event is not a token (e.g. a product launch).
    pub const NOT_TOKEN: f64 = -1.4;
    /// An explainer or guide ("what is a TGE"); also a headline explainer elsewhere.
    pub const EXPLAINER: f64 = -4.0;
    /// The sentence is a question.
    pub const QUESTION: f64 = -2.5;
    /// A bare "TGE" in a text without any crypto vocabulary.
    pub const BARE_TGE: f64 = -5.0;
    /// Existing-token cues elsewhere in the document.
    pub const EXISTING_NEARBY: f64 = -1.5;
    /// Two or more other-sense words in a text that also sounds crypto
    /// ("token generation events in the audit log of a service account").
    pub const OTHER_SENSE_MIXED: f64 = -3.5;
    /// Another sense of "TGE" with no crypto context, or "TGE" spelled out as something else.
    pub const OTHER_SENSE: f64 = -7.0;
    /// The token the text names already trades by the text's date (config's known tokens).
    pub const KNOWN_TOKEN: f64 = -4.0;
}

/// Scored view of one sentence.
#[derive(Debug, Clone)]
pub struct SentenceScore {
    /// Byte offset where the sentence starts in the text.
    pub start: usize,
    /// Byte offset just past the sentence's end.
    pub end: usize,
    /// Sum of the weights that applied (log-odds; see [`probability`]).
    pub score: f64,
    /// The cues that applied, each with its weight, for explanations.
    pub reasons: Vec<String>,
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Probability from a score.
pub fn probability(score: f64) -> f64 {
    logistic(score)
}

/// Scores one sentence; `None` if it mentions no token event at all.
pub fn score_sentence(
    text: &str,
    span: (usize, usize),
    hits: &[Hit],
    has_date: bool,
    has_ticker: bool,
) -> Option<SentenceScore> {
    let cues: HashSet<Cue> = hits.iter().map(|h| h.cue).collect();
    let words = |cue: Cue| -> Vec<&str> {
        hits.iter()
            .filter(|h| h.cue == cue)
            .map(|h| &text[h.start..h.end])
            .collect()
    };
    let has = |c: Cue| cues.contains(&c);
    let core = has(Cue::Tge) || has(Cue::Launch) || has(Cue::Claim);
    let listing_new = has(Cue::Listing) && has(Cue::NewTokenVenue);
    if !(core || listing_new || has(Cue::NewTokenVenue) || has(Cue::Listing)) {
        return None;
    }
    use weights::*;
    let mut score = BIAS;
    let mut reasons = Vec::new();
    let mut add = |w: f64, why: String| {
        score += w;
        reasons.push(format!("{why} ({w:+.1})"));
    };
    if has(Cue::Tge) {
        add(TGE, format!("TGE: {:?}", words(Cue::Tge)));
    } else if has(Cue::Claim) {
        add(CLAIM, format!("claim going live: {:?}", words(Cue::Claim)));
    } else if has(Cue::Launch) {
        add(LAUNCH, format!("token launch: {:?}", words(Cue::Launch)));
    } else if listing_new {
        add(
            LISTING_NEW,
            format!("new-token listing: {:?}", words(Cue::NewTokenVenue)),
        );
    } else if has(Cue::NewTokenVenue) {
        add(
            NEW_VENUE,
            format!("new-token venue: {:?}", words(Cue::NewTokenVenue)),
        );
    } else {
        add(LISTING, format!("listing: {:?}", words(Cue::Listing)));
    }
    if has(Cue::Event) {
        add(EVENT, format!("event framing: {:?}", words(Cue::Event)));
    }
    if has_date {
        add(DATE, "a date".into());
    }
    if has_ticker {
        add(TICKER, "a ticker".into());
    }
    let penalties = [
        (Cue::Speculation, SPECULATION, "speculation"),
        (Cue::Negation, NEGATION, "negation or denial"),
        (Cue::Retrospective, RETROSPECTIVE, "looking back"),
        (Cue::ExistingToken, EXISTING, "an existing token"),
        (Cue::Scam, SCAM, "scam warning"),
        (Cue::NotToken, NOT_TOKEN, "not a token event"),
        (Cue::Explainer, EXPLAINER, "explainer or guide"),
    ];
    let cores: Vec<&Hit> = hits
        .iter()
        .filter(|h| {
            matches!(
                h.cue,
                Cue::Tge | Cue::Launch | Cue::Claim | Cue::Listing | Cue::NewTokenVenue
            )
        })
        .collect();
    // negation and speculation only reach the token event in their own
    // clause ("…goes live Monday; allocations will not be changed")
    let reaches = |h: &Hit| {
        !matches!(h.cue, Cue::Negation | Cue::Speculation)
            || cores.iter().any(|c| {
                let (a, b) = if h.start < c.start {
                    (h.end, c.start)
                } else {
                    (c.end, h.start)
                };
                a >= b || !text[a..b].contains([';', '—', '(', ':'])
            })
    };
    for (cue, w, why) in penalties {
        let found: Vec<&str> = hits
            .iter()
            .filter(|h| h.cue == cue && reaches(h))
            .map(|h| &text[h.start..h.end])
            .collect();
        if !found.is_empty() {
            add(w, format!("{why}: {found:?}"));
        }
    }
    if text[span.0..span.1].trim_end().ends_with('?') {
        add(QUESTION, "a question".into());
    }
    Some(SentenceScore {
        start: span.0,
        end: span.1,
        score,
        reasons,
    })
}
