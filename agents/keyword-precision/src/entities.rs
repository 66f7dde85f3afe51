//! Which project a TGE is for: first the watchlist gazetteer, then
//! open-world patterns ("X announces TGE", "$ABC claim is live",
//! "Exchange will list X (ABC)", "X's token generation event").

use regex::Regex;

use crate::attribution::{self, Candidates};
use crate::config::{Config, WatchedProject};

/// A project and ticker attributed to a text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attribution {
    /// The project's name (a watchlist name, or as the text spells it); `None` if not found.
    pub project: Option<String>,
    /// The ticker, without `$`, when found.
    pub symbol: Option<String>,
    /// Whether the project came from the watchlist.
    pub watchlist: bool,
}

/// Words that start or make up names but are not projects.
const NOT_NAMES: &[&str] = &[
    "the",
    "a",
    "an",
    "today",
    "breaking",
    "exclusive",
    "update",
    "official",
    "officially",
    "crypto",
    "defi",
    "new",
    "this",
    "our",
    "we",
    "its",
    "it",
    "their",
    "announcement",
    "alert",
    "news",
    "just",
    "now",
    "live",
    "token",
    "tokens",
    "tge",
    "airdrop",
    "claim",
    "claims",
    "mainnet",
    "launch",
    "launches",
    "listing",
    "trading",
    "spot",
    "web3",
    "layer",
    "protocol",
    "network",
    "foundation",
    "team",
    "community",
    "users",
    "holders",
    "after",
    "before",
    "when",
    "why",
    "how",
    "what",
    "who",
    "all",
    "and",
    "or",
    "of",
    "for",
    "on",
    "in",
    "at",
    "to",
    "is",
    "are",
    "will",
    "has",
    "have",
    "announces",
    "confirms",
    "reminder",
    "important",
    "notice",
    "hot",
    "big",
    "huge",
    "finally",
    "gm",
    "ser",
    "ok",
    "yes",
    "no",
    "reminder:",
    "update:",
    "deposits",
    "withdrawals",
    "introducing",
    "every",
    "real",
    "list",
    "lists",
    "listing",
    "stop",
    "welcome",
    "join",
    "don't",
    "dont",
    "coming",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "q1",
    "q2",
    "q3",
    "q4",
    // pronouns and determiners that open sentences
    "that",
    "that's",
    "these",
    "those",
    "there",
    "here",
    "which",
    "whose",
    "you",
    "your",
    "they",
    "his",
    "her",
    // verbs and adjectives that stand before "TGE" or "airdrop"
    "complete",
    "completes",
    "completed",
    "holds",
    "held",
    "begins",
    "starts",
    "opens",
    "sets",
    "schedules",
    "announced",
    "confirmed",
    "upcoming",
    "anticipated",
    "awaited",
    "long-awaited",
    "highly",
    "heavy",
    "massive",
    "major",
    "surprise",
    "first",
    "governance",
    "utility",
    "native",
    "utc",
    "next",
    "week",
    "month",
    "year",
];

/// Compiled patterns.
pub struct EntityFinder {
    labelled: Regex,
    ticker_name: Regex,
    name_ticker: Regex,
    possessive: Regex,
    name_verb: Regex,
    name_cue: Regex,
    listed: Regex,
    cue_for: Regex,
    team: Regex,
    signature: Regex,
    after_tge: Regex,
    dollar: Regex,
    ticker_token: Regex,
    lower_before_cue: Regex,
}

const NAME: &str = r"(\p{Lu}[\w.\-]*(?:\s+(?:\p{Lu}[\w.\-]*|\d+))?(?:\s+\p{Lu}[\w.\-]*)?)";

