//! What the classifier is told: the watchlist (projects with aliases,
//! tickers and per-project exclusion contexts) and the tokens that already
//! trade (a listing or second airdrop of one of those is not a TGE).

use serde::Deserialize;

/// One watched project.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchedProject {
    /// The project's name, as reported in detections.
    pub project: String,
    /// Other names the project goes by in texts.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The project's tickers; the first is reported as its symbol.
    #[serde(default)]
    pub tickers: Vec<String>,
    /// Words that, near the name, mean another sense of it (a place, a
    /// common word): "aurora borealis", "near miss".
    #[serde(default)]
    pub exclude_contexts: Vec<String>,
}

/// A token that already trades: its name or ticker, and since when (a
/// text from before that date may still announce its TGE).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum KnownToken {
    /// Trading for as long as it matters: `"BTC"`.
    Always(String),
    /// Trading since a date: `{ name = "JUP", since = "2024-01-31" }`.
    Since {
        /// Name or ticker, matched case-insensitively.
        name: String,
        /// First trading day, ISO (`YYYY-MM-DD`).
        since: String,
    },
}

impl KnownToken {
    fn name(&self) -> &str {
        match self {
            KnownToken::Always(name) | KnownToken::Since { name, .. } => name,
        }
    }

    /// First trading day (unix ms), when stated and valid.
    fn since_ms(&self) -> Option<i64> {
        match self {
            KnownToken::Always(_) => None,
            KnownToken::Since { since, .. } => crate::dates::parse_iso_day(since),
        }
    }
}

/// Tokens trading since before this day (2021-01-01) count as known even
/// for a text whose date is unknown.
const LONG_KNOWN_BEFORE_MS: i64 = 1_609_459_200_000;
/// A token counts as already trading this long after its first day.
pub const LAUNCH_GRACE_MS: i64 = 14 * 86_400_000;

/// Classifier settings (TOML).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Projects to attribute by name and flag as watched (empty: none).
    pub watchlist: Vec<WatchedProject>,
    /// Names and tickers of tokens that already trade.
    pub known_tokens: Vec<KnownToken>,
    /// Probability at or above which a document counts as a TGE.
    pub threshold: f64,
}

