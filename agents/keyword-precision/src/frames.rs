//! Frames: the labelling rule's questions asked of a text with a few
//! broad patterns each — is a token being launched, is a claim open, is a
//! listing a first one, is it new, or is it speculation, a later season, a
//! follow-up product, a guide, a token that already trades? Each frame is
//! one feature for the title and one for the head of the text; a frame
//! groups many phrasings, so the model learns one weight from few
//! examples where single n-grams are too rare to learn.

use regex::Regex;

/// Bytes of the text the frames read.
const HEAD_BYTES: usize = 1_500;

/// (name, pattern) of every frame; patterns are case-insensitive.
const FRAMES: &[(&str, &str)] = &[
    (
        "launch_token",
        r"\b(?:launch(?:es|ed|ing)?|releas(?:e|es|ed|ing)|debut(?:s|ed)?|unveil(?:s|ed)?|introduc(?:e|es|ed)|roll(?:s|ed)? out|mint(?:s|ed)?)\s+(?:of\s+)?(?:its|their|the|a|an)?\s*(?:long-awaited\s+|highly anticipated\s+|much-awaited\s+|first\s+|own\s+)?(?:native\s+|governance\s+|utility\s+|new\s+)?(?:\$?[a-z0-9]{1,10}\s+)?(?:token|coin|memecoin|meme coin)s?\b|\b(?:token|coin|memecoin)s?\s+(?:launch(?:es|ed)?|debut(?:s|ed)?|goes live|went live|is (?:now )?live|arriv(?:es|ed)|begins trading|starts trading)|\bbegins? trading\b|\btrading (?:opens|starts|begins)\b|\bwill (?:begin|start) trading\b",
    ),
    (
        "claim_open",
        r"\bclaim(?:s|ing)?\s+(?:portal|page|window|period|site|process)|\bclaim(?:s|ing)? (?:is |are )?(?:now )?(?:live|open)|\bclaims? open|\bopens?\s+(?:the\s+)?(?:airdrop\s+)?claim|\beligibility (?:checker|check|page|criteria)|\bcheck(?:er)? (?:your )?eligibility|\bsnapshot\b|\ballocation(?:s)? (?:checker|revealed|released|page)|\bpre-claim\b",
    ),
    (
        "airdrop_event",
        r"\bairdrop(?:s|ped)?\b[^.\n]{0,60}\b(?:live|open|opens|begins|starts|scheduled|set for|on (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|today|tomorrow|this week|next week|distribut|went live|goes live|kicks off|is here)|\b(?:will|to|set to|plans to|is set to|announced|announces|confirm(?:s|ed)?|reveal(?:s|ed)?|detail(?:s|ed)?|launch(?:es|ed)?|roll(?:s|ed)? out)\s+(?:its\s+|the\s+|an?\s+)?(?:first\s+|long-awaited\s+|highly anticipated\s+|much-awaited\s+|token\s+|community\s+)?airdrop",
    ),
    (
        "exchange_new_listing",
        r"\bwill list\b|\bto list\b|\binitial listing\b|\bwill be available on\b|\bhodler airdrops?\b|\blaunchpool\b|\bmegadrop\b|\bjumpstart\b|\blaunchpad\b|\bpre-market\b|\bpremarket\b|\bpre-tge\b|\bseed tag\b|\btoken sale\b|\bnew (?:token|listing|project)\b|上线|上線|상장|上場|листинг",
    ),
    (
        "newness",
        r"\bnew(?:ly)?[- ](?:launched|created|minted|issued)\b|\brecently launched\b|\bfreshly\b|\blaunch day\b|\bfirst day\b|\bday one\b|\blong-awaited\b|\bhighly anticipated\b|\bmuch-awaited\b|\bhotly anticipated\b|\bmuch-hyped\b|\bfinally\b|\bnative token\b|\bgovernance token\b|\bgenesis\b|\btoken generation\b|\btge\b|recém-lançad|recién lanzad|新币|新幣|신규|新規|нов(?:ый|ого) токен",
    ),
    (
        "price_after_launch",
        r"\b(?:surg|soar|jump|slid|slide|drop|fall|fell|plung|tumbl|crash|rall|spik)\w*\b[^.\n]{0,60}\bafter (?:its |the )?(?:launch|airdrop|debut|listing|tge)",
    ),
    (
        "sale",
        r"\b(?:ico|ido|ieo|public sale|token sale|presale|pre-sale|subscription)\b",
    ),
    (
        "speculation",
        r"\b(?:potential|possible|possibly|could|may|might|rumou?r(?:s|ed)?|speculat\w*|reportedly|consider(?:s|ing)?|explor(?:es|ing)|hint(?:s|ed)?|whisper\w*|tease[sd]?|mull(?:s|ing)?|eyes?|expected to)\b|可能|传闻|傳聞|가능성|루머|噂|возможно|слух|podría|poderia|rumores|olabilir",
    ),
    (
        "later_round",
        r"\bseason\s+(?:[2-9]|two|three|four)\b|\b(?:second|third|fourth|fifth|next|another|new round of)\s+(?:airdrop|round|season|batch|phase|stage)|\bstage\s+[2-9]\b|\bround\s+[2-9]\b|\bphase\s+[2-9]\b|\bcontinues\b|\bretroactive airdrop vote\b|第二|第三|두 번째|2차|3차|второй|второго",
    ),
    (
        "follow_up_product",
        r"\b(?:perpetual|perp|futures|margin|earn|simple earn|staking rewards|loan|loans|convert|trading pairs?|new pairs?|trading bots?|options|leverage|delist\w*|token swap|swap|migration|migrat\w*|redenominat\w*|rebrand\w*|network upgrade|hard fork|unlock\w*|burn\w*|buyback|treasury|etf|ipo|hack\w*|exploit\w*|stolen)\b|永续|合约|杠杆|下架|理财|交易对|解锁|상장폐지|선물|유의|上場廃止|先物|фьючерс|делист|разблок",
    ),
    (
        "guide",
        r"\bhow to\b|\bguide\b|\bexplain(?:ed|er)?\b|\bwhat is\b|\bwhat are\b|\btutorial\b|\bglossary\b|\bdefinition\b|\bdeep dive\b|\boverview\b|\bfaq\b|什么是|란 무엇|とは|что такое|qué es|o que é|nedir",
    ),
    (
        "points_farming",
        r"\bpoints?\b|\bfarm(?:ing|ers?)?\b|\btestnet\b|\byaps?\b|\bquests?\b|\bxp\b",
    ),
    (
        "already_trading",
        r"\balready (?:trad\w*|listed|live|available)\b|\bsince (?:its |the )?(?:20\d\d|launch|debut|listing|tge)\b|\blaunched (?:last|in 20\d\d)\b|\bhas (?:been )?trad(?:ed|ing)\b|\blisted (?:last|in 20\d\d|earlier)\b|\bcurrent (?:value|price)\b|已上线|已在|지난해 상장|이미 상장",
    ),
    (
        "denial",
        r"\bno plans?\b|\bden(?:y|ies|ied)\b|\bnot (?:launching|planning)\b|\bnever (?:launched|went|had)\b|\bno token\b|\bfalse\b|\bfake\b|\bscam\w*\b|\bphishing\b|\bimpersonat\w*|否认|부인|否定|отрица",
    ),
    (
        "retrospective",
        r"\b(?:a year|two years|months|years) (?:after|since|ago)\b|\blooking back\b|\bretrospective\b|\btimeline\b|\bhistory\b|\bin 20(?:1\d|2[0-3])\b",
    ),
];