impl EntityFinder {
    /// Compiles the patterns.
    ///
    /// # Panics
    ///
    /// Never: the patterns are fixed and valid.
    pub fn new() -> Self {
        let re = |p: String| crate::patterns::compile(&p);
        Self {
            // alert templates: "Project: Cairn", "Name: Wicket", "Token: Quasar42"
            labelled: re(format!(
                r"(?m)^[^\w\n]{{0,4}}(?:Project|Name|Token)\s*[:：]\s*{NAME}"
            )),
            // "$SNOR (Snorkel)"
            ticker_name: re(format!(r"\$[A-Z][A-Z0-9]{{1,9}}\s*\(\s*{NAME}\s*\)")),
            name_ticker: re(format!(r"{NAME}\s*\(\$?([A-Z][A-Z0-9]{{1,9}})\)")),
            possessive: re(format!(
                r"{NAME}['’]s\s+(?:[\w$-]+\s+){{0,3}}(?i:tge|token|tokens|airdrop|claim|token\s+generation|liquidity|lbp|public\s+sale|launch|listing)"
            )),
            name_verb: re(format!(
                r"{NAME}(?:,\s+[^,]{{3,90}},)?\s+(?i:(?:today|yesterday|on\s+\w+day)\s+)?(?i:(?:has|have|will|is|are|to|finally|officially|now)\s+)?(?i:announce[sd]?|confirm(?:s|ed)?|set[s]?|schedule[sd]?|reveal(?:s|ed)?|unveil(?:s|ed)?|launch(?:es|ed|ing)?|open(?:s|ed)?|kick(?:s|ed)?\s+off|begin[s]?|start[s]?|go(?:es)?\s+live|detail(?:s|ed)?|debut(?:s|ed)?|drop(?:s|ped)?|hold[s]?|generate[sd]?|mint(?:s|ed)?|finalize[sd]?|lock(?:s|ed)?\s+in|live|introduce[sd]?|roll(?:s|ed)?\s+out|release[sd]?|postpone[sd]?|delay(?:s|ed)?|cancel(?:s|led|ed)?|push(?:es|ed)?\s+back|scrap(?:s|ped)?|shelve[sd]?)\b"
            )),
            name_cue: re(format!(
                r"{NAME}(?:\s+(?:network|protocol|chain|community|team))?\s*[^\w\s$]{{0,4}}\s*(?:(?i:tge|token\s+generation\s+event|airdrop|token|claim|season\s+1\s+airdrop))\b"
            )),
            listed: re(format!(
                r"(?i:\blist(?:s|ing|ed)?|adds|add|launchpool:?|launchpad:?|premieres?)\s+{NAME}"
            )),
            cue_for: re(format!(
                r"(?i:tge|token\s+generation\s+event|airdrop|claim|launch)\s+(?:for|of)\s+{NAME}"
            )),
            team: re(format!(
                r"(?i:\bthe\s+){NAME}\s+(?i:team|foundation|devs|developers|community)\b"
            )),
            signature: re(format!(r"[—–-]\s*{NAME}\s*$")),
            after_tge: re(format!(
                r"(?i:\btge\]?|token\s+generation\s+event)\s*[:|]?\s*{NAME}"
            )),
            dollar: re(r"\$([A-Za-z][A-Za-z0-9]{1,9})\b".to_string()),
            ticker_token: re(
                r"\b(?i:its|the|their|our)\s+([A-Z][A-Z0-9]{1,9})\s+(?i:token)\b".to_string(),
            ),
            lower_before_cue: re(
                r"(?i)\b([a-z][a-z0-9]{2,20})\s+(?:tge|airdrop|token\s+generation)\b".to_string(),
            ),
        }
    }

    /// Attributes `text` (with `focus`, the decisive sentence) to a
    /// project and ticker: the watchlist first, then the best-ranked of
    /// the names the text offers ([`crate::attribution`]).
    pub fn attribute(&self, text: &str, focus: &str, config: &Config) -> Attribution {
        if let Some(w) = watched(text, config) {
            return Attribution {
                project: Some(w.project.clone()),
                symbol: w.tickers.first().cloned(),
                watchlist: true,
            };
        }
        let mut candidates = Candidates::new(text, focus);
        // an alert's "Project:" line, "$TICKER (Name)"
        for c in self.labelled.captures_iter(text) {
            if let Some(name) = clean(&c[1]) {
                candidates.propose(&name, None, 5.0);
            }
        }
        for c in self.ticker_name.captures_iter(text) {
            if let Some(name) = clean(&c[1]) {
                let symbol = c[0].trim_start_matches('$').split(['(', ' ']).next();
                candidates.propose(&name, symbol, 4.0);
            }
        }
        attribution::propose_pairs(text, &mut candidates);
        attribution::propose_abbreviations(text, &mut candidates);
        // the open-world patterns, in the deciding sentence first
        let in_focus = self.project_names(focus);
        // a one-sentence text is its own focus: the same names again
        let in_text = if focus.trim() == text.trim() {
            in_focus.clone()
        } else {
            self.project_names(text)
        };
        for (names, base) in [(in_focus, 2.5), (in_text, 1.5)] {
            for (rank, name) in names.into_iter().enumerate() {
                candidates.propose(&name, None, base - 0.1 * rank.min(5) as f64);
            }
        }
        let best = candidates.best();
        let symbol = best
            .as_ref()
            .and_then(|b| b.symbol.clone())
            .or_else(|| self.symbol(focus))
            .or_else(|| self.symbol(text));
        let project = best.map(|b| b.name).or_else(|| symbol.clone());
        Attribution {
            project,
            symbol,
            watchlist: false,
        }
    }

    fn symbol(&self, text: &str) -> Option<String> {
        if let Some(c) = self.name_ticker.captures(text) {
            return Some(c[2].to_string());
        }
        if let Some(s) = self
            .dollar
            .captures_iter(text)
            .map(|c| c[1].to_ascii_uppercase())
            .find(|s| s.chars().any(|c| c.is_ascii_alphabetic()))
        {
            return Some(s);
        }
        // "its ORY token", "the KSTL token"
        self.ticker_token
            .captures_iter(text)
            .map(|c| c[1].to_string())
            .find(|s| {
                s.chars().any(|c| c.is_ascii_alphabetic())
                    && !matches!(s.as_str(), "TGE" | "NFT" | "DAO")
            })
    }

