//! What clients without the admin scope do not see of a source's URL:
//! the query string and fragment (feeds take API keys there) and the
//! userinfo (`user:password@`). Scheme, host, port and path stay, and the
//! URL says where something was left out (`?…`, `#…`, `…@`).

/// The marker of a redacted part.
pub const MARK: &str = "…";

/// `url` without its userinfo, query and fragment.
///
/// ```
/// assert_eq!(
///     tge_api::redact::url("https://bob:pw@feeds.example/v1/news?api_key=s3cret#top"),
///     "https://…@feeds.example/v1/news?…#…"
/// );
/// assert_eq!(tge_api::redact::url("https://feeds.example/rss"), "https://feeds.example/rss");
/// ```
pub fn url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, _)) => (b, true),
        None => (url, false),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((b, _)) => (b, true),
        None => (before_fragment, false),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://{MARK}@{host}{path}"),
                None => before_query.to_string(),
            }
        }
        None => before_query.to_string(),
    };
    if query {
        out.push('?');
        out.push_str(MARK);
    }
    if fragment {
        out.push('#');
        out.push_str(MARK);
    }
    out
}

/// Characters that end a URL inside a sentence (an error message).
fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | '(' | '`' | ',')
}

/// `text` with every URL in it (`scheme://…`) passed through [`url`]:
/// fetch errors often quote the URL they failed on.
///
/// ```
/// assert_eq!(
///     tge_api::redact::text("error sending request for url (https://x.example/q?token=abc): timed out"),
///     "error sending request for url (https://x.example/q?…): timed out"
/// );
/// ```
pub fn text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        // the scheme: the letters (and + - .) right before `://`
        let scheme_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(at, |(i, _)| i);
        let end = rest[at..].find(ends_url).map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..scheme_start]);
        out.push_str(&url(&rest[scheme_start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_fragments_and_userinfo_are_left_out() {
        for (given, shown) in [
            (
                "https://api.example/v2/listings?type=new&apikey=K",
                "https://api.example/v2/listings?…",
            ),
            (
                "http://user:pass@127.0.0.1:8080/feed.xml",
                "http://…@127.0.0.1:8080/feed.xml",
            ),
            ("https://host.example?k=v", "https://host.example?…"),
            ("https://a@b@host.example/p", "https://…@host.example/p"),
            ("https://host.example/p#frag", "https://host.example/p#…"),
            (
                "wss://stream.example/ws?token=t",
                "wss://stream.example/ws?…",
            ),
            ("https://host.example/p/a@b", "https://host.example/p/a@b"),
            ("no-scheme/path?secret=1", "no-scheme/path?…"),
            ("", ""),
        ] {
            assert_eq!(url(given), shown, "{given}");
        }
    }

    #[test]
    fn urls_inside_messages_are_redacted() {
        assert_eq!(
            text("GET https://u:p@h.example/a?k=1 failed; retry https://h.example/b"),
            "GET https://…@h.example/a?… failed; retry https://h.example/b"
        );
        assert_eq!(text("HTTP 503"), "HTTP 503");
        assert_eq!(text("odd ://x?y"), "odd ://x?…");
        assert_eq!(
            text("ünïcode https://h.example/ä?x"),
            "ünïcode https://h.example/ä?…"
        );
    }
}
