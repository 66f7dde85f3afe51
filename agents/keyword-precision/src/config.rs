//! What the classifier is told: the watchlist (projects with aliases,
//! tickers and per-project exclusion contexts) and the tokens that already
//! trade (a listing or second airdrop of one of those is not a TGE).

use serde::Deserialize;

/// One watched project.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchedProject {
    pub project: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub tickers: Vec<String>,
    /// Words that, near the name, mean another sense of it (a place, a
    /// common word): "aurora borealis", "near miss".
    #[serde(default)]
    pub exclude_contexts: Vec<String>,
}

/// Classifier settings (TOML).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub watchlist: Vec<WatchedProject>,
    /// Names and tickers of tokens that already trade.
    pub known_tokens: Vec<String>,
    /// Probability at or above which a document counts as a TGE.
    pub threshold: f64,
}

/// Tokens that trade on every major venue (a default; extend in config).
pub const DEFAULT_KNOWN_TOKENS: &[&str] = &[
    "BTC",
    "Bitcoin",
    "ETH",
    "Ethereum",
    "Ether",
    "SOL",
    "Solana",
    "XRP",
    "Ripple",
    "BNB",
    "ADA",
    "Cardano",
    "DOGE",
    "Dogecoin",
    "DOT",
    "Polkadot",
    "AVAX",
    "Avalanche",
    "MATIC",
    "POL",
    "Polygon",
    "LINK",
    "Chainlink",
    "UNI",
    "Uniswap",
    "LTC",
    "Litecoin",
    "TRX",
    "Tron",
    "ATOM",
    "Cosmos",
    "NEAR",
    "APT",
    "Aptos",
    "ARB",
    "Arbitrum",
    "OP",
    "Optimism",
    "SUI",
    "TON",
    "Toncoin",
    "SHIB",
    "Shiba Inu",
    "PEPE",
    "USDT",
    "Tether",
    "USDC",
    "DAI",
    "AAVE",
    "Aave",
    "MKR",
    "Maker",
    "LDO",
    "Lido",
    "XLM",
    "Stellar",
    "XMR",
    "Monero",
    "FIL",
    "Filecoin",
    "ICP",
    "HBAR",
    "Hedera",
    "ETC",
    "BCH",
    "INJ",
    "Injective",
    "TIA",
    "Celestia",
    "SEI",
    "JUP",
    "Jupiter",
    "WIF",
    "BONK",
    "RNDR",
    "FET",
    "GRT",
    "STX",
    "IMX",
    "MNT",
    "KAS",
    "ALGO",
    "Algorand",
    "EGLD",
    "SAND",
    "MANA",
    "AXS",
    "CRV",
    "Curve",
    "COMP",
    "SNX",
    "ENS",
    "PYTH",
    "STRK",
    "Starknet",
    "ZK",
    "zkSync",
    "EIGEN",
    "EigenLayer",
    "ENA",
    "Ethena",
    "ONDO",
    "W",
    "Wormhole",
];

impl Default for Config {
    fn default() -> Self {
        Self {
            watchlist: Vec::new(),
            known_tokens: DEFAULT_KNOWN_TOKENS.iter().map(|s| s.to_string()).collect(),
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

    /// Whether `name` (a project or ticker) is a token that already trades.
    pub fn is_known_token(&self, name: &str) -> bool {
        let name = name.trim().trim_start_matches('$');
        self.known_tokens
            .iter()
            .any(|k| k.eq_ignore_ascii_case(name))
    }
}
