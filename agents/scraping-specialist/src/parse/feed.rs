//! Feeds (RSS 2.0, Atom, JSON Feed) into items, through feed-rs.

use super::{Item, Malformed, canonical, strip_markup};

/// Parses a feed body.
///
/// # Errors
///
/// The body is not a feed feed-rs understands.
pub fn parse(body: &[u8]) -> Result<Vec<Item>, Malformed> {
    let feed = feed_rs::parser::parse(body).map_err(|e| Malformed(format!("feed: {e}")))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_strips_markup() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><guid>a-1</guid><link>https://news.example.test/a#top</link><title>Lumora sets &lt;TGE&gt;</title>
            <description>&lt;p&gt;Claim opens &lt;b&gt;today&lt;/b&gt;&lt;/p&gt;</description></item>
            <item><guid>a-2</guid></item></channel></rss>"#;
        let items = parse(rss).unwrap();
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
        assert!(parse(b"<rss><channel><item><title>unterminated").is_err());
        assert!(parse(b"\xff\xfe\x00garbage").is_err());
        assert!(parse(b"").is_err());
    }
}
