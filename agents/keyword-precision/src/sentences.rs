//! Splitting a text into sentences, so that a negation or a rumour only
//! cancels the TGE mention it stands next to.

/// Byte ranges of the sentences of `text` (headline line breaks, `.`, `!`,
/// `?`, `;` and ` | ` / ` - ` separators of headlines end a sentence).
pub fn split(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let end_here = match b {
            b'\n' | b'!' | b'?' | b'|' => true,
            b'.' => {
                let next = bytes.get(i + 1).copied();
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                // "Dec. 2", "Jan. 5": an abbreviated month, not an end
                let word_start = text[..i]
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !c.is_ascii_alphabetic())
                    .map_or(0, |(p, c)| p + c.len_utf8());
                let abbreviation = i - word_start <= 4
                    && [
                        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
                        "nov", "dec", "no", "vs", "inc", "st", "mr", "dr",
                    ]
                    .contains(&text[word_start..i].to_ascii_lowercase().as_str());
                let decimal = prev.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit());
                !(abbreviation || decimal)
                    && next.is_none_or(|n| n == b' ' || n == b'\n' || n == b'"')
            }
            _ => false,
        };
        if end_here {
            if i > start {
                out.push((start, i + 1));
            }
            start = i + 1;
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    out.retain(|(s, e)| text[*s..*e].trim().len() > 1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_sentence_ends_but_not_decimals() {
        let text = "Nova raises $2.5M. No token yet! TGE on Dec. 3?";
        let parts: Vec<&str> = split(text)
            .iter()
            .map(|(s, e)| text[*s..*e].trim())
            .collect();
        assert_eq!(
            parts,
            vec!["Nova raises $2.5M.", "No token yet!", "TGE on Dec. 3?"]
        );
    }
}