/// The compiled frames.
pub struct Frames {
    patterns: Vec<(&'static str, Regex)>,
}

impl Default for Frames {
    fn default() -> Self {
        Self::new()
    }
}

impl Frames {
    /// Compiles the frames.
    ///
    /// # Panics
    ///
    /// Never: the patterns are fixed and covered by a test.
    pub fn new() -> Self {
        Self {
            patterns: FRAMES
                .iter()
                .map(|(name, p)| (*name, crate::patterns::compile(&format!("(?i:{p})"))))
                .collect(),
        }
    }

    /// The frames `title` and the head of `text` show, as feature keys
    /// (`title:<frame>`, `head:<frame>`).
    pub fn keys(&self, title: &str, text: &str) -> Vec<String> {
        let head = crate::features::head(text, HEAD_BYTES);
        let mut keys = Vec::new();
        for (name, pattern) in &self.patterns {
            if pattern.is_match(title) {
                keys.push(format!("title:{name}"));
            }
            if pattern.is_match(head) {
                keys.push(format!("head:{name}"));
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_group_phrasings() {
        let frames = Frames::new();
        let keys = frames.keys(
            "Orvane opens claim portal for its ORV airdrop",
            "The long-awaited airdrop goes live Monday.",
        );
        assert!(keys.contains(&"title:claim_open".to_string()), "{keys:?}");
        assert!(keys.contains(&"head:newness".to_string()), "{keys:?}");
        assert!(keys.contains(&"head:airdrop_event".to_string()), "{keys:?}");
        let keys = frames.keys("Season 2 airdrop of ORV, trading since 2024", "");
        assert!(keys.contains(&"title:later_round".to_string()), "{keys:?}");
        assert!(
            keys.contains(&"title:already_trading".to_string()),
            "{keys:?}"
        );
        assert!(
            !keys.contains(&"title:launch_token".to_string()),
            "{keys:?}"
        );
    }
}
