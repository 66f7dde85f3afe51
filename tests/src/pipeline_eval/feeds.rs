//! The live feeds on loopback: labelled records spread over RSS, Atom,
//! JSON Feed and a JSON API (round-robin by record) and an X recent-search
//! fake (posts), released one at a time at a fixed rate, each published at
//! its release; every feed item links to its own loopback page.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use queen::sources::{JsonMappingConfig, SourceConfig, SourceKind};

use super::labelled::Record;
use super::render::{self, FeedItem, Post};

/// Newest items a feed shows (older ones drop off, as on real feeds).
const FEED_WINDOW: usize = 100;
/// First id of the X fake's posts (X ids are large and grow with time).
const FIRST_POST_ID: u64 = 1_900_000_000_000_000_000;

/// Where a record is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// RSS 2.0 at `/rss.xml`.
    Rss,
    /// Atom at `/atom.xml`.
    Atom,
    /// JSON Feed at `/feed.json`.
    JsonFeed,
    /// The custom JSON API at `/api/posts`, read through a JSON Pointer mapping.
    JsonApi,
    /// The X v2 recent-search fake at `/2/tweets/search/recent` (posts).
    X,
}

impl Channel {
    /// The feeds that take records round-robin (posts go to [`Channel::X`]).
    pub const ROUND_ROBIN: [Channel; 4] = [
        Channel::Rss,
        Channel::Atom,
        Channel::JsonFeed,
        Channel::JsonApi,
    ];

    fn path(self) -> &'static str {
        match self {
            Channel::Rss => "/rss.xml",
            Channel::Atom => "/atom.xml",
            Channel::JsonFeed => "/feed.json",
            Channel::JsonApi => "/api/posts",
            Channel::X => "/2/tweets/search/recent",
        }
    }

    fn source_kind(self) -> SourceKind {
        match self {
            Channel::Rss => SourceKind::Rss,
            Channel::Atom => SourceKind::Atom,
            Channel::JsonFeed => SourceKind::JsonFeed,
            Channel::JsonApi => SourceKind::JsonApi,
            Channel::X => SourceKind::XSearch,
        }
    }

    /// The source id the swarm polls it under.
    pub fn source_id(self) -> &'static str {
        match self {
            Channel::Rss => "eval-rss",
            Channel::Atom => "eval-atom",
            Channel::JsonFeed => "eval-json-feed",
            Channel::JsonApi => "eval-json-api",
            Channel::X => "eval-x",
        }
    }
}

/// The channel of each record, in release order: posts to X, the others
/// round-robin over [`Channel::ROUND_ROBIN`].
pub fn assign(records: &[Record]) -> Vec<Channel> {
    let mut next = 0;
    records
        .iter()
        .map(|r| {
            if r.is_tweet() {
                Channel::X
            } else {
                next += 1;
                Channel::ROUND_ROBIN[(next - 1) % Channel::ROUND_ROBIN.len()]
            }
        })
        .collect()
}

struct Entry {
    channel: Channel,
    item: FeedItem,
    post_id: u64,
    post_text: String,
}

struct Shared {
    entries: Vec<Entry>,
    /// Release time (unix ms) of each entry, once released.
    released: Mutex<Vec<Option<i64>>>,
    /// Entries shown in at least one answer.
    served: Vec<AtomicBool>,
    /// Requests answered (feeds, pages, X).
    requests: AtomicUsize,
    token: String,
}

impl Shared {
    fn released_ms(&self, i: usize) -> Option<i64> {
        self.released
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(i)
            .copied()
            .flatten()
    }

    /// Released entries of `channel`, newest first, with publish times.
    fn visible(&self, channel: Channel) -> Vec<(usize, i64)> {
        let released = self.released.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<(usize, i64)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.channel == channel)
            .filter_map(|(i, _)| released[i].map(|ms| (i, ms)))
            .collect();
        out.sort_by_key(|(i, ms)| (std::cmp::Reverse(*ms), std::cmp::Reverse(*i)));
        out
    }

    fn mark_served(&self, indexes: impl IntoIterator<Item = usize>) {
        for i in indexes {
            if let Some(flag) = self.served.get(i) {
                flag.store(true, Ordering::Relaxed);
            }
        }
    }
}

