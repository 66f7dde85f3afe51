//! X (Twitter) v2 recent search as a source: the request URL (query,
//! fields, `since_id` from the cursor kept in the shared memory), the post
//! URLs of the answer's items and the first outside page each post links
//! to (read for its full text). The bearer token is the scraper's own
//! secret (`SWARM_X_BEARER_TOKEN`), never carried in a task.

use std::collections::HashMap;

use crate::parse::Item;

/// The configured endpoint is not a URL.
#[derive(Debug, thiserror::Error)]
#[error("invalid X search endpoint `{0}`")]
pub struct InvalidEndpoint(pub String);

/// Most posts asked for per poll (the API's maximum for recent search).
const MAX_RESULTS: u32 = 100;

/// The search request for `query` at `base` (the recent-search endpoint),
/// continuing after `since_id` when known.
///
/// # Errors
///
/// `base` is not a URL.
pub fn request_url(
    base: &str,
    query: &str,
    since_id: Option<&str>,
) -> Result<String, InvalidEndpoint> {
    let mut url = reqwest::Url::parse(base).map_err(|_| InvalidEndpoint(base.to_string()))?;
    {
        let mut pairs = url.query_pairs_mut();
        pairs
            .append_pair("query", query)
            .append_pair("max_results", &MAX_RESULTS.to_string())
            .append_pair("tweet.fields", "created_at,lang,author_id,entities");
        if let Some(id) = since_id {
            pairs.append_pair("since_id", id);
        }
    }
    Ok(url.to_string())
}

/// Most pages read per poll (a burst beyond `MAX_PAGES` × 100 new posts
/// between two polls is read from the newest down, the rest skipped).
pub const MAX_PAGES: usize = 10;

/// The next page's token of an answer (`meta.next_token`), if any.
pub fn next_token(body: &[u8]) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    answer
        .pointer("/meta/next_token")?
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// `first_page` (a [`request_url`]) asking for the page of `token`.
pub fn page_url(first_page: &str, token: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(first_page).ok()?;
    url.query_pairs_mut().append_pair("pagination_token", token);
    Some(url.to_string())
}

/// The first link of each post of an answer to a page outside X
/// (`entities.urls[].unwound_url`, else `expanded_url`), by post id.
pub fn links(body: &[u8]) -> HashMap<String, String> {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return HashMap::new();
    };
    let posts = answer.get("data").and_then(|d| d.as_array());
    posts
        .into_iter()
        .flatten()
        .filter_map(|post| {
            let id = post.get("id")?.as_str()?;
            let link = post
                .pointer("/entities/urls")?
                .as_array()?
                .iter()
                .filter_map(|u| {
                    u.get("unwound_url")
                        .or_else(|| u.get("expanded_url"))?
                        .as_str()
                })
                .find(|url| outside_x(url))?;
            Some((id.to_string(), link.to_string()))
        })
        .collect()
}

/// Whether `url` is a web page off X (links to posts, photos and
/// profiles are not).
fn outside_x(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or("").trim_start_matches("www.");
    matches!(parsed.scheme(), "http" | "https")
        && ![
            "x.com",
            "twitter.com",
            "t.co",
            "mobile.twitter.com",
            "pic.twitter.com",
        ]
        .contains(&host)
}

/// Gives each post its public URL; returns the newest post id.
pub fn finish(items: &mut [Item]) -> Option<String> {
    for item in items.iter_mut() {
        item.url = format!("https://x.com/i/status/{}", item.guid);
    }
    items
        .iter()
        .filter_map(|i| i.guid.parse::<u128>().ok().map(|n| (n, &i.guid)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, id)| id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_request_and_the_post_urls() {
        let url = request_url(
            "https://api.x.test/2/tweets/search/recent",
            "\"token generation event\" -is:retweet",
            Some("1866"),
        )
        .unwrap();
        assert!(url.starts_with("https://api.x.test/2/tweets/search/recent?query=%22token+generation+event%22+-is%3Aretweet"), "{url}");
        assert!(url.ends_with("&since_id=1866"), "{url}");
        let item = |id: &str| Item {
            guid: id.into(),
            url: id.into(),
            title: String::new(),
            text: "t".into(),
            published_unix_ms: None,
            language: None,
            link: None,
        };
        let mut items = vec![item("900"), item("1866"), item("1000")];
        assert_eq!(finish(&mut items).as_deref(), Some("1866"));
        assert_eq!(items[0].url, "https://x.com/i/status/900");
        assert!(request_url("not a url", "q", None).is_err());
        assert_eq!(
            next_token(br#"{"data":[],"meta":{"next_token":"b26v89c19zqg8o3fo7"}}"#).as_deref(),
            Some("b26v89c19zqg8o3fo7")
        );
        assert_eq!(next_token(br#"{"meta":{"result_count":0}}"#), None);
        assert!(
            page_url(&url, "tok")
                .unwrap()
                .ends_with("&pagination_token=tok")
        );
    }

    #[test]
    fn posts_link_to_their_first_outside_page() {
        let body = br#"{"data":[
          {"id":"1","text":"Big news https://t.co/a","entities":{"urls":[
            {"url":"https://t.co/q","expanded_url":"https://x.com/other/status/9"},
            {"url":"https://t.co/a","expanded_url":"https://t.co/a","unwound_url":"https://blog.fernhollow.test/tge"}]}},
          {"id":"2","text":"no links"},
          {"id":"3","text":"photo","entities":{"urls":[{"expanded_url":"https://twitter.com/u/status/3/photo/1"}]}},
          {"id":"4","text":"news","entities":{"urls":[{"expanded_url":"https://news.example.test/a"}]}}
        ]}"#;
        let links = links(body);
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!(links["1"], "https://blog.fernhollow.test/tge");
        assert_eq!(links["4"], "https://news.example.test/a");
        assert!(super::links(b"not json").is_empty());
    }
}
