//! The lexicon: phrases that signal a TGE, and the context phrases that
//! cancel or weaken it, matched in one Aho-Corasick pass (ASCII
//! case-insensitive, longest match first) and kept only at word boundaries,
//! so "IDO" never matches inside "Lido".

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// What a cue phrase says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// "token generation event", "TGE".
    Tge,
    /// A token launch or debut.
    Launch,
    /// An airdrop / claim going live.
    Claim,
    /// A listing or trading start (strong only for a new token).
    Listing,
    /// Launchpool, launchpad, pre-market: new-token venues.
    NewTokenVenue,
    /// The event happens or is scheduled: "announces", "goes live", "today".
    Event,
    /// Speculation and rumour: "may", "rumoured", "considering".
    Speculation,
    /// Negation and denial: "no plans", "denies", "will not".
    Negation,
    /// Looking back: "after its TGE", "a year after", "since launch".
    Retrospective,
    /// About a token that already trades: unlocks, burns, price moves.
    ExistingToken,
    /// Warnings about scams and fake claim sites.
    Scam,
    /// Another sense of "TGE" (veterinary, a listed company, gaming).
    OtherSense,
    /// Things that are not token events: testnets, points, NFTs, funding.
    NotToken,
    /// Explainers and guides ("what is a TGE", "how to").
    Explainer,
    /// On the topic of tokens, not yet an event: "airdrop", "listing",
    /// "token" (see [`crate::cues_intl::TOPIC`]).
    Topic,
}

