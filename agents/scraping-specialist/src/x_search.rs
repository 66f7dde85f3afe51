//! X (Twitter) v2 recent search as a source: the request URL (query,
//! fields, `since_id` from the cursor kept in the shared memory), the post
//! URLs of the answer's items and the first outside page each post links
//! to (read for its full text). The bearer token is the scraper's own
//! secret (`SWARM_X_BEARER_TOKEN`), never carried in a task, and is bound
//! to the configured API base (`SWARM_X_API_BASE`, default
//! [`DEFAULT_API_BASE`]): a source whose endpoint is on another origin is
//! refused before anything is sent ([`bearer_allowed`]).

use std::collections::HashMap;

use crate::parse::Item;

/// The configured endpoint is not a URL.
#[derive(Debug, thiserror::Error)]
#[error("invalid X search endpoint `{0}`")]
pub struct InvalidEndpoint(pub String);

/// The X API's origin unless configured otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.x.com";

/// Why the bearer token may not go to an endpoint.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefused {
    /// The configured base is not an https URL (or an http one on a
    /// loopback address, for local fakes).
    #[error("the configured X API base `{0}` is not an https URL")]
    Base(String),
    /// The endpoint is not on the configured base's origin.
    #[error(
        "x_search endpoint `{endpoint}` is not on the configured X API origin `{base}`; the bearer token is not sent"
    )]
    Origin {
        /// The endpoint's origin as the task gives it.
        endpoint: String,
        /// The configured origin.
        base: String,
    },
}

/// Whether the bearer token may be sent to `endpoint`: same scheme, host
/// and port as the configured `base`, which must be https (http only on a
/// loopback address: the tests' fakes).
///
/// # Errors
///
/// The base is not acceptable or the endpoint is elsewhere.
pub fn bearer_allowed(base: &str, endpoint: &str) -> Result<(), TokenRefused> {
    let base_url = reqwest::Url::parse(base).map_err(|_| TokenRefused::Base(base.to_string()))?;
    let loopback = base_url
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    let scheme_ok = base_url.scheme() == "https" || (base_url.scheme() == "http" && loopback);
    if !scheme_ok || base_url.host_str().is_none() {
        return Err(TokenRefused::Base(base.to_string()));
    }
    let origin = |u: &reqwest::Url| u.origin().ascii_serialization();
    let endpoint_origin =
        reqwest::Url::parse(endpoint).map_or_else(|_| endpoint.to_string(), |u| origin(&u));
    if endpoint_origin != origin(&base_url) {
        return Err(TokenRefused::Origin {
            endpoint: endpoint_origin,
            base: origin(&base_url),
        });
    }
    Ok(())
}

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
    fn the_token_goes_only_to_the_configured_origin() {
        let base = "https://api.x.com";
        assert!(bearer_allowed(base, "https://api.x.com/2/tweets/search/recent").is_ok());
        for elsewhere in [
            "https://api.x.com.evil.test/2/tweets/search/recent",
            "http://api.x.com/2/tweets/search/recent",
            "https://api.x.com:8443/2/tweets/search/recent",
            "https://evil.test/?h=api.x.com",
            "http://127.0.0.1:9/2/tweets/search/recent",
            "not a url",
        ] {
            assert!(bearer_allowed(base, elsewhere).is_err(), "{elsewhere}");
        }
        // a local fake may be plain http on loopback, nowhere else
        assert!(bearer_allowed("http://127.0.0.1:9", "http://127.0.0.1:9/2/x").is_ok());
        assert!(bearer_allowed("http://127.0.0.1:9", "http://127.0.0.1:10/2/x").is_err());
        assert!(bearer_allowed("http://api.x.com", "http://api.x.com/2/x").is_err());
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
