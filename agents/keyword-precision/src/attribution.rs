//! Choosing the project a text is about among the names it offers. Each
//! source of names (a `Name (TICKER)` pair, a `TICKER (Name)` exchange
//! title, an alert's `Project:` line, the open-world patterns of
//! [`crate::entities`]) proposes candidates with a base score; the
//! ranking then adds what real text shows about the subject — named in
//! the title, named often, named in the deciding sentence — and takes away
//! for venues, chains and funds (the place a token lists or runs on is
//! never the project) and for headline filler ("Key Takeaways").

use std::collections::HashMap;

/// Venues, chains, wallets and funds: never the project of a TGE when
/// another name is on offer.
const NOT_THE_PROJECT: &[&str] = &[
    "binance",
    "binance alpha",
    "binance futures",
    "binance wallet",
    "binance launchpool",
    "binance launchpad",
    "binance square",
    "binance research",
    "coinbase",
    "okx",
    "okx jumpstart",
    "okx wallet",
    "bybit",
    "kraken",
    "kucoin",
    "gate",
    "gate.io",
    "bitget",
    "mexc",
    "htx",
    "huobi",
    "upbit",
    "bithumb",
    "coinone",
    "korbit",
    "coincheck",
    "bitflyer",
    "btcturk",
    "bitfinex",
    "gemini",
    "crypto.com",
    "robinhood",
    "bitstamp",
    "bingx",
    "lbank",
    "poloniex",
    "bitmart",
    "hyperliquid",
    "uniswap",
    "raydium",
    "pump.fun",
    "ethereum",
    "solana",
    "bitcoin",
    "bnb",
    "bnb chain",
    "bnb smart chain",
    "ton",
    "the open network",
    "open network",
    "telegram",
    "arbitrum",
    "base",
    "polygon",
    "avalanche",
    "sui",
    "aptos",
    "cosmos",
    "tron",
    "layer 2",
    "layer-2",
    "l2",
    "a16z",
    "paradigm",
    "coindesk",
    "cointelegraph",
    "the block",
    "decrypt",
    "odaily",
    "foresight news",
    "techflow",
    "panews",
    "x",
    "twitter",
    "sec",
    "usdt",
    "usdc",
    "fdusd",
    "try",
    "eth",
    "sol",
    "btc",
    "utc",
    "tvl",
    "fdv",
    "dex",
    "nft",
    "ai",
    "defi",
    "web3",
    "tge",
    "ico",
    "ido",
    "ieo",
    "kyc",
    "faq",
    "ceo",
    "cto",
];

/// Words that begin headlines and template lines but never a project.
const FILLER: &[&str] = &[
    "key",
    "takeaways",
    "generation",
    "event",
    "fee",
    "fees",
    "open",
    "reveals",
    "platform",
    "author",
    "original",
    "compiled",
    "written",
    "summary",
    "abstract",
    "introduction",
    "article",
    "photo",
    "note",
    "notice",
    "announcement",
    "fellow",
    "binancians",
    "ceo",
    "founder",
    "co-founder",
    "president",
    "details",
    "delayed",
    "initial",
    "listing",
    "fake",
    "major",
    "general",
    "terms",
    "conditions",
    "products",
    "services",
    "trading",
    "spot",
    "futures",
    "zone",
    "innovation",
    "seed",
    "tag",
];

/// A proposed project name.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The name as the text spells it.
    pub name: String,
    /// A ticker proposed with the name, when one was.
    pub symbol: Option<String>,
    /// Plausibility: base score plus context bonuses and penalties; chosen only above 0.
    pub score: f64,
}

/// Candidates gathered from one text.
pub struct Candidates<'t> {
    text: &'t str,
    lower: String,
    title: String,
    focus: String,
    by_key: HashMap<String, Candidate>,
    order: Vec<String>,
}