/// The running feeds.
pub struct Feeds {
    shared: Arc<Shared>,
    base: String,
    server: tokio::task::JoinHandle<()>,
    releaser: tokio::task::JoinHandle<()>,
    done: tokio::sync::watch::Receiver<bool>,
}

impl Drop for Feeds {
    fn drop(&mut self) {
        self.server.abort();
        self.releaser.abort();
    }
}

impl Feeds {
    /// Serves `records` on a loopback port and starts releasing them at
    /// `rate` items per second (the first at once).
    ///
    /// # Errors
    ///
    /// No loopback port can be bound.
    pub async fn start(records: &[Record], rate: f64) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let channels = assign(records);
        let entries: Vec<Entry> = records
            .iter()
            .zip(channels)
            .enumerate()
            .map(|(i, (r, channel))| {
                let (title, body) = r.title_and_body();
                Entry {
                    channel,
                    item: FeedItem {
                        guid: format!("item-{i}"),
                        link: format!("{base}/items/{i}"),
                        title: title.map(str::to_string),
                        body: body.to_string(),
                        published_ms: 0,
                    },
                    post_id: FIRST_POST_ID + i as u64,
                    post_text: r.text.trim().to_string(),
                }
            })
            .collect();
        let n = entries.len();
        let shared = Arc::new(Shared {
            entries,
            released: Mutex::new(vec![None; n]),
            served: (0..n).map(|_| AtomicBool::new(false)).collect(),
            requests: AtomicUsize::new(0),
            token: format!("eval-{:016x}", rand::random::<u64>()),
        });
        let app = Router::new()
            .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
            .route("/rss.xml", get(rss))
            .route("/atom.xml", get(atom))
            .route("/feed.json", get(json_feed))
            .route("/api/posts", get(json_api))
            .route("/2/tweets/search/recent", get(x_search))
            .route("/items/{n}", get(page))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let (done_tx, done) = tokio::sync::watch::channel(n == 0);
        let releasing = shared.clone();
        let period = Duration::from_secs_f64(1.0 / rate.max(0.01));
        let releaser = tokio::spawn(async move {
            let start = tokio::time::Instant::now();
            for i in 0..n {
                tokio::time::sleep_until(start + period.mul_f64(i as f64)).await;
                let now = swarm_common::time::now_ms();
                releasing
                    .released
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)[i] = Some(now);
            }
            let _ = done_tx.send(true);
        });
        Ok(Self {
            shared,
            base,
            server,
            releaser,
            done,
        })
    }

    /// Base URL (`http://127.0.0.1:<port>`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The bearer token the X fake wants.
    pub fn x_token(&self) -> &str {
        &self.shared.token
    }

    /// Whether every record was released.
    pub fn all_released(&self) -> bool {
        *self.done.borrow()
    }

    /// Release time (unix ms) of each record, `None` while unreleased.
    pub fn release_times(&self) -> Vec<Option<i64>> {
        (0..self.shared.entries.len())
            .map(|i| self.shared.released_ms(i))
            .collect()
    }

    /// How many records were shown in at least one feed answer.
    pub fn served(&self) -> usize {
        self.shared
            .served
            .iter()
            .filter(|f| f.load(Ordering::Relaxed))
            .count()
    }

    /// Requests the feeds answered.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Channel of each record.
    pub fn channels(&self) -> Vec<Channel> {
        self.shared.entries.iter().map(|e| e.channel).collect()
    }

    /// The document URLs the scraper gives each record (its loopback page;
    /// for posts, the X status URL), to read evidence back.
    pub fn document_urls(&self) -> HashMap<String, usize> {
        self.shared
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| match e.channel {
                Channel::X => (format!("https://x.com/i/status/{}", e.post_id), i),
                _ => (e.item.link.clone(), i),
            })
            .collect()
    }

    /// One `[sources.<id>]` per channel that has records, polled every
    /// `poll_ms`.
    pub fn sources(&self, poll_ms: u64) -> BTreeMap<String, SourceConfig> {
        let used: std::collections::HashSet<Channel> =
            self.shared.entries.iter().map(|e| e.channel).collect();
        let [items, id, title, url, text, published] = render::JSON_API_MAPPING;
        Channel::ROUND_ROBIN
            .iter()
            .chain([&Channel::X])
            .filter(|c| used.contains(c))
            .map(|&c| {
                let source = SourceConfig {
                    kind: c.source_kind(),
                    url: format!("{}{}", self.base, c.path()),
                    interval_ms: poll_ms,
                    paused: false,
                    priority: None,
                    json: (c == Channel::JsonApi).then(|| JsonMappingConfig {
                        items: items.into(),
                        id: id.into(),
                        title: title.into(),
                        url: url.into(),
                        text: text.into(),
                        published: published.into(),
                        language: String::new(),
                    }),
                    html: None,
                    query: (c == Channel::X).then(|| "TGE OR airdrop OR listing".to_string()),
                };
                (c.source_id().to_string(), source)
            })
            .collect()
    }
}