const PHRASES: &[(&str, Cue)] = &[
    // TGE proper
    ("token generation event", Cue::Tge),
    ("token generation", Cue::Tge),
    ("tge", Cue::Tge),
    ("tges", Cue::Tge),
    // launches
    ("token launch", Cue::Launch),
    ("token launches", Cue::Launch),
    ("launches its token", Cue::Launch),
    ("launch its token", Cue::Launch),
    ("launching its token", Cue::Launch),
    ("launch of its token", Cue::Launch),
    ("launches its native token", Cue::Launch),
    ("launch its native token", Cue::Launch),
    ("launch of its native token", Cue::Launch),
    ("launches native token", Cue::Launch),
    ("launches the", Cue::Launch),
    ("token debut", Cue::Launch),
    ("token debuts", Cue::Launch),
    ("genesis distribution", Cue::Launch),
    ("token genesis", Cue::Launch),
    ("genesis is set", Cue::Launch),
    ("becomes transferable", Cue::Launch),
    ("become transferable", Cue::Launch),
    ("has been minted", Cue::Launch),
    ("token has been minted", Cue::Launch),
    ("token drop is live", Cue::Claim),
    ("tokens go live", Cue::Launch),
    ("token goes live", Cue::Launch),
    ("debuts its token", Cue::Launch),
    ("token is live", Cue::Launch),
    ("token is now live", Cue::Launch),
    ("token will go live", Cue::Launch),
    ("token went live", Cue::Launch),
    ("token release", Cue::Launch),
    ("mainnet token", Cue::Launch),
    ("native token", Cue::Launch),
    ("governance token", Cue::Launch),
    ("utility token", Cue::Launch),
    ("token mint", Cue::Launch),
    ("introduces its token", Cue::Launch),
    ("unveils its token", Cue::Launch),
    // claims
    ("airdrop claim", Cue::Claim),
    ("airdrop claims", Cue::Claim),
    ("claim portal", Cue::Claim),
    ("claims portal", Cue::Claim),
    ("claim page", Cue::Claim),
    ("claim window", Cue::Claim),
    ("claim is live", Cue::Claim),
    ("claim is now live", Cue::Claim),
    ("claims are live", Cue::Claim),
    ("claims are now live", Cue::Claim),
    ("claiming is live", Cue::Claim),
    ("claiming is now live", Cue::Claim),
    ("claiming opens", Cue::Claim),
    ("claims open", Cue::Claim),
    ("claim opens", Cue::Claim),
    ("claiming starts", Cue::Claim),
    ("claim starts", Cue::Claim),
    ("claim your", Cue::Claim),
    ("airdrop is live", Cue::Claim),
    ("airdrop is now live", Cue::Claim),
    ("airdrop goes live", Cue::Claim),
    ("airdrop live", Cue::Claim),
    ("check eligibility", Cue::Claim),
    ("eligibility checker", Cue::Claim),
    // listings
    ("will list", Cue::Listing),
    ("to list", Cue::Listing),
    ("lists", Cue::Listing),
    ("listing", Cue::Listing),
    ("trading starts", Cue::Listing),
    ("trading opens", Cue::Listing),
    ("trading begins", Cue::Listing),
    ("trading will open", Cue::Listing),
    ("trading will start", Cue::Listing),
    ("trading will begin", Cue::Listing),
    ("deposits open", Cue::Listing),
    ("spot trading", Cue::Listing),
    ("new token", Cue::NewTokenVenue),
    ("launchpool", Cue::NewTokenVenue),
    ("launchpad", Cue::NewTokenVenue),
    ("pre-market", Cue::NewTokenVenue),
    ("premarket", Cue::NewTokenVenue),
    ("hodler airdrops", Cue::NewTokenVenue),
    ("megadrop", Cue::NewTokenVenue),
    ("at launch", Cue::NewTokenVenue),
    ("first listing", Cue::NewTokenVenue),
    ("liquidity bootstrapping pool", Cue::NewTokenVenue),
    ("newly launched", Cue::NewTokenVenue),
    ("has not previously been", Cue::NewTokenVenue),
    ("never traded before", Cue::NewTokenVenue),
    ("has never traded", Cue::NewTokenVenue),
    ("not yet trading", Cue::NewTokenVenue),
    ("first platform to feature", Cue::NewTokenVenue),
    ("on launch day", Cue::NewTokenVenue),
    (
        "first opportunity for anyone to acquire",
        Cue::NewTokenVenue,
    ),
    ("world premiere", Cue::NewTokenVenue),
    // event framing
    ("announces", Cue::Event),
    ("announced", Cue::Event),
    ("announce", Cue::Event),
    ("confirms", Cue::Event),
    ("confirmed", Cue::Event),
    ("officially", Cue::Event),
    ("official", Cue::Event),
    ("scheduled", Cue::Event),
    ("set for", Cue::Event),
    ("slated for", Cue::Event),
    ("goes live", Cue::Event),
    ("go live", Cue::Event),
    ("is live", Cue::Event),
    ("now live", Cue::Event),
    ("live now", Cue::Event),
    ("today", Cue::Event),
    ("tomorrow", Cue::Event),
    ("tonight", Cue::Event),
    ("kicks off", Cue::Event),
    ("begins", Cue::Event),
    ("starts", Cue::Event),
    ("opens", Cue::Event),
    ("will", Cue::Event),
    ("reveals", Cue::Event),
    ("unveils", Cue::Event),
    ("date", Cue::Event),
    ("countdown", Cue::Event),
    // a rumour that has been settled, hedged exchange wording
    ("expected to begin", Cue::Event),
    ("expected to start", Cue::Event),
    ("expected to open", Cue::Event),
    // a token that does not exist yet
    ("does not yet exist", Cue::NewTokenVenue),
    ("not yet exist", Cue::NewTokenVenue),
    ("has never been issued", Cue::NewTokenVenue),
    ("never been issued", Cue::NewTokenVenue),
    ("newly created", Cue::NewTokenVenue),
    ("newly minted", Cue::NewTokenVenue),
    ("newly issued", Cue::NewTokenVenue),
    ("freshly minted", Cue::NewTokenVenue),
    ("generation event", Cue::Tge),
    // a few launch words of other languages
    ("lancement de son jeton", Cue::Launch),
    ("lanzamiento", Cue::Launch),
    ("genera su token", Cue::Launch),
    ("sarà lanciato", Cue::Launch),
    ("lançamento", Cue::Launch),
    ("startet", Cue::Event),
    ("months of speculation", Cue::Event),
    ("months of rumours", Cue::Event),
    ("months of rumors", Cue::Event),
    ("weeks of speculation", Cue::Event),
    ("weeks of rumours", Cue::Event),
    ("weeks of rumors", Cue::Event),
    ("ending speculation", Cue::Event),
    ("finally confirmed", Cue::Event),
    ("finally confirms", Cue::Event),
    // more launch and claim phrasings
    ("will be generated", Cue::Launch),
    ("to be generated", Cue::Launch),
    ("will be minted", Cue::Launch),
    ("genesis of its", Cue::Launch),
    ("began trading for the first time", Cue::Launch),
    ("begins trading for the first time", Cue::Launch),
    ("trading for the first time", Cue::Launch),
    ("brand-new", Cue::NewTokenVenue),
    ("debut on spot", Cue::NewTokenVenue),
    ("claimable", Cue::Claim),
    ("token claim", Cue::Claim),
    ("public claim", Cue::Claim),
    ("opened claims", Cue::Claim),
    ("opens claims", Cue::Claim),
    ("claim is open", Cue::Claim),
    ("claims are open", Cue::Claim),
    ("claim wallets", Cue::Claim),
    ("airdrop checker", Cue::Claim),
    // explainers and guides
    ("what is a", Cue::Explainer),
    ("what is", Cue::Explainer),
    ("explained", Cue::Explainer),
    ("explainer", Cue::Explainer),
    ("how to", Cue::Explainer),
    ("beginner's guide", Cue::Explainer),
    ("guide to", Cue::Explainer),
    ("vs", Cue::Explainer),
    ("versus", Cue::Explainer),
    ("differences", Cue::Explainer),
    ("tips", Cue::Explainer),
    ("checklist", Cue::Explainer),
    ("opinion:", Cue::Explainer),
    ("an essay", Cue::Explainer),
    ("op-ed", Cue::Explainer),
    ("we're hiring", Cue::Explainer),
    ("we are hiring", Cue::Explainer),
    ("job opening", Cue::Explainer),
    // speculation
    ("expect", Cue::Speculation),
    ("expects", Cue::Speculation),
    ("probably", Cue::Speculation),
    ("interpret", Cue::Speculation),
    ("hint", Cue::Speculation),
    ("nothing confirmed", Cue::Speculation),
    ("not confirmed", Cue::Speculation),
    ("abuzz", Cue::Speculation),
    ("anonymous", Cue::Speculation),
    ("sometime", Cue::Speculation),
    ("szn", Cue::Speculation),
    ("incoming", Cue::Speculation),
    ("proposes", Cue::Speculation),
    ("suggests", Cue::Speculation),
    ("survey", Cue::Retrospective),
    ("year ago", Cue::Retrospective),
    ("years ago", Cue::Retrospective),
    ("months ago", Cue::Retrospective),
    ("sue", Cue::NotToken),
    ("sues", Cue::NotToken),
    ("alleging", Cue::NotToken),
    ("why most", Cue::Explainer),
    ("why do", Cue::Explainer),
    ("expo", Cue::OtherSense),
    ("conference", Cue::OtherSense),
    ("summit", Cue::OtherSense),
    ("exhibition", Cue::OtherSense),
    ("insurers", Cue::OtherSense),
    ("insurance", Cue::OtherSense),
    ("homeowners", Cue::OtherSense),
    ("may", Cue::Speculation),
    ("might", Cue::Speculation),
    ("could", Cue::Speculation),
    ("would", Cue::Speculation),
    ("reportedly", Cue::Speculation),
    ("rumor", Cue::Speculation),
    ("rumors", Cue::Speculation),
    ("rumored", Cue::Speculation),
    ("rumour", Cue::Speculation),
    ("rumours", Cue::Speculation),
    ("rumoured", Cue::Speculation),
    ("speculation", Cue::Speculation),
    ("speculate", Cue::Speculation),
    ("speculates", Cue::Speculation),
    ("speculated", Cue::Speculation),
    ("hints", Cue::Speculation),
    ("hinted", Cue::Speculation),
    ("hinting", Cue::Speculation),
    ("teases", Cue::Speculation),
    ("teased", Cue::Speculation),
    ("expected to", Cue::Speculation),
    ("is expected", Cue::Speculation),
    ("considering", Cue::Speculation),
    ("considers", Cue::Speculation),
    ("exploring", Cue::Speculation),
    ("explores", Cue::Speculation),
    ("mulls", Cue::Speculation),
    ("weighs", Cue::Speculation),
    ("potential", Cue::Speculation),
    ("possible", Cue::Speculation),
    ("possibly", Cue::Speculation),
    ("likely", Cue::Speculation),
    ("unconfirmed", Cue::Speculation),
    ("sources say", Cue::Speculation),
    ("according to sources", Cue::Speculation),
    ("people familiar", Cue::Speculation),
    ("if", Cue::Speculation),
    ("whether", Cue::Speculation),
    ("wen", Cue::Speculation),
    ("when token", Cue::Speculation),
    ("odds", Cue::Speculation),
    ("eventually", Cue::Speculation),
    ("someday", Cue::Speculation),
    ("one day", Cue::Speculation),
    ("in the future", Cue::Speculation),
    ("farming", Cue::Speculation),
    ("how to qualify", Cue::Speculation),
    ("guide", Cue::Speculation),
    // negation and denial
    ("no native token", Cue::Negation),
    ("has no native token", Cue::Negation),
    ("no governance token", Cue::Negation),
    ("without a native token", Cue::Negation),
    ("nothing", Cue::Negation),
    ("no plans", Cue::Negation),
    ("no plan", Cue::Negation),
    ("not", Cue::Negation),
    ("no token", Cue::Negation),
    ("no airdrop", Cue::Negation),
    ("there is no", Cue::Negation),
    ("there's no", Cue::Negation),
    ("no new token", Cue::Negation),
    ("no new listings", Cue::Negation),
    ("no new tokens", Cue::Negation),
    ("no tge", Cue::Negation),
    ("won't", Cue::Negation),
    ("will not", Cue::Negation),
    ("isn't", Cue::Negation),
    ("aren't", Cue::Negation),
    ("doesn't", Cue::Negation),
    ("don't", Cue::Negation),
    ("never", Cue::Negation),
    ("denies", Cue::Negation),
    ("denied", Cue::Negation),
    ("deny", Cue::Negation),
    ("dismisses", Cue::Negation),
    ("dismissed", Cue::Negation),
    ("refutes", Cue::Negation),
    ("debunks", Cue::Negation),
    ("without a token", Cue::Negation),
    ("postpones", Cue::Negation),
    ("postponed", Cue::Negation),
    ("delays", Cue::Negation),
    ("delayed", Cue::Negation),
    ("cancels", Cue::Negation),
    ("cancelled", Cue::Negation),
    ("canceled", Cue::Negation),
    ("scraps", Cue::Negation),
    ("shelves", Cue::Negation),
    ("no longer", Cue::Negation),
    // looking back
    ("months on", Cue::Retrospective),
    ("years on", Cue::Retrospective),
    ("post-mortem", Cue::Retrospective),
    ("postmortem", Cue::Retrospective),
    ("underperformed", Cue::Retrospective),
    ("underperform", Cue::Retrospective),
    ("outperformed", Cue::Retrospective),
    ("quarterly report", Cue::Retrospective),
    ("has fallen", Cue::Retrospective),
    ("last january", Cue::Retrospective),
    ("last february", Cue::Retrospective),
    ("last march", Cue::Retrospective),
    ("last april", Cue::Retrospective),
    ("last may", Cue::Retrospective),
    ("last june", Cue::Retrospective),
    ("last july", Cue::Retrospective),
    ("last august", Cue::Retrospective),
    ("last september", Cue::Retrospective),
    ("last october", Cue::Retrospective),
    ("last november", Cue::Retrospective),
    ("last december", Cue::Retrospective),
    ("since its tge", Cue::Retrospective),
    ("post-tge", Cue::Retrospective),
    ("since its token generation event", Cue::Retrospective),
    ("since launch", Cue::Retrospective),
    ("since its launch", Cue::Retrospective),
    ("since its debut", Cue::Retrospective),
    ("year after", Cue::Retrospective),
    ("years after", Cue::Retrospective),
    ("months after", Cue::Retrospective),
    ("weeks after", Cue::Retrospective),
    ("look back", Cue::Retrospective),
    ("looking back", Cue::Retrospective),
    ("a look at", Cue::Retrospective),
    ("anniversary", Cue::Retrospective),
    ("last year", Cue::Retrospective),
    ("last year's", Cue::Retrospective),
    ("retrospective", Cue::Retrospective),
    ("year-on-year", Cue::Retrospective),
    ("year over year", Cue::Retrospective),
    ("according to a new report", Cue::Retrospective),
    ("tge was", Cue::Retrospective),
    ("launch was", Cue::Retrospective),
    ("airdrop was", Cue::Retrospective),
    ("recap", Cue::Retrospective),
    ("lessons", Cue::Retrospective),
    ("biggest", Cue::Retrospective),
    ("performance", Cue::Retrospective),
    ("performed", Cue::Retrospective),
    ("analysis", Cue::Retrospective),
    ("history", Cue::Retrospective),
    ("back in", Cue::Retrospective),
    ("went live last", Cue::Retrospective),
    ("launched last", Cue::Retrospective),
    ("since then", Cue::Retrospective),
    ("ranked", Cue::Retrospective),
    ("ranking", Cue::Retrospective),
    ("study", Cue::Retrospective),
    ("report finds", Cue::Retrospective),
    ("data shows", Cue::Retrospective),
    // an existing token
    ("existing", Cue::ExistingToken),
    ("third round", Cue::ExistingToken),
    ("second round", Cue::ExistingToken),
    ("round of", Cue::ExistingToken),
    ("rewards to", Cue::ExistingToken),
    ("season 2", Cue::ExistingToken),
    ("round 2", Cue::ExistingToken),
    ("round two", Cue::ExistingToken),
    ("round 1 recipients", Cue::ExistingToken),
    ("season two", Cue::ExistingToken),
    ("bonus distribution", Cue::ExistingToken),
    ("has been available", Cue::ExistingToken),
    ("been trading", Cue::ExistingToken),
    ("available on", Cue::ExistingToken),
    ("since it launched", Cue::ExistingToken),
    ("unlock", Cue::ExistingToken),
    ("unlocks", Cue::ExistingToken),
    ("token unlock", Cue::ExistingToken),
    ("vesting", Cue::ExistingToken),
    ("burn", Cue::ExistingToken),
    ("burns", Cue::ExistingToken),
    ("buyback", Cue::ExistingToken),
    ("buybacks", Cue::ExistingToken),
    ("migration", Cue::ExistingToken),
    ("migrate", Cue::ExistingToken),
    ("token swap", Cue::ExistingToken),
    ("rebrand", Cue::ExistingToken),
    ("rebrands", Cue::ExistingToken),
    ("redenomination", Cue::ExistingToken),
    ("staking rewards", Cue::ExistingToken),
    ("second airdrop", Cue::ExistingToken),
    ("another airdrop", Cue::ExistingToken),
    ("new airdrop season", Cue::ExistingToken),
    ("already trades", Cue::ExistingToken),
    ("already trading", Cue::ExistingToken),
    ("already listed", Cue::ExistingToken),
    ("adds support", Cue::ExistingToken),
    ("now available on", Cue::ExistingToken),
    ("perpetual", Cue::ExistingToken),
    ("perpetuals", Cue::ExistingToken),
    ("perps", Cue::ExistingToken),
    ("futures", Cue::ExistingToken),
    ("margin", Cue::ExistingToken),
    ("price", Cue::ExistingToken),
    ("rallies", Cue::ExistingToken),
    ("surges", Cue::ExistingToken),
    ("soars", Cue::ExistingToken),
    ("plunges", Cue::ExistingToken),
    ("tumbles", Cue::ExistingToken),
    ("slumps", Cue::ExistingToken),
    ("all-time high", Cue::ExistingToken),
    ("market cap", Cue::ExistingToken),
    ("delist", Cue::ExistingToken),
    ("delisting", Cue::ExistingToken),
    ("delists", Cue::ExistingToken),
    ("etf", Cue::ExistingToken),
    // scams
    ("fake", Cue::Scam),
    ("scam", Cue::Scam),
    ("scams", Cue::Scam),
    ("scammers", Cue::Scam),
    ("phishing", Cue::Scam),
    ("beware", Cue::Scam),
    ("impersonat", Cue::Scam),
    ("drainer", Cue::Scam),
    ("malicious", Cue::Scam),
    // other senses of TGE
    ("disease", Cue::OtherSense),
    ("farmers", Cue::OtherSense),
    ("biosecurity", Cue::OtherSense),
    ("infection", Cue::OtherSense),
    ("acquisition", Cue::OtherSense),
    ("gastroenteritis", Cue::OtherSense),
    ("swine", Cue::OtherSense),
    ("pigs", Cue::OtherSense),
    ("piglets", Cue::OtherSense),
    ("porcine", Cue::OtherSense),
    ("veterinary", Cue::OtherSense),
    ("veterinarians", Cue::OtherSense),
    ("livestock", Cue::OtherSense),
    ("herd", Cue::OtherSense),
    ("herds", Cue::OtherSense),
    ("outbreak", Cue::OtherSense),
    ("vaccine", Cue::OtherSense),
    ("shareholders", Cue::OtherSense),
    ("shares of", Cue::OtherSense),
    ("stock exchange", Cue::OtherSense),
    ("dividend", Cue::OtherSense),
    ("quarterly earnings", Cue::OtherSense),
    ("earnings", Cue::OtherSense),
    ("gas engineering", Cue::OtherSense),
    ("esports", Cue::OtherSense),
    ("tournament", Cue::OtherSense),
    ("festival", Cue::OtherSense),
    ("concert", Cue::OtherSense),
    ("band", Cue::OtherSense),
    ("album", Cue::OtherSense),
    ("the great escape", Cue::OtherSense),
    ("premarket trading", Cue::OtherSense),
    ("pre-market trading", Cue::OtherSense),
    ("pre-market movers", Cue::OtherSense),
    ("premarket movers", Cue::OtherSense),
    ("nyse", Cue::OtherSense),
    ("nasdaq", Cue::OtherSense),
    ("audit log", Cue::OtherSense),
    ("service account", Cue::OtherSense),
    ("client id", Cue::OtherSense),
    ("access token", Cue::OtherSense),
    ("oauth", Cue::OtherSense),
    ("appointment system", Cue::OtherSense),
    ("token packs", Cue::OtherSense),
    ("arcade", Cue::OtherSense),
    ("token-based", Cue::OtherSense),
    // not a token event
    ("testnet", Cue::NotToken),
    ("points program", Cue::NotToken),
    ("points season", Cue::NotToken),
    ("points campaign", Cue::NotToken),
    ("nft", Cue::NotToken),
    ("nfts", Cue::NotToken),
    ("raises", Cue::NotToken),
    ("funding round", Cue::NotToken),
    ("series a", Cue::NotToken),
    ("seed round", Cue::NotToken),
    ("hack", Cue::NotToken),
    ("exploit", Cue::NotToken),
    ("exploited", Cue::NotToken),
    ("lawsuit", Cue::NotToken),
    ("sec", Cue::NotToken),
    ("regulators", Cue::NotToken),
];

