//! Project names as the scorer compares them: normalised (case,
//! punctuation, spacing, suffixes such as Labs or Network) and the tickers
//! a labelled text gives its project (`Name (TICK)`, a lone `$TICK`).

use std::collections::BTreeSet;

/// Words dropped from the end (and `the` from the start) of a name.
const SUFFIXES: &[&str] = &[
    "labs",
    "lab",
    "network",
    "protocol",
    "foundation",
    "finance",
    "token",
    "coin",
    "dao",
];

/// `name` lowercased, without punctuation and spacing, without a leading
/// `the` and trailing [`SUFFIXES`] (one word is always kept):
/// `"The Halvard Labs"` → `halvard`, `"ether.fi"` → `etherfi`.
pub fn normalise(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(w)) {
        words.pop();
    }
    words.concat()
}

/// `s` as a ticker (`$` dropped, uppercased) if it looks like one: 2 to 10
/// ASCII letters or digits, at least one letter.
pub fn as_ticker(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('$');
    let ok = (2..=10).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
        && s.bytes().any(|b| b.is_ascii_alphabetic());
    ok.then(|| s.to_ascii_uppercase())
}

/// Whether `s` is written as a ticker (upper case, [`as_ticker`]).
pub fn written_as_ticker(s: &str) -> bool {
    let s = s.trim().trim_start_matches('$');
    as_ticker(s).is_some() && !s.bytes().any(|b| b.is_ascii_lowercase())
}

/// The tickers `text` gives `project`: the project itself when written as
/// one, `TICK` in `<project> (TICK)` or `<project> ($TICK)`, and the only
/// cashtag of the text when it has exactly one.
pub fn tickers(project: &str, text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if written_as_ticker(project) {
        out.extend(as_ticker(project));
    }
    let wanted = normalise(project);
    for (at, _) in text.match_indices('(') {
        let rest = &text[at + 1..];
        let Some(close) = rest.find(')').filter(|&c| c <= 12) else {
            continue;
        };
        let inner = &rest[..close];
        if !written_as_ticker(inner) {
            continue;
        }
        let before: Vec<&str> = text[..at].split_whitespace().collect();
        let named = (1..=4.min(before.len()))
            .any(|k| normalise(&before[before.len() - k..].join(" ")) == wanted);
        if named && !wanted.is_empty() {
            out.extend(as_ticker(inner));
        }
    }
    let cashtags: BTreeSet<String> = text
        .split(|c: char| c.is_whitespace() || ",.;:!?()[]\"'".contains(c))
        .filter(|w| w.starts_with('$'))
        .filter(|w| written_as_ticker(w))
        .filter_map(as_ticker)
        .collect();
    if cashtags.len() == 1 {
        out.extend(cashtags);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_punctuation_and_suffixes() {
        assert_eq!(normalise("Halvard Labs"), "halvard");
        assert_eq!(normalise("the HALVARD network"), "halvard");
        assert_eq!(normalise("Ether.fi"), "etherfi");
        assert_eq!(normalise("Quill Protocol Foundation"), "quill");
        assert_eq!(normalise("Network"), "network", "one word is kept");
        assert_eq!(normalise("Kestrune"), normalise("KESTRUNE"));
        assert_ne!(normalise("Kestrune"), normalise("Kestrel"));
        assert_eq!(normalise("币安"), "币安");
        assert_eq!(normalise("..."), "");
    }

    #[test]
    fn finds_the_tickers_of_the_project() {
        let t = tickers(
            "Veyra",
            "Exchange will list Veyra (VYR) and Other (OTH); $VYR deposits open",
        );
        assert_eq!(t.into_iter().collect::<Vec<_>>(), ["VYR"]);
        let t = tickers("Tarn Labs", "Tarn Labs ($TRN) sets its TGE");
        assert!(t.contains("TRN"), "{t:?}");
        assert!(
            tickers("Veyra", "Binance (BNB) news about Veyra").is_empty(),
            "a ticker after another name is not the project's"
        );
        assert!(
            tickers("Veyra", "$AAA and $BBB").is_empty(),
            "two cashtags: neither is known to be the project's"
        );
        assert!(tickers("HAWK", "no ticker in the text").contains("HAWK"));
        assert!(tickers("Hawk", "(Hawk) lower case").is_empty());
        assert!(tickers("Ünï", "Ünï (ÜN) (").is_empty());
    }
}
