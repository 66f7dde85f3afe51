//! Feeds into items: RSS 2.0, Atom, JSON Feed (feed-rs), with markup
//! removed from titles and bodies.

/// One item of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// GUID / id as the feed gives it.
    pub guid: String,
    /// Canonical URL (fragment removed); the GUID when the item has no link.
    pub url: String,
    pub title: String,
    pub text: String,
    pub published_unix_ms: Option<i64>,
}

/// A feed that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("malformed feed: {0}")]
pub struct Malformed(pub String);

/// Parses a feed body.
///
/// # Errors
///
/// The body is not a feed feed-rs understands.
pub fn items(body: &[u8]) -> Result<Vec<Item>, Malformed> {
    let feed = feed_rs::parser::parse(body).map_err(|e| Malformed(e.to_string()))?;
    Ok(feed
        .entries
        .into_iter()
        .filter_map(|e| {
            let link = e.links.first().map(|l| l.href.clone());
            // titles are plain text; strip tags only when they carry HTML
            let title = e
                .title
                .map(|t| {
                    if t.content.contains("</") || t.content.contains("<br") {
                        strip_markup(&t.content)
                    } else {
                        t.content.split_whitespace().collect::<Vec<_>>().join(" ")
                    }
                })
                .unwrap_or_default();
            let body = e
                .content
                .and_then(|c| c.body)
                .or_else(|| e.summary.map(|s| s.content))
                .map(|b| strip_markup(&b))
                .unwrap_or_default();
            if title.is_empty() && body.is_empty() {
                return None; // one empty item does not drop the feed
            }
            let url = canonical(link.as_deref().unwrap_or(&e.id));
            Some(Item {
                guid: e.id,
                url,
                title,
                text: body,
                published_unix_ms: e.published.or(e.updated).map(|d| d.timestamp_millis()),
            })
        })
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_strips_markup() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><guid>a-1</guid><link>https://news.example.test/a#top</link><title>Lumora sets &lt;TGE&gt;</title>
            <description>&lt;p&gt;Claim opens &lt;b&gt;today&lt;/b&gt;&lt;/p&gt;</description></item>
            <item><guid>a-2</guid></item></channel></rss>"#;
        let items = items(rss).unwrap();
        assert_eq!(
            items.len(),
            1,
            "the empty item is skipped, the feed is kept"
        );
        assert_eq!(items[0].url, "https://news.example.test/a");
        assert_eq!(items[0].title, "Lumora sets <TGE>");
        assert_eq!(items[0].text, "Claim opens today");
    }

    #[test]
    fn broken_feeds_are_errors() {
        assert!(items(b"<rss><channel><item><title>unterminated").is_err());
        assert!(items(b"\xff\xfe\x00garbage").is_err());
        assert!(items(b"").is_err());
    }
}