/// One cue found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Which cue matched.
    pub cue: Cue,
    /// Byte offset of the match in the text.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
}

/// Phrasings with a ticker or a name in the middle ("launch its EMBR
/// token", "will generate CRWY"), which a fixed phrase cannot hold.
const PATTERNS: &[(&str, Cue)] = &[
    (
        r"(?i:\b(?:launch(?:es|ed|ing)?|mint(?:s|ed|ing)?|debut(?:s|ed|ing)?|generate(?:s|d)?|ship(?:s|ped)?|release(?:s|d)?|introduce(?:s|d)?|unveil(?:s|ed)?|distribute(?:s|d)?|airdrop(?:s|ped)?|roll(?:s|ed)?\s+out)\s+)(?:(?i:(?:its|the|their|our|a|an)\s+(?:first\s+|native\s+|governance\s+|community\s+|loyalty\s+|new\s+|newly\s+created\s+)?)(?:\$?[A-Z][A-Za-z0-9]{1,9}\s+)?|\$?[A-Z][A-Z0-9]{1,9}\s+)(?i:tokens?)\b",
        Cue::Launch,
    ),
    (
        r"\b(?i:will\s+|to\s+|finally\s+)?(?i:generate|mint|mints|debut|debuts)\s+\$?[A-Z][A-Z0-9]{1,9}\b",
        Cue::Launch,
    ),
    // "the Coralis token ($CRL) launches", "the HLX token will launch"
    (
        r"(?i:\btokens?\b)[^.;!?\n]{0,60}?\b(?i:launch(?:es|ed)?|will\s+launch|goes\s+live|went\s+live|is\s+(?:now\s+|officially\s+)?live|debuts?|is\s+minted|will\s+go\s+live)\b",
        Cue::Launch,
    ),
    // "Mudd Coin ($MUDD) launching in 30 min"
    (
        r"\(\$?[A-Z][A-Z0-9]{1,9}\)\s+(?i:(?:is\s+)?launching|launches|goes\s+live|is\s+(?:now\s+)?live)\b",
        Cue::Launch,
    ),
    // "$MOSSY is live", "$DRFTR is minted"
    (
        r"(?:\$[A-Z][A-Z0-9]{1,9}|(?:^|[\s,:;.!?])[A-Z][A-Z0-9]{2,9})\s+(?i:(?:token\s+)?(?:is|are|will\s+go|goes)\s+(?:now\s+|officially\s+)?(?:live|minted))\b",
        Cue::Launch,
    ),
];