/// Tokens that trade on every major venue, with their first trading day
/// (a default; extend in config, e.g. `config/known_tokens.toml`).
pub const DEFAULT_KNOWN_TOKENS: &[(&str, &str)] = &[
    ("BTC", "2009-01-09"),
    ("Bitcoin", "2009-01-09"),
    ("ETH", "2015-08-07"),
    ("Ethereum", "2015-08-07"),
    ("Ether", "2015-08-07"),
    ("SOL", "2020-04-10"),
    ("Solana", "2020-04-10"),
    ("XRP", "2013-08-04"),
    ("Ripple", "2013-08-04"),
    ("BNB", "2017-07-25"),
    ("ADA", "2017-10-01"),
    ("Cardano", "2017-10-01"),
    ("DOGE", "2013-12-15"),
    ("Dogecoin", "2013-12-15"),
    ("DOT", "2020-08-19"),
    ("Polkadot", "2020-08-19"),
    ("AVAX", "2020-09-22"),
    ("Avalanche", "2020-09-22"),
    ("MATIC", "2019-04-28"),
    ("POL", "2024-09-04"),
    ("Polygon", "2019-04-28"),
    ("LINK", "2017-09-20"),
    ("Chainlink", "2017-09-20"),
    ("UNI", "2020-09-17"),
    ("Uniswap", "2020-09-17"),
    ("LTC", "2011-10-13"),
    ("Litecoin", "2011-10-13"),
    ("TRX", "2017-09-13"),
    ("Tron", "2017-09-13"),
    ("ATOM", "2019-03-14"),
    ("Cosmos", "2019-03-14"),
    ("NEAR", "2020-10-13"),
    ("APT", "2022-10-19"),
    ("Aptos", "2022-10-19"),
    ("ARB", "2023-03-23"),
    ("Arbitrum", "2023-03-23"),
    ("OP", "2022-05-31"),
    ("Optimism", "2022-05-31"),
    ("SUI", "2023-05-03"),
    ("TON", "2021-08-25"),
    ("Toncoin", "2021-08-25"),
    ("SHIB", "2020-08-01"),
    ("Shiba Inu", "2020-08-01"),
    ("PEPE", "2023-04-17"),
    ("USDT", "2014-10-06"),
    ("Tether", "2014-10-06"),
    ("USDC", "2018-09-26"),
    ("DAI", "2017-12-18"),
    ("AAVE", "2020-10-02"),
    ("Aave", "2020-10-02"),
    ("MKR", "2017-12-18"),
    ("Maker", "2017-12-18"),
    ("LDO", "2021-01-05"),
    ("Lido", "2021-01-05"),
    ("XLM", "2014-08-05"),
    ("Stellar", "2014-08-05"),
    ("XMR", "2014-05-21"),
    ("Monero", "2014-05-21"),
    ("FIL", "2020-10-15"),
    ("Filecoin", "2020-10-15"),
    ("ICP", "2021-05-10"),
    ("HBAR", "2019-09-16"),
    ("Hedera", "2019-09-16"),
    ("ETC", "2016-07-24"),
    ("BCH", "2017-08-01"),
    ("INJ", "2020-10-21"),
    ("Injective", "2020-10-21"),
    ("TIA", "2023-10-31"),
    ("Celestia", "2023-10-31"),
    ("SEI", "2023-08-15"),
    ("JUP", "2024-01-31"),
    ("Jupiter", "2024-01-31"),
    ("WIF", "2023-12-20"),
    ("BONK", "2022-12-25"),
    ("RNDR", "2020-06-10"),
    ("FET", "2019-02-28"),
    ("GRT", "2020-12-17"),
    ("STX", "2019-10-30"),
    ("IMX", "2021-06-24"),
    ("MNT", "2023-07-17"),
    ("KAS", "2021-11-07"),
    ("ALGO", "2019-06-19"),
    ("Algorand", "2019-06-19"),
    ("EGLD", "2020-09-03"),
    ("SAND", "2020-08-14"),
    ("MANA", "2017-09-17"),
    ("AXS", "2020-11-04"),
    ("CRV", "2020-08-13"),
    ("Curve", "2020-08-13"),
    ("COMP", "2020-06-15"),
    ("SNX", "2018-03-01"),
    ("ENS", "2021-11-09"),
    ("PYTH", "2023-11-20"),
    ("STRK", "2024-02-20"),
    ("Starknet", "2024-02-20"),
    ("ZK", "2024-06-17"),
    ("zkSync", "2024-06-17"),
    ("EIGEN", "2024-10-01"),
    ("EigenLayer", "2024-10-01"),
    ("ENA", "2024-04-02"),
    ("Ethena", "2024-04-02"),
    ("ONDO", "2024-01-18"),
    ("W", "2024-04-03"),
    ("Wormhole", "2024-04-03"),
];

impl Default for Config {
    fn default() -> Self {
        Self {
            watchlist: Vec::new(),
            known_tokens: DEFAULT_KNOWN_TOKENS
                .iter()
                .map(|(name, since)| KnownToken::Since {
                    name: name.to_string(),
                    since: since.to_string(),
                })
                .collect(),
            threshold: 0.5,
        }
    }
}

impl Config {
    /// Parses a TOML configuration.
    ///
    /// # Errors
    ///
    /// Invalid TOML or unknown fields.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Whether `name` (a project or ticker) is a token that already trades
    /// at `published` (unix ms; `None` when the text's date is unknown:
    /// then only tokens trading since before 2021 count).
    pub fn is_known_token(&self, name: &str, published: Option<i64>) -> bool {
        let name = name.trim().trim_start_matches('$');
        self.known_tokens.iter().any(|k| {
            k.name().eq_ignore_ascii_case(name)
                && match (k.since_ms(), published) {
                    (None, _) => true,
                    (Some(since), Some(at)) => at > since + LAUNCH_GRACE_MS,
                    (Some(since), None) => since < LONG_KNOWN_BEFORE_MS,
                }
        })
    }
}
