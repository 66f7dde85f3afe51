//! Feeds (RSS 2.0, Atom, JSON Feed) into items, through feed-rs.

use super::{Item, Malformed, canonical, strip_markup};

/// Parses a feed body.
///
/// # Errors
///
/// The body is not a feed feed-rs understands.
pub fn parse(body: &[u8]) -> Result<Vec<Item>, Malformed> {
    let feed = feed_rs::parser::parse(body).map_err(|e| Malformed(format!("feed: {e}")))?;
    let language = feed.language.clone();
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
                language: language.clone(),
                link: None,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_strips_markup() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><language>en-us</language>
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
        assert_eq!(items[0].language.as_deref(), Some("en-us"));
    }

    #[test]
    fn entity_tricks_are_not_expanded() {
        // "billion laughs": nested entity definitions must not be expanded
        let mut doc = String::from(r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "ha">"#);
        for i in 1..10 {
            let prev = i - 1;
            doc.push_str(&format!(
                r#"<!ENTITY l{i} "&l{prev};&l{prev};&l{prev};&l{prev};&l{prev};&l{prev};&l{prev};&l{prev};&l{prev};&l{prev};">"#
            ));
        }
        doc.push_str(r#"]><rss version="2.0"><channel><title>t</title><item><guid>x</guid><title>&l9;</title><description>Lumora TGE</description></item></channel></rss>"#);
        // either refused or read without expansion: never 10^9 bytes
        if let Ok(items) = parse(doc.as_bytes()) {
            for item in items {
                assert!(
                    item.title.len() < 1_000,
                    "entity expanded to {} bytes",
                    item.title.len()
                );
            }
        }
        let external = br#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>t</title><item><guid>y</guid><title>&x;</title><description>d</description></item></channel></rss>"#;
        if let Ok(items) = parse(external) {
            assert!(
                items.iter().all(|i| !i.title.contains("root:")),
                "external entity read"
            );
        }
    }

    #[test]
    fn broken_feeds_are_errors() {
        assert!(parse(b"<rss><channel><item><title>unterminated").is_err());
        assert!(parse(b"\xff\xfe\x00garbage").is_err());
        assert!(parse(b"").is_err());
    }
}
