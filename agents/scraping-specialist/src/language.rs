//! The language of a document, as an ISO 639-1 code (`en`, `zh`, `ja`):
//! the source's own tag when it states one, reduced to its primary subtag
//! (`en-us` → `en`, `zh-Hans-CN` → `zh`, `eng` → `en`), else detected from
//! the title and text with whatlang (trigrams and scripts, 70 languages),
//! whose ISO 639-3 codes are mapped here. A guess too weak to trust is no
//! language at all: the document goes on without one.

use whatlang::Lang;

/// Least whatlang confidence a detection needs. Scripts of one language
/// (Hangul, kana, Thai) come out at 1.0; Latin and Cyrillic texts of a
/// sentence or two land well above this, word salad below it.
const MIN_CONFIDENCE: f64 = 0.25;
/// Most text read for a detection (the start of a page says enough).
const MAX_DETECT_BYTES: usize = 4 * 1024;

/// The document's language: `stated` (the source's tag) when it is a
/// usable tag, else detected from `title` and `text`.
pub fn of(stated: Option<&str>, title: &str, text: &str) -> Option<String> {
    if let Some(code) = stated.and_then(normalise) {
        return Some(code);
    }
    let mut sample = String::with_capacity(title.len() + 1 + text.len().min(MAX_DETECT_BYTES));
    sample.push_str(title);
    sample.push('\n');
    sample.push_str(text);
    detect(crate::parse::prefix(&sample, MAX_DETECT_BYTES)).map(str::to_string)
}

/// A source's language tag as ISO 639-1 (`EN-us` → `en`, `pt_BR` → `pt`,
/// `jpn` → `ja`); `None` for tags that name no language (`und`, `mul`,
/// `zxx`, empty) or are not tags.
pub fn normalise(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
    if !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let primary = primary.to_ascii_lowercase();
    match primary.len() {
        2 => Some(primary),
        3 if ["und", "mul", "zxx", "mis"].contains(&primary.as_str()) => None,
        3 => Some(match primary.as_str() {
            // ISO 639-2/B and macrolanguage codes whatlang does not use
            "zho" | "chi" => "zh".to_string(),
            "fas" | "per" => "fa".to_string(),
            "ger" => "de".to_string(),
            "fre" => "fr".to_string(),
            "dut" => "nl".to_string(),
            "cze" => "cs".to_string(),
            "gre" => "el".to_string(),
            "rum" => "ro".to_string(),
            "slo" => "sk".to_string(),
            "arm" => "hy".to_string(),
            "geo" => "ka".to_string(),
            "wel" => "cy".to_string(),
            "bur" => "my".to_string(),
            "mac" => "mk".to_string(),
            "nor" => "no".to_string(),
            code => Lang::from_code(code).map_or_else(|| code.to_string(), |l| iso639_1(l).into()),
        }),
        _ => None,
    }
}

/// The language whatlang finds in `text`, if it is sure enough; else
/// English for plain-ASCII text with English function words (whatlang is
/// unsure of short English full of names and tickers: "QLN claim portal").
pub fn detect(text: &str) -> Option<&'static str> {
    let info = whatlang::detect(text)?;
    if info.confidence() >= MIN_CONFIDENCE {
        return Some(iso639_1(info.lang()));
    }
    looks_english(text).then_some("en")
}

/// Words common in English and rare as words of other Latin-script
/// languages (no "a", "on", "to": Romance and Slavic words too).
const ENGLISH_FUNCTION_WORDS: &[&str] = &[
    "the", "its", "is", "are", "was", "will", "with", "for", "of", "and", "at", "has", "have",
    "this", "that", "from", "by", "be", "been", "it", "after", "before",
];

/// Whether `text` is ASCII-only and uses English function words at least
/// twice.
fn looks_english(text: &str) -> bool {
    if !text.is_ascii() {
        return false;
    }
    let uses = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| {
            ENGLISH_FUNCTION_WORDS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(w))
        })
        .count();
    uses >= 2
}

/// ISO 639-1 code of a whatlang language.
fn iso639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
        Lang::Cym => "cy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_announcements_are_detected() {
        let samples = [
            (
                "zh",
                "知岚协议宣布将于三月十四日进行代币生成活动，空投领取同日开放。",
            ),
            (
                "ja",
                "ミナトラボは三月十四日にトークン生成イベントを実施すると発表しました。",
            ),
            (
                "ko",
                "하람 네트워크는 3월 14일에 토큰 생성 이벤트를 진행한다고 발표했습니다.",
            ),
            (
                "ru",
                "Проект Велмора объявил, что генерация токенов пройдёт четырнадцатого марта.",
            ),
            (
                "es",
                "El proyecto Velmora anunció que su evento de generación de tokens será el catorce de marzo.",
            ),
            (
                "pt",
                "O projeto Velmora anunciou que o evento de geração de tokens acontece em março, com resgate no mesmo dia.",
            ),
            (
                "tr",
                "Velmora projesi token üretim etkinliğinin on dört martta yapılacağını duyurdu.",
            ),
            (
                "en",
                "Velmora Network announced that its token generation event takes place on March 14.",
            ),
        ];
        for (expected, text) in samples {
            assert_eq!(detect(text), Some(expected), "{text}");
            assert_eq!(of(None, "", text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn short_english_full_of_names_is_english() {
        // whatlang alone says French, unsure, for the first
        let text = "QLN claim portal\nThe Quillnet airdrop claim portal opens on March 14, 2027, the day of its TGE.";
        assert_eq!(detect(text), Some("en"));
        assert_eq!(
            detect("Nimbleaf cancels its TGE\nNimbleaf cancels its token generation event."),
            Some("en")
        );
        assert_eq!(detect("Fernhollow sets a date"), None, "too little to tell");
        assert_ne!(
            detect("El proyecto Velmora anunció su TGE."),
            Some("en"),
            "not ASCII: never taken for English"
        );
    }

    #[test]
    fn a_stated_tag_wins_and_is_normalised() {
        let english = "Velmora Network announced its token generation event.";
        assert_eq!(of(Some("pt-BR"), "", english).as_deref(), Some("pt"));
        assert_eq!(
            of(Some("und"), "", english).as_deref(),
            Some("en"),
            "und is no tag"
        );
        assert_eq!(of(Some(""), "", english).as_deref(), Some("en"));
        for (tag, code) in [
            ("en-us", "en"),
            ("EN_GB", "en"),
            ("zh-Hans-CN", "zh"),
            ("ja", "ja"),
            ("eng", "en"),
            ("cmn", "zh"),
            ("zho", "zh"),
            ("ger", "de"),
            ("fil", "fil"),
        ] {
            assert_eq!(normalise(tag).as_deref(), Some(code), "{tag}");
        }
        for tag in ["", "und", "mul", "english", "e", "12", "日本語"] {
            assert_eq!(normalise(tag), None, "{tag}");
        }
    }

    #[test]
    fn no_text_or_noise_is_no_language() {
        assert_eq!(of(None, "", ""), None);
        assert_eq!(detect("12 34 $$ 56"), None);
        // a huge text is read from its start only
        let long = "Velmora Network announced its token generation event. ".repeat(10_000);
        assert_eq!(of(None, "", &long).as_deref(), Some("en"));
    }
}
