//! Source bodies into items: feeds (RSS, Atom, JSON Feed), JSON APIs
//! and WebSocket messages (field mapping by JSON Pointer), HTML pages (CSS
//! selectors). Markup is removed; one unreadable item is skipped, a body
//! that cannot be read at all is a [`Malformed`] error, never a crash.
//! [`article`] reads the main text of a page an item links to.

pub mod article;
pub mod feed;
pub mod html;
pub mod json;

use swarm_proto::names::SourceKind;
use swarm_proto::v1::FetchSource;

/// One item of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// GUID / id as the feed gives it.
    pub guid: String,
    /// Canonical URL (fragment removed); the GUID when the item has no link.
    pub url: String,
    /// Title, markup removed (may be empty).
    pub title: String,
    /// Body text, markup removed (may be empty).
    pub text: String,
    /// Publication time the source states (Unix ms), if any and readable.
    pub published_unix_ms: Option<i64>,
    /// Language tag when the source states one (`en`, `pt-BR`).
    pub language: Option<String>,
    /// The web page the item points to when that is not `url` (an X
    /// post's first link); read for the full text like `url` otherwise.
    pub link: Option<String>,
}

/// A body that cannot be read; the text says what it was meant to be
/// ("feed: ...", "JSON: ...").
#[derive(Debug, thiserror::Error)]
#[error("malformed {0}")]
pub struct Malformed(pub String);

/// Parses a fetched body of `source`, a source of `kind`: one reader per
/// kind.
///
/// # Errors
///
/// The body cannot be read as that kind.
pub fn items(kind: SourceKind, source: &FetchSource, body: &[u8]) -> Result<Vec<Item>, Malformed> {
    match kind {
        SourceKind::JsonApi | SourceKind::Websocket => {
            json::parse(&source.json.clone().unwrap_or_default(), body)
        }
        SourceKind::XSearch => json::parse(&json::x_search_mapping(), body),
        SourceKind::Html => {
            html::parse(&source.html.clone().unwrap_or_default(), &source.url, body)
        }
        SourceKind::Rss | SourceKind::Atom | SourceKind::JsonFeed => feed::parse(body),
    }
}

/// A publication time from text: RFC 3339 / RFC 2822, or a number of
/// seconds (or milliseconds, when large) since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Some(epoch_number(n));
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(text))
        .ok()
        .map(|d| d.timestamp_millis())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp_millis())
        })
}

/// Seconds or milliseconds since the epoch, as milliseconds.
pub fn epoch_number(n: i64) -> i64 {
    if n.abs() < 100_000_000_000 {
        n.saturating_mul(1000)
    } else {
        n
    }
}

/// The URL without its fragment and trailing slash.
pub fn canonical(url: &str) -> String {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or(url);
    url.trim_end_matches('/').to_string()
}

/// Text without tags, with common entities decoded and spaces collapsed.
pub fn strip_markup(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The longest prefix of `text` of at most `max_bytes` bytes that ends on
/// a char boundary.
pub fn prefix(text: &str, max_bytes: usize) -> &str {
    &text[..text.floor_char_boundary(max_bytes)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_on_char_boundaries() {
        assert_eq!(prefix("abc", 10), "abc");
        assert_eq!(prefix("abc", 2), "ab");
        // "é" is two bytes, "代" three: never cut inside one
        assert_eq!(prefix("aé", 2), "a");
        assert_eq!(prefix("代币", 4), "代");
        assert_eq!(prefix("代币", 0), "");
    }
}