/// Words one of [`PATTERNS`] needs: a text with none of them skips the
/// regexes (most news articles), keeping the common case one pass.
const PATTERN_GATE: &[&str] = &["token", "generate", "mint", "debut", "$", "live", "launch"];

/// The compiled lexicon.
pub struct Lexicon {
    matcher: AhoCorasick,
    /// The phrases of `matcher`, by pattern index: text, cue, and whether
    /// a match needs word boundaries (ASCII phrases do).
    phrases: Vec<(String, Cue, bool)>,
    patterns: Vec<(regex::Regex, Cue)>,
}

/// "May" the month (next to a day number, or capitalized mid-sentence),
/// not the modal verb.
fn is_month_may(text: &str, start: usize, end: usize) -> bool {
    let next_digit = text[end..]
        .trim_start()
        .starts_with(|c: char| c.is_ascii_digit());
    let prev_digit = text[..start]
        .trim_end()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .ends_with(|c: char| c.is_ascii_digit());
    let capital_mid_sentence = text[start..].starts_with('M')
        && start > 1
        && !text[..start].trim_end().ends_with(['.', '!', '?', '\n']);
    next_digit || prev_digit || capital_mid_sentence
}

/// Whether `text` has one of the [`PATTERN_GATE`] words (any case): a
/// lower-cased copy searched once per word (substring search is vectorized,
/// several times faster here than one automaton over the text).
fn passes_gate(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    PATTERN_GATE.iter().any(|w| lower.contains(w))
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexicon {
    /// Compiles the built-in phrases.
    ///
    /// # Panics
    ///
    /// Never: the phrase list is fixed and valid.
    pub fn new() -> Self {
        let phrases: Vec<(String, Cue, bool)> = crate::cues_intl::all_phrases(PHRASES)
            .into_iter()
            .map(|(p, cue)| {
                let bounded = p.is_ascii();
                (p, cue, bounded)
            })
            .collect();
        // a full DFA: one table lookup per byte (the lexicon is scanned
        // over every document; the NFA the builder picks by default for
        // this many phrases is several times slower)
        let matcher = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(phrases.iter().map(|(p, _, _)| p))
            .expect("the built-in lexicon compiles");
        let patterns = PATTERNS
            .iter()
            .map(|(p, cue)| (crate::patterns::compile(p), *cue))
            .collect();
        Self {
            matcher,
            phrases,
            patterns,
        }
    }

    /// Every cue in `text` that stands at word boundaries, in order.
    pub fn hits(&self, text: &str) -> Vec<Hit> {
        let mut hits = self.phrase_hits(text);
        let patterns = if passes_gate(text) {
            self.patterns.as_slice()
        } else {
            &[]
        };
        for (pattern, cue) in patterns {
            hits.extend(pattern.find_iter(text).map(|m| Hit {
                cue: *cue,
                start: m.start(),
                end: m.end(),
            }));
        }
        hits.sort_by_key(|h| (h.start, h.end));
        hits
    }

    fn phrase_hits(&self, text: &str) -> Vec<Hit> {
        let bytes = text.as_bytes();
        self.matcher
            .find_iter(text)
            .filter(|m| {
                let (phrase, _, bounded) = &self.phrases[m.pattern().as_usize()];
                if !bounded {
                    return true;
                }
                let before = m.start() == 0 || !is_word_byte(bytes[m.start() - 1]);
                let after = m.end() == bytes.len() || !is_word_byte(bytes[m.end()]);
                // "impersonat" is a stem: allow letters after it
                let stem = phrase == "impersonat";
                before
                    && (after || stem)
                    && !(phrase == "may" && is_month_may(text, m.start(), m.end()))
            })
            .map(|m| Hit {
                cue: self.phrases[m.pattern().as_usize()].1,
                start: m.start(),
                end: m.end(),
            })
            .collect()
    }
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(text: &str) -> Vec<Cue> {
        Lexicon::new()
            .hits(text)
            .into_iter()
            .map(|h| h.cue)
            .collect()
    }

    #[test]
    fn matches_at_word_boundaries_only() {
        assert_eq!(cues("Lido stakers"), Vec::<Cue>::new());
        assert!(cues("the TGE is set").contains(&Cue::Tge));
        assert!(!cues("TGEX index").contains(&Cue::Tge));
        assert!(cues("Token Generation Event on May 2").contains(&Cue::Tge));
    }

    #[test]
    fn longest_phrase_wins() {
        let hits = cues("since its TGE the price fell");
        assert!(hits.contains(&Cue::Retrospective));
        assert!(!hits.contains(&Cue::Tge), "{hits:?}");
    }
}