type St = State<Arc<Shared>>;

fn feed_items(shared: &Shared, channel: Channel) -> Vec<FeedItem> {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let visible: Vec<(usize, i64)> = shared
        .visible(channel)
        .into_iter()
        .take(FEED_WINDOW)
        .collect();
    shared.mark_served(visible.iter().map(|(i, _)| *i));
    visible
        .into_iter()
        .map(|(i, ms)| FeedItem {
            published_ms: ms,
            ..shared.entries[i].item.clone()
        })
        .collect()
}

fn typed(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn rss(State(s): St) -> Response {
    typed(
        "application/rss+xml; charset=utf-8",
        render::rss(&feed_items(&s, Channel::Rss)),
    )
}

async fn atom(State(s): St) -> Response {
    typed(
        "application/atom+xml; charset=utf-8",
        render::atom(&feed_items(&s, Channel::Atom)),
    )
}

async fn json_feed(State(s): St) -> Response {
    typed(
        "application/feed+json",
        render::json_feed(&feed_items(&s, Channel::JsonFeed)),
    )
}

async fn json_api(State(s): St) -> Response {
    typed(
        "application/json",
        render::json_api(&feed_items(&s, Channel::JsonApi)),
    )
}

async fn page(State(s): St, Path(n): Path<String>) -> Response {
    s.requests.fetch_add(1, Ordering::Relaxed);
    let released = n
        .parse::<usize>()
        .ok()
        .and_then(|i| s.released_ms(i).map(|ms| (i, ms)));
    match released {
        Some((i, ms)) => typed(
            "text/html; charset=utf-8",
            render::page(&FeedItem {
                published_ms: ms,
                ..s.entries[i].item.clone()
            }),
        ),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// X v2 recent search: bearer token checked, `since_id` honoured, newest
/// first, `max_results` per page (10..=100) with `next_token` paging.
async fn x_search(
    State(s): St,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.requests.fetch_add(1, Ordering::Relaxed);
    let wanted = format!("Bearer {}", s.token);
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(wanted.as_str())
    {
        let body = r#"{"title":"Unauthorized","type":"about:blank","status":401}"#;
        return (StatusCode::UNAUTHORIZED, body).into_response();
    }
    let since: u64 = q.get("since_id").and_then(|v| v.parse().ok()).unwrap_or(0);
    let page_size: usize = q
        .get("max_results")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(10, 100);
    let offset: usize = q
        .get("pagination_token")
        .and_then(|t| t.strip_prefix('p'))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let matching: Vec<(usize, i64)> = s
        .visible(Channel::X)
        .into_iter()
        .filter(|(i, _)| s.entries[*i].post_id > since)
        .collect();
    let page: Vec<(usize, i64)> = matching
        .iter()
        .skip(offset)
        .take(page_size)
        .copied()
        .collect();
    s.mark_served(page.iter().map(|(i, _)| *i));
    let next = (offset + page.len() < matching.len()).then(|| format!("p{}", offset + page.len()));
    let posts: Vec<Post> = page
        .into_iter()
        .map(|(i, ms)| Post {
            id: s.entries[i].post_id,
            text: s.entries[i].post_text.clone(),
            created_ms: ms,
        })
        .collect();
    typed("application/json", render::x_search(&posts, next))
}
