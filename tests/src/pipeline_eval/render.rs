//! Released items as the bodies real feeds send: RSS 2.0 (entity-escaped
//! titles, HTML descriptions in CDATA), Atom (entity-escaped HTML content),
//! JSON Feed 1.1, a JSON API of its own shape, an X v2 recent-search answer,
//! and the HTML page each item links to.

use serde_json::json;

/// One released item as the feeds show it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// Stable id within the run (`item-<n>`).
    pub guid: String,
    /// The loopback page of the item.
    pub link: String,
    /// Title, when the record's text has one (its first line).
    pub title: Option<String>,
    /// Plain text, paragraphs separated by newlines.
    pub body: String,
    /// Publish time = release time, unix milliseconds.
    pub published_ms: i64,
}

/// The JSON Pointer mapping of [`json_api`] answers (items, id, title,
/// url, text, published).
pub const JSON_API_MAPPING: [&str; 6] = [
    "/data/posts",
    "/uid",
    "/headline",
    "/link",
    "/body",
    "/time",
];

/// `s` without the characters XML 1.0 forbids (most control characters,
/// U+FFFE, U+FFFF).
pub fn xml_chars(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

/// Text escaped for XML character data and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in xml_chars(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A CDATA section holding `s` (a `]]>` inside is split across two
/// sections).
pub fn cdata(s: &str) -> String {
    format!(
        "<![CDATA[{}]]>",
        xml_chars(s).replace("]]>", "]]]]><![CDATA[>")
    )
}

/// The body as HTML: one escaped paragraph per line.
pub fn body_html(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn rfc2822(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc2822()
}

/// An RSS 2.0 channel of `items` (newest first).
pub fn rss(items: &[FeedItem]) -> String {
    let body: String = items
        .iter()
        .map(|i| {
            let title = i
                .title
                .as_deref()
                .map(|t| format!("<title>{}</title>", escape(t)))
                .unwrap_or_default();
            format!(
                "<item><guid isPermaLink=\"false\">{}</guid><link>{}</link>{title}<description>{}</description><pubDate>{}</pubDate></item>\n",
                escape(&i.guid),
                escape(&i.link),
                cdata(&body_html(&i.body)),
                rfc2822(i.published_ms)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>pipeline-eval news</title><link>http://127.0.0.1/</link><description>labelled items released over time</description>\n{body}</channel></rss>\n"
    )
}

/// An Atom feed of `items` (newest first).
pub fn atom(items: &[FeedItem]) -> String {
    let updated = items.first().map_or(0, |i| i.published_ms);
    let entries: String = items
        .iter()
        .map(|i| {
            format!(
                "<entry><id>urn:pipeline-eval:{}</id><title type=\"text\">{}</title><link rel=\"alternate\" href=\"{}\"/><published>{}</published><updated>{}</updated><content type=\"html\">{}</content></entry>\n",
                escape(&i.guid),
                escape(i.title.as_deref().unwrap_or("")),
                escape(&i.link),
                rfc3339(i.published_ms),
                rfc3339(i.published_ms),
                escape(&body_html(&i.body))
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>pipeline-eval blog</title><id>urn:pipeline-eval:atom</id><updated>{}</updated>\n{entries}</feed>\n",
        rfc3339(updated)
    )
}

/// A JSON Feed 1.1 of `items` (newest first).
pub fn json_feed(items: &[FeedItem]) -> String {
    let items: Vec<_> = items
        .iter()
        .map(|i| {
            let mut item = json!({
                "id": i.guid,
                "url": i.link,
                "content_html": body_html(&i.body),
                "date_published": rfc3339(i.published_ms),
            });
            if let Some(title) = &i.title {
                item["title"] = json!(title);
            }
            item
        })
        .collect();
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "pipeline-eval announcements",
        "items": items,
    })
    .to_string()
}

/// A JSON API answer (`{"data":{"posts":[…]}}`, see [`JSON_API_MAPPING`]).
pub fn json_api(items: &[FeedItem]) -> String {
    let posts: Vec<_> = items
        .iter()
        .map(|i| {
            json!({
                "uid": i.guid,
                "headline": i.title,
                "link": i.link,
                "body": i.body,
                "time": i.published_ms,
            })
        })
        .collect();
    json!({ "data": { "posts": posts }, "status": "ok" }).to_string()
}

/// One post of the X fake.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Post id, served as a string like X does.
    pub id: u64,
    /// Text of the post.
    pub text: String,
    /// Publish time (unix ms), served as `created_at`.
    pub created_ms: i64,
}

/// An X v2 recent-search answer: `posts` (newest first) with
/// `meta.next_token` when more follow.
pub fn x_search(posts: &[Post], next_token: Option<String>) -> String {
    if posts.is_empty() {
        return json!({ "meta": { "result_count": 0 } }).to_string();
    }
    let data: Vec<_> = posts
        .iter()
        .map(|p| {
            json!({
                "id": p.id.to_string(),
                "text": p.text,
                "created_at": rfc3339(p.created_ms),
                "author_id": "4242",
                "lang": "und",
            })
        })
        .collect();
    let mut meta = json!({
        "result_count": posts.len(),
        "newest_id": posts.first().map(|p| p.id.to_string()),
        "oldest_id": posts.last().map(|p| p.id.to_string()),
    });
    if let Some(token) = next_token {
        meta["next_token"] = json!(token);
    }
    json!({ "data": data, "meta": meta }).to_string()
}

/// The HTML page an item links to.
pub fn page(item: &FeedItem) -> String {
    let title = escape(item.title.as_deref().unwrap_or(&item.guid));
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><header><nav><a href=\"/\">Home</a></nav></header><main><article><h1>{title}</h1>{}</article></main><footer>pipeline-eval</footer></body></html>\n",
        body_html(&item.body)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> FeedItem {
        FeedItem {
            guid: "item-3".into(),
            link: "http://127.0.0.1:9/items/3".into(),
            title: Some("Tarn & Fell <launch> \"soon\"".into()),
            body: "First ]]> line\u{1}\nSecond & <b>last</b>".into(),
            published_ms: 1_800_000_000_123,
        }
    }

    #[test]
    fn escapes_entities_and_cdata() {
        assert_eq!(escape("a&b<c>'\""), "a&amp;b&lt;c&gt;&apos;&quot;");
        assert_eq!(cdata("x]]>y"), "<![CDATA[x]]]]><![CDATA[>y]]>");
        assert_eq!(xml_chars("a\u{1}b\u{FFFF}\tc"), "ab\tc");
        let rss = rss(&[item()]);
        assert!(
            rss.contains("<title>Tarn &amp; Fell &lt;launch&gt; &quot;soon&quot;</title>"),
            "{rss}"
        );
        assert!(
            rss.contains(
                "<![CDATA[<p>First ]]&gt; line</p><p>Second &amp; &lt;b&gt;last&lt;/b&gt;</p>]]>"
            ),
            "{rss}"
        );
        assert!(!rss.contains('\u{1}'));
        let atom = atom(&[item()]);
        assert!(
            atom.contains("<content type=\"html\">&lt;p&gt;First ]]&amp;gt; line&lt;/p&gt;"),
            "{atom}"
        );
        assert!(atom.contains("2027-01-15T08:00:00.123Z"), "{atom}");
    }

    #[test]
    fn json_shapes_carry_every_field() {
        let feed: serde_json::Value = serde_json::from_str(&json_feed(&[item()])).unwrap();
        assert_eq!(feed["items"][0]["url"], "http://127.0.0.1:9/items/3");
        assert_eq!(feed["items"][0]["title"], "Tarn & Fell <launch> \"soon\"");
        let api: serde_json::Value = serde_json::from_str(&json_api(&[item()])).unwrap();
        let post = api.pointer(JSON_API_MAPPING[0]).unwrap()[0].clone();
        assert_eq!(post.pointer(JSON_API_MAPPING[1]).unwrap(), "item-3");
        assert_eq!(
            post.pointer(JSON_API_MAPPING[5]).unwrap(),
            1_800_000_000_123_i64
        );
        let posts = [Post {
            id: 19,
            text: "a post".into(),
            created_ms: 0,
        }];
        let x: serde_json::Value =
            serde_json::from_str(&x_search(&posts, Some("p1".into()))).unwrap();
        assert_eq!(x["data"][0]["id"], "19");
        assert_eq!(x["meta"]["next_token"], "p1");
        assert_eq!(x_search(&[], None), r#"{"meta":{"result_count":0}}"#);
    }
}
