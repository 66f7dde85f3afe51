//! Text as real feeds send it, made plain before anything reads it: HTML
//! entities decoded, curly quotes and full-width punctuation folded to
//! ASCII, markdown emphasis, headings and link syntax dropped, zero-width
//! characters removed, runs of spaces collapsed (line breaks kept: the
//! first line is the title and lines end sentences).
//!
//! Everything downstream (cues, sentences, names, dates, features) reads
//! the normalized text, so evidence spans point into it.

/// The title and text of a document as one normalized text (title first,
/// on its own line).
pub fn document_text(title: &str, text: &str) -> String {
    let title = title.trim();
    if title.is_empty() {
        normalize(text)
    } else {
        let mut joined = String::with_capacity(title.len() + text.len() + 1);
        joined.push_str(title);
        joined.push('\n');
        joined.push_str(text);
        normalize(&joined)
    }
}

/// `raw` made plain (see the module documentation).
pub fn normalize(raw: &str) -> String {
    // most feed text is already plain: nothing to do but trim its end
    let trimmed = raw.trim_end_matches(' ');
    if is_plain(trimmed) {
        return trimmed.to_string();
    }
    let decoded;
    let raw = if raw.contains('&') {
        decoded = decode_entities(raw);
        decoded.as_str()
    } else {
        raw
    };
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut line_start = true;
    while let Some(c) = chars.next() {
        let c = fold(c);
        match c {
            // invisible characters and carriage returns are dropped
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\r' => {}
            '\n' => {
                trim_trailing_spaces(&mut out);
                out.push('\n');
                line_start = true;
                continue;
            }
            c if c.is_whitespace() => {
                if !out.is_empty() && !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
            }
            // markdown headings and quote marks at the start of a line
            '#' | '>' if line_start && matches!(chars.peek(), Some('#' | ' ' | '>')) => {
                while chars.next_if(|&n| n == '#' || n == '>').is_some() {}
            }
            // **bold**, __bold__, `code`
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
            }
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
            }
            '`' => {}
            // [label](url) keeps the label
            ']' if chars.peek() == Some(&'(') => {
                let rest: String = chars.clone().take(300).collect();
                if let Some(close) = rest.find(')')
                    && !rest[..close].contains(char::is_whitespace)
                {
                    for _ in 0..rest[..=close].chars().count() {
                        chars.next();
                    }
                }
            }
            '[' if chars.clone().take(200).any(|n| n == ']') && is_link_label(&chars) => {}
            c => out.push(c),
        }
        line_start = false;
    }
    trim_trailing_spaces(&mut out);
    out
}

/// Whether `raw` (its trailing spaces trimmed) is ASCII that
/// [`normalize`] would leave as it is: no entity, markup, tab, carriage return, run of
/// spaces or space before a line break. One pass over the bytes.
fn is_plain(raw: &str) -> bool {
    if !raw.is_ascii()
        || raw.starts_with(' ')
        || raw.contains("  ")
        || raw.contains(" \n")
        || raw.contains("\n ")
    {
        return false;
    }
    let bytes = raw.as_bytes();
    // bytes that may start markup: rare in news text, looked at in context
    bytes.iter().enumerate().all(|(i, &b)| {
        if !MAYBE_MARKUP[usize::from(b)] {
            return true;
        }
        let prev = if i == 0 { b'\n' } else { bytes[i - 1] };
        let next = bytes.get(i + 1).copied().unwrap_or(b'.');
        match b {
            b'*' => next != b'*',
            b'_' => next != b'_',
            b'#' | b'>' => prev != b'\n',
            _ => false,
        }
    })
}

/// Bytes [`is_plain`] must look at: entities, markup, tabs and returns.
const MAYBE_MARKUP: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let bytes = b"&`[]\r\t*_#>";
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

fn trim_trailing_spaces(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
}

/// Whether the `[` just read opens a `[label](url)` link.
fn is_link_label(chars: &std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut it = chars.clone();
    for _ in 0..200 {
        match it.next() {
            Some(']') => return it.next() == Some('('),
            Some('\n') | None => return false,
            Some(_) => {}
        }
    }
    false
}

/// One character folded: typographic quotes and dashes to ASCII,
/// full-width forms to their ASCII letters and punctuation, no-break
/// spaces to spaces.
fn fold(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{FF07}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' => '-',
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Named and numeric HTML entities decoded (the common ones feeds leave
/// in); an unknown entity stays as written.
pub fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        // curly quotes and guillemets are folded to straight ones
        "quot" | "rdquo" | "ldquo" | "laquo" | "raquo" => '"',
        "apos" | "rsquo" | "lsquo" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "middot" => '·',
        "bull" => '•',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_markup_becomes_plain_text() {
        assert_eq!(
            normalize("Kelvane&#8217;s &quot;TGE&quot; &amp; airdrop &bogus; &#0;"),
            "Kelvane's \"TGE\" & airdrop &bogus; &#0;"
        );
        assert_eq!(
            normalize("## **Big news**: Orvix’s “token”  launch\r\n> quoted   line  "),
            "Big news: Orvix's \"token\" launch\nquoted line"
        );
        assert_eq!(
            normalize("See [the claim page](https://x.example/claim) now"),
            "See the claim page now"
        );
        assert_eq!(normalize("（ＮＯＶＡ）：上线"), "(NOVA):上线");
        assert_eq!(normalize("a\u{200B}b\u{00A0}c"), "ab c");
    }

    #[test]
    fn the_plain_text_shortcut_agrees_with_the_full_pass() {
        for (text, plain) in [
            ("Plain title\nA body line with $TKN, 50% and a #tag. ", true),
            ("x ## not a heading > nor a quote", true),
            ("ends with spaces   ", true),
            ("snake_case and a*b", true),
            ("## heading", false),
            ("> quote", false),
            ("**bold**", false),
            ("line \nbreak", false),
            (" leading space", false),
            ("two  spaces", false),
            ("a __c", false),
            ("tab\there", false),
            ("caf\u{e9}", false),
        ] {
            assert_eq!(is_plain(text.trim_end_matches(' ')), plain, "{text:?}");
            // a no-break space first forces the full pass
            let full = normalize(&format!("\u{00A0}{text}"));
            if plain {
                assert_eq!(normalize(text), full, "{text:?}");
            }
        }
    }
}
