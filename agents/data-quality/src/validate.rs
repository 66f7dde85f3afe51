//! Checks and normalization of a candidate.

use swarm_types::finding::Status;

/// Why a candidate is refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

const GENERIC: &[&str] = &[
    "unknown", "token", "tge", "airdrop", "crypto", "the", "project", "network", "protocol",
];

/// A usable project name: trimmed, 2-80 characters, not a number or a
/// generic word.
pub fn project(raw: &str) -> Result<String, Invalid> {
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = name
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string();
    let count = name.chars().count();
    if !(2..=80).contains(&count) {
        return Err(Invalid(format!("project name of {count} characters")));
    }
    if name.chars().all(|c| c.is_ascii_digit()) || GENERIC.contains(&name.to_lowercase().as_str()) {
        return Err(Invalid(format!("`{name}` is not a project name")));
    }
    Ok(name)
}

/// A ticker: 2-10 upper-case letters or digits, at least one letter;
/// anything else is dropped (the event is then keyed by project only).
pub fn symbol(raw: &str) -> Option<String> {
    let s = raw.trim().trim_start_matches('$').to_uppercase();
    let ok = (2..=10).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_alphabetic());
    ok.then_some(s)
}

/// A date the classifier produced (`YYYY-MM-DD`, `YYYY-MM`, `YYYY-Qn`)
/// with its precision; anything else is unknown.
pub fn date(raw: &str) -> (Option<String>, String) {
    let b = raw.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let precision = match raw.len() {
        10 if digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10) => {
            "day"
        }
        7 if digits(0..4) && b[4] == b'-' && b[5] == b'Q' && (b'1'..=b'4').contains(&b[6]) => {
            "quarter"
        }
        7 if digits(0..4) && b[4] == b'-' && digits(5..7) => "month",
        _ => return (None, "unknown".into()),
    };
    (Some(raw.to_string()), precision.into())
}

/// A language code (ISO 639-1, or a three-letter ISO 639 code): the
/// primary subtag of the tag, lower-cased (`EN-us` → `en`); anything else
/// (empty, digits, a free-text name) is unknown.
pub fn language(raw: &str) -> Option<String> {
    let primary = raw.trim().split(['-', '_']).next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic());
    ok.then(|| primary.to_ascii_lowercase())
}

/// The lifecycle status a report states.
pub fn status(snippet: &str, has_date: bool) -> Status {
    let s = snippet.to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| s.contains(w));
    if any(&["postpone", "delayed", "moved from", "rescheduled"]) {
        Status::Postponed
    } else if any(&["cancelled", "canceled", "called off"]) {
        Status::Cancelled
    } else if any(&[
        "is live",
        "now live",
        "goes live today",
        "went live",
        "is open",
        "are open",
        "claim now",
        "began trading",
        "live now",
    ]) {
        Status::Live
    } else if has_date {
        Status::Scheduled
    } else {
        Status::Announced
    }
}

/// Text without control characters, whitespace collapsed, at most 500
/// characters.
pub fn sanitize(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    clean
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(500)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_are_normalized_or_dropped() {
        assert_eq!(language("zh").as_deref(), Some("zh"));
        assert_eq!(language(" EN-us ").as_deref(), Some("en"));
        assert_eq!(language("pt_BR").as_deref(), Some("pt"));
        assert_eq!(language("fil").as_deref(), Some("fil"));
        for bad in ["", "e", "english", "12", "x1", "日本"] {
            assert_eq!(language(bad), None, "{bad}");
        }
    }

    #[test]
    fn validates_and_normalizes() {
        assert_eq!(project("  Nova   Labs "), Ok("Nova Labs".into()));
        assert!(project("2027").is_err());
        assert!(project("unknown").is_err());
        assert_eq!(symbol("$nova"), Some("NOVA".into()));
        assert_eq!(symbol("N"), None);
        assert_eq!(symbol("12345"), None);
        assert_eq!(
            date("2027-03-04"),
            (Some("2027-03-04".into()), "day".into())
        );
        assert_eq!(date("2027-Q2").1, "quarter");
        assert_eq!(date("2027-02").1, "month");
        assert_eq!(date("soon"), (None, "unknown".into()));
        assert_eq!(status("Claims are open now", false), Status::Live);
        assert_eq!(status("TGE on May 3", true), Status::Scheduled);
        assert_eq!(status("TGE postponed to June", true), Status::Postponed);
        assert_eq!(sanitize("a\u{0}b\n\n c"), "a b c");
    }
}