/// The comparison key of a name.
pub fn key(name: &str) -> String {
    name.trim()
        .trim_start_matches('$')
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `name` is a venue, chain, fund or other non-project.
pub fn is_not_the_project(name: &str) -> bool {
    NOT_THE_PROJECT.contains(&key(name).as_str())
}

impl<'t> Candidates<'t> {
    /// An empty set for `text` whose deciding sentence is `focus`.
    pub fn new(text: &'t str, focus: &str) -> Self {
        Self {
            text,
            lower: text.to_lowercase(),
            title: crate::rules::first_line(text).to_lowercase(),
            focus: focus.to_lowercase(),
            by_key: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Proposes `name` (with `symbol`) at `base` score; a name proposed
    /// twice keeps its best base and gains a little.
    pub fn propose(&mut self, name: &str, symbol: Option<&str>, base: f64) {
        let name = name.trim().trim_matches(|c: char| !c.is_alphanumeric());
        if name.chars().count() < 2 || name.len() > 48 {
            return;
        }
        let k = key(name);
        let words: Vec<&str> = k.split(' ').collect();
        if words.iter().all(|w| FILLER.contains(w)) {
            return;
        }
        match self.by_key.get_mut(&k) {
            Some(c) => {
                c.score = c.score.max(base) + 0.25;
                if c.symbol.is_none() {
                    c.symbol = symbol.map(str::to_string);
                }
            }
            None => {
                self.order.push(k.clone());
                self.by_key.insert(
                    k,
                    Candidate {
                        name: name.to_string(),
                        symbol: symbol.map(str::to_string),
                        score: base,
                    },
                );
            }
        }
    }

    /// The best candidate after the ranking bonuses and penalties (ties go
    /// to the one proposed first).
    pub fn best(self) -> Option<Candidate> {
        let Candidates {
            text,
            lower,
            title,
            focus,
            mut by_key,
            order,
        } = self;
        let mut ranked: Vec<Candidate> = Vec::new();
        for k in order {
            let Some(mut c) = by_key.remove(&k) else {
                continue;
            };
            let mentions = crate::entities::count_word(&lower, &k);
            if crate::entities::contains_word(&title, &k) {
                c.score += 1.0;
            }
            if crate::entities::contains_word(&focus, &k) {
                c.score += 0.5;
            }
            c.score += 0.4 * (mentions.min(4) as f64);
            if is_not_the_project(&c.name) {
                c.score -= 4.0;
            }
            if k.split(' ').any(|w| FILLER.contains(&w)) {
                c.score -= 1.0;
            }
            // a name in lower case only in running text is a word, not a name
            if !c.name.chars().any(char::is_uppercase) && !text.contains(&format!("${}", c.name)) {
                c.score -= 0.5;
            }
            ranked.push(c);
        }
        let ranked = merge_tickers_into_names(ranked);
        let mut best: Option<Candidate> = None;
        for c in ranked {
            if best.as_ref().is_none_or(|b| c.score > b.score) {
                best = Some(c);
            }
        }
        best.filter(|b| b.score > 0.0)
    }
}

/// Whether `word` is shaped like a ticker: 2-10 ASCII capitals and digits,
/// a capital first.
fn is_ticker_shaped(word: &str) -> bool {
    (2..=10).contains(&word.len())
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Whether `ticker` abbreviates `name`: its letters appear in the name's
/// in order from the name's first letter (JOVN, Jovian Labs; QYST,
/// Quaystone), or the name spells it (SEA, OpenSea; ETHFI, ether.fi).
pub fn abbreviates(ticker: &str, name: &str) -> bool {
    let letters: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let t = ticker.to_lowercase();
    if t.len() < 2 || letters.len() <= t.len() {
        return false;
    }
    if letters.contains(&t) {
        return true;
    }
    let mut rest = letters.chars();
    letters.chars().next() == t.chars().next() && t.chars().all(|c| rest.any(|l| l == c))
}

/// A ticker proposed as a project name gives way to the name it
/// abbreviates, when the text offers that name too: the name takes the
/// ticker as its symbol and the better of the two scores.
fn merge_tickers_into_names(mut ranked: Vec<Candidate>) -> Vec<Candidate> {
    let mut i = 0;
    while i < ranked.len() {
        let ticker = ranked[i].name.trim_start_matches('$').to_string();
        let into = is_ticker_shaped(&ticker)
            .then(|| {
                ranked.iter().enumerate().position(|(j, n)| {
                    j != i
                        && n.score > 0.0
                        && !is_ticker_shaped(&n.name)
                        && !is_not_the_project(&n.name)
                        && abbreviates(&ticker, &n.name)
                })
            })
            .flatten();
        match into {
            Some(j) => {
                let score = ranked[i].score;
                let name = &mut ranked[j];
                name.score = name.score.max(score) + 0.25;
                name.symbol.get_or_insert(ticker);
                ranked.remove(i);
            }
            None => i += 1,
        }
    }
    ranked
}

/// Words a name is made of: capitalised, mixed case (`deBridge`), with
/// digits or dots (`ether.fi`), or all caps.
fn is_name_word(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if is_uncased_name(word) {
        return true;
    }
    (first.is_uppercase() || word.chars().skip(1).any(char::is_uppercase) || word.contains('.'))
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || ".-_&".contains(c))
}

/// A word of a script without capitals (Hangul, Han, kana), 2-12
/// letters: such names stand right before their `(TICKER)`.
fn is_uncased_name(word: &str) -> bool {
    let n = word.chars().count();
    (2..=12).contains(&n)
        && word.chars().all(|c| {
            matches!(c,
                '\u{AC00}'..='\u{D7A3}' // Hangul syllables
                | '\u{4E00}'..='\u{9FFF}' // CJK ideographs
                | '\u{3040}'..='\u{30FF}' // kana
            )
        })
}

/// Words that stop a name read backwards from a ticker.
fn stops_a_name(word: &str) -> bool {
    let lower = word.to_lowercase();
    crate::entities::is_not_a_name(&lower)
        || NOT_THE_PROJECT.contains(&lower.as_str())
        || lower.ends_with("-based")
        || matches!(
            lower.as_str(),
            "introducing"
                | "will"
                | "list"
                | "lists"
                | "listing"
                | "to"
                | "on"
                | "of"
                | "welcome"
                | "support"
                | "supports"
                | "adds"
                | "add"
                | "launches"
                | "about"
                | "with"
        )
}

/// The name that ends right before byte `end` of `text` (up to four name
/// words, "of"/"the" allowed inside: "Mines of Dalarnia").
fn name_before(text: &str, end: usize) -> Option<String> {
    let before = text[..end].trim_end();
    let line = before
        .rsplit(['\n', '|', ':', '!', '?', ',', ';', '(', ')', '[', ']', '"'])
        .next()?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut taken: Vec<&str> = Vec::new();
    for word in words.iter().rev() {
        let word = word.trim_end_matches(['\'', '.']);
        if taken.len() >= 4 {
            break;
        }
        if matches!(word, "of" | "the" | "de") && !taken.is_empty() {
            taken.push(word);
            continue;
        }
        if !is_name_word(word) || stops_a_name(word) {
            break;
        }
        taken.push(word);
    }
    while taken
        .last()
        .is_some_and(|w| matches!(*w, "of" | "the" | "de"))
    {
        taken.pop();
    }
    taken.reverse();
    (!taken.is_empty()).then(|| taken.join(" "))
}

/// Whether `ticker` is the initials of `name` (an acronym being spelled
/// out: "World Blockchain Association (WBA)"), not a token.
fn is_acronym_of(name: &str, ticker: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.len() < 2 {
        return false;
    }
    let initials: String = words
        .iter()
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    initials.ends_with(ticker)
}

fn is_ticker(t: &str) -> bool {
    (1..=10).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && t.chars().any(|c| c.is_ascii_uppercase())
        && !matches!(
            t,
            "TGE"
                | "UTC"
                | "NFT"
                | "DEX"
                | "CEX"
                | "DAO"
                | "AI"
                | "USD"
                | "TVL"
                | "FDV"
                | "KYC"
                | "FAQ"
                | "CEO"
                | "API"
                | "L1"
                | "L2"
                | "ICO"
                | "IDO"
                | "IEO"
                | "TL"
                | "DR"
                // time zones and quote currencies
                | "KST"
                | "JST"
                | "GMT"
                | "PST"
                | "EST"
                | "CET"
                | "CST"
                | "KRW"
                | "JPY"
                | "EUR"
                | "USDT"
                | "USDC"
        )
}

/// A ticker the text uses (`$ESKR`, `(ESKR)` or a bare `ESKR`) next to a
/// capitalised word it abbreviates (Eskara): in any language the pair
/// names the project, so the word is proposed with the ticker.
pub fn propose_abbreviations(text: &str, out: &mut Candidates<'_>) {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '$'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut tickers: Vec<&str> = Vec::new();
    for w in &words {
        let t = w.trim_start_matches('$');
        if t.len() >= 3
            && is_ticker(t)
            && t.chars().all(|c| c.is_ascii_uppercase())
            && !tickers.contains(&t)
        {
            tickers.push(t);
        }
    }
    if tickers.is_empty() {
        return;
    }
    let mut proposed: Vec<&str> = Vec::new();
    for w in &words {
        let capitalised = w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && w.chars().skip(1).any(|c| c.is_ascii_lowercase());
        if !capitalised || w.len() < 4 || proposed.contains(w) {
            continue;
        }
        let lower = w.to_lowercase();
        if crate::entities::is_not_a_name(&lower)
            || is_not_the_project(w)
            || FILLER.contains(&lower.as_str())
        {
            continue;
        }
        if let Some(t) = tickers.iter().find(|t| abbreviates(t, w)) {
            out.propose(&with_following_name_words(text, w), Some(t), 3.0);
            proposed.push(w);
        }
    }
}

/// Words that continue a project's name ("Orrery Labs"); other capitalised
/// words after a name are headline words ("Points", "Docs", "Public").
const NAME_SUFFIXES: &[&str] = &[
    "Labs", "Lab", "Network", "Protocol", "Finance", "Chain", "Swap", "Exchange", "Markets",
    "Money", "Games", "Studios", "AI", "DAO", "Fi", "Bridge", "Wallet", "Capital",
];

/// `word` with the name suffixes that follow it where it first stands in
/// `text` ("Orrery" → "Orrery Labs"), at most two.
fn with_following_name_words(text: &str, word: &str) -> String {
    let Some(at) = text.find(word) else {
        return word.to_string();
    };
    let mut name = word.to_string();
    let mut rest = &text[at + word.len()..];
    for _ in 0..2 {
        let Some(after_space) = rest.strip_prefix(' ') else {
            break;
        };
        let next: &str = after_space
            .split(|c: char| !(c.is_alphanumeric() || c == '.'))
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        if !NAME_SUFFIXES.contains(&next) {
            break;
        }
        name.push(' ');
        name.push_str(next);
        rest = &after_space[next.len()..];
    }
    name
}

/// `Name (TICKER)` and `TICKER (Name)` pairs, proposed with their
/// symbols; returns the pairs' symbols by name key.
pub fn propose_pairs(text: &str, out: &mut Candidates<'_>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(open) = text[from..].find('(').map(|i| i + from) {
        let Some(close) = text[open..].find(')').map(|i| i + open) else {
            break;
        };
        from = open + 1;
        let inside = text[open + 1..close].trim().trim_start_matches('$');
        if inside.is_empty() || inside.len() > 40 || inside.contains('\n') {
            continue;
        }
        // 이름(Name, TICKER): the inside names it and gives the ticker
        if let Some((name, ticker)) = inside.rsplit_once(',')
            && is_ticker(ticker.trim())
            && name.trim().chars().next().is_some_and(char::is_uppercase)
            && name.split_whitespace().count() <= 3
        {
            out.propose(name.trim(), Some(ticker.trim()), 3.5);
            continue;
        }
        if is_ticker(inside) {
            // Name (TICKER)
            if let Some(name) = name_before(text, open)
                && !is_acronym_of(&name, inside)
                && key(&name) != key(inside)
            {
                let base = if open < 200 { 3.5 } else { 3.0 };
                out.propose(&name, Some(inside), base);
            }
            continue;
        }
        // TICKER (Name): the word before the parenthesis is a ticker, the
        // inside reads as a name
        let before = text[..open].trim_end();
        let ticker_start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let ticker = &before[ticker_start..];
        let boundary = ticker_start == 0
            || !bytes
                .get(ticker_start - 1)
                .is_some_and(u8::is_ascii_alphanumeric);
        if boundary
            && is_ticker(ticker)
            && inside.chars().any(char::is_lowercase)
            && inside.split_whitespace().count() <= 4
            && inside
                .split_whitespace()
                .next()
                .is_some_and(|w| w.chars().next().is_some_and(char::is_alphanumeric))
        {
            let base = if open < 200 { 3.5 } else { 3.0 };
            out.propose(inside, Some(ticker), base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticker_abbreviates_its_name() {
        for (t, n) in [
            ("JOVN", "Jovian Labs"),
            ("QYST", "Quaystone"),
            ("SEA", "OpenSea"),
            ("ETHFI", "ether.fi"),
            ("SP", "Sophon"),
        ] {
            assert!(abbreviates(t, n), "{t} {n}");
        }
        for (t, n) in [
            ("BTC", "Ethereum"),
            ("QYST", "Quay"),
            ("KST", "Valdris"),
            ("AB", "AB"),
        ] {
            assert!(!abbreviates(t, n), "{t} {n}");
        }
    }

    fn best(text: &str) -> Option<(String, Option<String>)> {
        let mut c = Candidates::new(text, text);
        propose_pairs(text, &mut c);
        c.best().map(|c| (c.name, c.symbol))
    }

    fn best_of_all(text: &str) -> Option<(String, Option<String>)> {
        let mut c = Candidates::new(text, text);
        propose_pairs(text, &mut c);
        propose_abbreviations(text, &mut c);
        c.best().map(|c| (c.name, c.symbol))
    }

    #[test]
    fn names_come_from_the_tickers_that_abbreviate_them_in_any_language() {
        // a Latin name in Chinese, Russian and Vietnamese running text
        for text in [
            "Brackenor 宣布 BRKN 代币将于周五开放申领",
            "Блог Brackenor: запуск токена BRKN назначен на 4 августа",
            "Brackenor xác nhận TGE, token BRKN mở claim",
        ] {
            assert_eq!(
                best_of_all(text),
                Some(("Brackenor".to_string(), Some("BRKN".to_string()))),
                "{text}"
            );
        }
        // a time zone is not a ticker
        assert_eq!(best_of_all("청구는 21:00(KST) Valmorra 시작"), None);
        // the name words that follow belong to it; a verb does not
        assert_eq!(
            best_of_all("Brackenor Labs opens BRKN claims today"),
            Some(("Brackenor Labs".to_string(), Some("BRKN".to_string())))
        );
    }

    #[test]
    fn uncased_names_and_name_comma_ticker_pairs() {
        assert_eq!(
            best_of_all("[거래] 원화 마켓 신규 추가 (해오름링크(HORL))"),
            Some(("해오름링크".to_string(), Some("HORL".to_string())))
        );
        assert_eq!(
            best_of_all("빗썸은 솔바람(Solbaram, SBRM)의 거래를 지원합니다."),
            Some(("Solbaram".to_string(), Some("SBRM".to_string())))
        );
    }

    #[test]
    fn pairs_in_exchange_titles() {
        assert_eq!(
            best("[Initial Listing] Bitget Will List deBridgeX (DBX) in the Innovation Zone!"),
            Some(("deBridgeX".into(), Some("DBX".into())))
        );
        assert_eq!(
            best("OKX to list QRL (Quorlane) for spot trading"),
            Some(("Quorlane".into(), Some("QRL".into())))
        );
        assert_eq!(
            best("Introducing Caves of Marrow (CVM) on Binance Launchpool!"),
            Some(("Caves of Marrow".into(), Some("CVM".into())))
        );
        assert_eq!(
            best("Solana-Based Florp (FLRP) founder speaks"),
            Some(("Florp".into(), Some("FLRP".into())))
        );
    }

    #[test]
    fn acronyms_venues_and_filler_are_not_projects() {
        assert_eq!(best("the World Trade Forum (WTF) met"), None);
        assert_eq!(best("Binance (BNB) said"), None);
        assert_eq!(best("Key Takeaways (KT)"), None);
    }

    #[test]
    fn the_title_and_repetition_decide_between_names() {
        let text =
            "Quorlane sets its airdrop\nQuorlane (QRL) and Vexa (VXA) both trade; Quorlane leads.";
        let mut c = Candidates::new(text, text);
        propose_pairs(text, &mut c);
        assert_eq!(c.best().map(|c| c.name).as_deref(), Some("Quorlane"));
    }
}
