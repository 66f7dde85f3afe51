//! Compiling the classifier's regular expressions in one way: word
//! boundaries are ASCII (`(?-u:\b)`), which lets the regex crate use its
//! fast DFA engines on any text (a Unicode `\b` sends non-ASCII text to the
//! slow backtracking-free NFA). Names and letters stay Unicode-aware.

use regex::Regex;

/// `pattern` with every `\b` made an ASCII word boundary.
pub fn ascii_boundaries(pattern: &str) -> String {
    pattern.replace(r"\b", r"(?-u:\b)")
}

/// Compiles a built-in pattern.
///
/// # Panics
///
/// If the pattern is invalid: the patterns are fixed and covered by tests.
pub fn compile(pattern: &str) -> Regex {
    Regex::new(&ascii_boundaries(pattern))
        .unwrap_or_else(|e| panic!("built-in pattern `{pattern}` does not compile: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_ascii_and_still_bound_words() {
        let re = compile(r"\bTGE\b");
        assert!(re.is_match("the TGE is set"));
        assert!(re.is_match("TGE—today"));
        assert!(!re.is_match("TGEX"));
        assert!(!re.is_match("ATGE"));
        assert_eq!(ascii_boundaries(r"a\bb"), r"a(?-u:\b)b");
    }
}