    /// Names the open-world patterns find in `text`, in pattern order.
    fn project_names(&self, text: &str) -> Vec<String> {
        let patterns = [
            &self.listed,
            &self.possessive,
            &self.name_verb,
            &self.cue_for,
            &self.name_cue,
            &self.team,
            &self.signature,
            &self.after_tge,
            &self.lower_before_cue,
        ];
        let mut names = Vec::new();
        for pattern in patterns {
            for c in pattern.captures_iter(text).take(3) {
                if let Some(name) = clean(&c[1])
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
        names
    }
}

impl Default for EntityFinder {
    fn default() -> Self {
        Self::new()
    }
}

/// Drops leading filler words and rejects exchanges and generic words.
fn clean(raw: &str) -> Option<String> {
    // a name never spans lines ("Project: Cairn\nTicker: …")
    let raw = raw.lines().next().unwrap_or_default();
    let mut words: Vec<&str> = raw.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| NOT_NAMES.contains(&w.trim_end_matches(':').to_ascii_lowercase().as_str()))
    {
        words.remove(0);
    }
    // a name ends with a sentence ("$ORL. Here's…")
    if let Some(end) = words.iter().position(|w| w.ends_with('.') && w.len() > 2) {
        words.truncate(end + 1);
        if let Some(last) = words.last_mut() {
            *last = last.trim_end_matches('.');
        }
    }
    // a name ends at the first filler word, or at a ticker after a mixed-case name
    if let Some(first) = words.first().copied() {
        let first_caps = first.chars().all(|c| !c.is_lowercase());
        if let Some(cut) = words.iter().skip(1).position(|w| {
            let lower = w.to_lowercase();
            NOT_NAMES.contains(&lower.as_str())
                || (!first_caps
                    && w.len() >= 2
                    && w.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
        }) {
            words.truncate(cut + 1);
        }
    }
    let name = words.join(" ");
    let name = name.trim_matches(|c: char| !c.is_alphanumeric());
    let lower = name.to_ascii_lowercase();
    if name.len() < 2
        || attribution::is_not_the_project(&lower)
        || NOT_NAMES.contains(&lower.as_str())
    {
        return None;
    }
    Some(name.to_string())
}

/// Whether `word` (lowercase) is a filler word that is never a name.
pub fn is_not_a_name(word: &str) -> bool {
    NOT_NAMES.contains(&word)
}

/// How many times `needle` stands as a whole word in `haystack_lower`.
pub fn count_word(haystack_lower: &str, needle: &str) -> usize {
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return 0;
    }
    let bytes = haystack_lower.as_bytes();
    haystack_lower
        .match_indices(&needle)
        .filter(|(i, m)| {
            let before = *i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            let end = i + m.len();
            let after = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
            before && after
        })
        .count()
}

/// Whether `needle` stands as a whole word in `haystack_lower`.
pub fn contains_word(haystack_lower: &str, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    let bytes = haystack_lower.as_bytes();
    haystack_lower.match_indices(&needle).any(|(i, m)| {
        let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let end = i + m.len();
        let after = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        before && after
    })
}

/// The watched project the text names (by name, alias or ticker), unless
/// one of its exclusion contexts is present.
fn watched<'c>(text: &str, config: &'c Config) -> Option<&'c WatchedProject> {
    let lower = text.to_lowercase();
    config.watchlist.iter().find(|w| {
        let named = std::iter::once(&w.project)
            .chain(&w.aliases)
            .any(|n| contains_word(&lower, n))
            || w.tickers
                .iter()
                .any(|t| text.contains(&format!("${t}")) || text.contains(&format!("({t})")));
        named && !w.exclude_contexts.iter().any(|x| contains_word(&lower, x))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(text: &str) -> (Option<String>, Option<String>) {
        let a = EntityFinder::new().attribute(text, text, &Config::default());
        (a.project, a.symbol)
    }

    #[test]
    fn open_world_patterns() {
        assert_eq!(
            who("Quillnet announces TGE for March 3").0.as_deref(),
            Some("Quillnet")
        );
        assert_eq!(
            who("Binance will list Vektor Labs (VKT) at launch"),
            (Some("Vektor Labs".into()), Some("VKT".into()))
        );
        assert_eq!(who("$PEBL claim is live now").1.as_deref(), Some("PEBL"));
        assert_eq!(
            who("Breaking: Lumora's token generation event is set")
                .0
                .as_deref(),
            Some("Lumora")
        );
        assert_eq!(
            who("the airdrop claim for Orbitra opens today")
                .0
                .as_deref(),
            Some("Orbitra")
        );
    }

    #[test]
    fn watchlist_wins_unless_excluded() {
        let config = Config {
            watchlist: vec![WatchedProject {
                project: "Aurora".into(),
                aliases: vec![],
                tickers: vec!["AURA".into()],
                exclude_contexts: vec!["borealis".into()],
            }],
            ..Config::default()
        };
        let f = EntityFinder::new();
        assert!(f.attribute("Aurora sets TGE date", "", &config).watchlist);
        assert!(
            !f.attribute("Aurora borealis lights up", "", &config)
                .watchlist
        );
    }
}
