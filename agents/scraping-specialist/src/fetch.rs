//! Polite HTTP fetching: a clear User-Agent, timeouts, gzip/brotli,
//! bounded redirects, a body-size cap, conditional GET with validators in
//! the shared memory, per-host token buckets shared by every replica, and
//! robots.txt (cached in the shared memory) honoured when configured.
//! Every connection goes through the outbound guard (`swarm_outbound`):
//! non-public addresses are refused unless allow-listed, on the first
//! request, on every redirect and whenever a name resolves. Requests that
//! carry a bearer token go through a client that follows no redirect.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use swarm_memory::Memory;
use swarm_memory::layout::{bucket_key, robots_key, validators_key};
use swarm_outbound::{Guard, GuardedClient, Refused};

use crate::robots::{PRODUCT_TOKEN, Rules};

/// How the fetcher behaves.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// `User-Agent` header of every request.
    pub user_agent: String,
    /// Whole-request timeout (connecting is capped at 5 s on its own).
    pub timeout: Duration,
    /// Bodies larger than this are refused (a recorded source error).
    pub max_body_bytes: usize,
    /// Most redirects followed before a request fails.
    pub max_redirects: usize,
    /// Requests per second per host, shared by every replica.
    pub host_rate_per_sec: f64,
    /// Requests a host's bucket holds for a burst (bucket capacity).
    pub host_burst: u32,
    /// Honour robots.txt (APIs fetched with a token are exempt).
    pub respect_robots: bool,
    /// The outbound guard (default: no non-public address).
    pub outbound: Guard,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            user_agent: format!(
                "TGE-Swarm/{} (+https://github.com/tge-swarm; polite news crawler)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(15),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            host_rate_per_sec: 2.0,
            host_burst: 4,
            respect_robots: true,
            outbound: Guard::default(),
        }
    }
}

/// Validators of the last successful fetch of a source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Validators {
    /// The `ETag` header, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// The `Last-Modified` header, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// What a fetch produced.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were stored.
    NotModified,
    /// A new body. Its validators are not stored yet: the caller commits
    /// them with [`Fetcher::commit`] once the body is processed, so a body
    /// that failed half-way is fetched again instead of answered with 304.
    Body {
        /// The body as received (at most [`FetchOptions::max_body_bytes`]).
        bytes: Vec<u8>,
        /// The `Content-Type` header, if sent.
        content_type: Option<String>,
        /// The response's validators, to [`Fetcher::commit`] once the body is processed.
        validators: Validators,
    },
}

/// A linked page read by [`Fetcher::fetch_page`].
#[derive(Debug)]
pub struct Page {
    /// The body as received (at most [`FetchOptions::max_body_bytes`]).
    pub bytes: Vec<u8>,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
}

/// What kind of body a request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accept {
    /// A source: whatever its kind reads.
    Any,
    /// A linked page: HTML only (any other type is refused unread).
    Html,
}

/// Whether a `Content-Type` is HTML (a missing one is given the benefit
/// of the doubt: the extractor finds nothing in a body that is not).
fn is_html(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else {
        return true;
    };
    let media = value.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("text/html") || media.eq_ignore_ascii_case("application/xhtml+xml")
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL does not parse (the text given).
    #[error("invalid URL {0}")]
    Url(String),
    /// The request did not get an answer (connection, TLS, redirect limit).
    #[error("request to {url} failed: {message}")]
    Request {
        /// The URL requested.
        url: String,
        /// The HTTP client's description of the failure.
        message: String,
        /// Whether trying again later may help.
        retryable: bool,
    },
    /// The server answered with a non-success status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// True for 5xx and 429.
        retryable: bool,
    },
    /// The site's robots.txt disallows our User-Agent there.
    #[error("{url} is disallowed by the site's robots.txt")]
    Disallowed {
        /// The URL refused.
        url: String,
    },
    /// The body exceeded [`FetchOptions::max_body_bytes`].
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// No complete answer within [`FetchOptions::timeout`].
    #[error("request to {url} timed out")]
    Timeout {
        /// The URL requested.
        url: String,
    },
    /// A linked page answered with a non-HTML `Content-Type` (left unread).
    #[error("{url} is not an HTML page ({content_type})")]
    NotHtml {
        /// The URL requested.
        url: String,
        /// The `Content-Type` it answered with.
        content_type: String,
    },
    /// The shared memory (validators, host buckets, robots.txt cache) failed.
    #[error("shared memory: {0}")]
    Memory(#[from] swarm_memory::Error),
    /// The outbound guard refused the destination (or a redirect's).
    #[error("{url}: {refused}")]
    Refused {
        /// The URL requested.
        url: String,
        /// What the guard refused.
        refused: Refused,
    },
}

impl Error {
    /// Whether trying again later may help.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Request { retryable, .. } | Error::Status { retryable, .. } => *retryable,
            Error::Memory(_) | Error::Timeout { .. } => true,
            Error::Url(_)
            | Error::TooLarge { .. }
            | Error::Disallowed { .. }
            | Error::NotHtml { .. }
            | Error::Refused { .. } => false,
        }
    }
}

/// Fetches sources, sharing validators and host buckets through memory.
pub struct Fetcher {
    client: GuardedClient,
    /// For requests with a bearer token: follows no redirect.
    api: GuardedClient,
    memory: Arc<dyn Memory>,
    options: FetchOptions,
}

const VALIDATORS_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long fetched robots.txt rules are trusted.
const ROBOTS_TTL: Duration = Duration::from_secs(3600);
/// How long an unreachable robots.txt counts as "no rules".
const ROBOTS_UNREACHABLE_TTL: Duration = Duration::from_secs(60);
/// Largest robots.txt read (RFC 9309 asks for at least 500 KiB).
const ROBOTS_MAX_BYTES: usize = 512 * 1024;

/// Extra settings of one fetch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras<'a> {
    /// `Authorization: Bearer …` (an API; robots.txt does not apply).
    pub bearer: Option<&'a str>,
}

impl Fetcher {
    /// A fetcher with `options`.
    ///
    /// # Errors
    ///
    /// The HTTP client cannot be built (TLS setup).
    pub fn new(memory: Arc<dyn Memory>, options: FetchOptions) -> Result<Self, reqwest::Error> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(options.user_agent.clone())
                .timeout(options.timeout)
                .connect_timeout(Duration::from_secs(5))
        };
        let client =
            GuardedClient::build(options.outbound.clone(), builder(), options.max_redirects)?;
        let api = GuardedClient::build(options.outbound.clone(), builder(), 0)?;
        Ok(Self {
            client,
            api,
            memory,
            options,
        })
    }

    /// The outbound guard every fetch goes through.
    pub fn guard(&self) -> &Guard {
        self.client.guard()
    }

    /// Fetches `url` for `source_id`: waits for the host's shared bucket,
    /// sends the stored validators, stores the new ones.
    ///
    /// # Errors
    ///
    /// Network failures, HTTP errors, oversized bodies.
    pub async fn fetch(&self, source_id: &str, url: &str) -> Result<Fetched, Error> {
        self.fetch_with(source_id, url, Extras::default()).await
    }

    /// [`Fetcher::fetch`] with [`Extras`].
    ///
    /// # Errors
    ///
    /// As [`Fetcher::fetch`].
    pub async fn fetch_with(
        &self,
        source_id: &str,
        url: &str,
        extras: Extras<'_>,
    ) -> Result<Fetched, Error> {
        let key = validators_key(source_id);
        let validators: Validators = self
            .memory
            .get(&key)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        let fetched = self.get(url, extras, &validators, Accept::Any).await;
        let result = match &fetched {
            Ok(Fetched::NotModified) => Some("not_modified"),
            Ok(Fetched::Body { bytes, .. }) => {
                metrics::counter!("swarm_scrape_bytes_total").increment(bytes.len() as u64);
                Some("ok")
            }
            Err(Error::Disallowed { .. }) => Some("robots_disallowed"),
            Err(Error::Status { .. }) => Some("http_error"),
            Err(Error::TooLarge { .. }) => Some("too_large"),
            Err(_) => None,
        };
        if let Some(result) = result {
            metrics::counter!("swarm_scrape_fetches_total", "result" => result).increment(1);
        }
        fetched
    }

    /// Fetches the HTML page an item links to, with the same politeness as
    /// a source (User-Agent, timeouts, robots.txt, the host's shared
    /// bucket, the body cap) but no conditional GET: a page is read once.
    ///
    /// # Errors
    ///
    /// As [`Fetcher::fetch`], and [`Error::NotHtml`] for any other kind of
    /// body (refused before it is read).
    pub async fn fetch_page(&self, url: &str) -> Result<Page, Error> {
        match self
            .get(url, Extras::default(), &Validators::default(), Accept::Html)
            .await?
        {
            Fetched::Body {
                bytes,
                content_type,
                ..
            } => Ok(Page {
                bytes,
                content_type,
            }),
            // no validators were sent: a 304 is the server's error
            Fetched::NotModified => Err(Error::Status {
                url: url.to_string(),
                status: 304,
                retryable: false,
            }),
        }
    }

    /// One polite GET: robots.txt, the host's bucket, `validators` sent,
    /// the status checked, the body read up to the cap.
    async fn get(
        &self,
        url: &str,
        extras: Extras<'_>,
        validators: &Validators,
        accept: Accept,
    ) -> Result<Fetched, Error> {
        let parsed = reqwest::Url::parse(url).map_err(|_| Error::Url(url.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| Error::Url(url.to_string()))?
            .to_string();
        let refused = |refused| Error::Refused {
            url: url.to_string(),
            refused,
        };
        self.client.guard().check_url(&parsed).map_err(refused)?;
        if self.options.respect_robots
            && extras.bearer.is_none()
            && !self.robots_allow(&parsed).await?
        {
            return Err(Error::Disallowed {
                url: url.to_string(),
            });
        }
        self.wait_for_token(&host).await?;
        let client = if extras.bearer.is_some() {
            &self.api
        } else {
            &self.client
        };
        let mut request = client.get(parsed).map_err(refused)?;
        if let Some(token) = extras.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(etag) = &validators.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header("If-Modified-Since", lm);
        }
        if accept == Accept::Html {
            request = request.header("Accept", "text/html,application/xhtml+xml;q=0.9");
        }
        let request_error = |e: reqwest::Error| {
            if let Some(refused) = swarm_outbound::refusal(&e) {
                Error::Refused {
                    url: url.to_string(),
                    refused: refused.clone(),
                }
            } else if e.is_timeout() {
                Error::Timeout {
                    url: url.to_string(),
                }
            } else {
                Error::Request {
                    url: url.to_string(),
                    message: e.to_string(),
                    retryable: true,
                }
            }
        };
        let mut response = request.send().await.map_err(request_error)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(Error::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retryable: status.is_server_error()
                    || status == reqwest::StatusCode::TOO_MANY_REQUESTS,
            });
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let fresh = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        let content_type = header("content-type");
        if accept == Accept::Html && !is_html(content_type.as_deref()) {
            return Err(Error::NotHtml {
                url: url.to_string(),
                content_type: content_type.unwrap_or_default(),
            });
        }
        if response
            .content_length()
            .is_some_and(|n| n as usize > self.options.max_body_bytes)
        {
            return Err(Error::TooLarge {
                url: url.to_string(),
                limit: self.options.max_body_bytes,
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request_error)? {
            if bytes.len() + chunk.len() > self.options.max_body_bytes {
                return Err(Error::TooLarge {
                    url: url.to_string(),
                    limit: self.options.max_body_bytes,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            content_type,
            validators: fresh,
        })
    }

    /// Stores the validators of a processed body for the next conditional
    /// GET of `source_id`.
    ///
    /// # Errors
    ///
    /// The shared memory failed.
    pub async fn commit(&self, source_id: &str, validators: &Validators) -> Result<(), Error> {
        if *validators != Validators::default() {
            let value = serde_json::to_string(validators).unwrap_or_default();
            self.memory
                .set(&validators_key(source_id), &value, VALIDATORS_TTL)
                .await?;
        }
        Ok(())
    }

    /// Whether robots.txt of `url`'s origin lets us fetch it.
    async fn robots_allow(&self, url: &reqwest::Url) -> Result<bool, Error> {
        let origin = url.origin().ascii_serialization();
        let key = robots_key(&origin);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        if let Some(cached) = self.memory.get(&key).await? {
            return Ok(Rules::from_cache(&cached).allows(&path));
        }
        let (rules, ttl) = match self.fetch_robots(&origin).await {
            Some(rules) => (rules, ROBOTS_TTL),
            None => (Rules::default(), ROBOTS_UNREACHABLE_TTL),
        };
        self.memory.set(&key, &rules.to_cache(), ttl).await?;
        Ok(rules.allows(&path))
    }

    /// The rules at `origin`/robots.txt; `None` when unreachable.
    async fn fetch_robots(&self, origin: &str) -> Option<Rules> {
        let url = format!("{origin}/robots.txt");
        let parsed = reqwest::Url::parse(&url).ok()?;
        let host = parsed.host_str()?.to_string();
        self.wait_for_token(&host).await.ok()?;
        let response = match self.client.get(parsed).ok()?.send().await {
            Ok(r) => r,
            Err(error) => {
                tracing::debug!(%url, %error, "robots.txt unreachable");
                return None;
            }
        };
        let status = response.status();
        if status.is_client_error() {
            return Some(Rules::default()); // no robots.txt: everything allowed
        }
        if !status.is_success() {
            return None;
        }
        let mut response = response;
        let mut bytes = Vec::new();
        // read at most the cap: a huge robots.txt costs no more memory
        while bytes.len() < ROBOTS_MAX_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(_) => return None,
            }
        }
        let body = String::from_utf8_lossy(&bytes[..bytes.len().min(ROBOTS_MAX_BYTES)]);
        Some(Rules::parse(&body, PRODUCT_TOKEN))
    }

    async fn wait_for_token(&self, host: &str) -> Result<(), Error> {
        let key = bucket_key(host);
        for _ in 0..50 {
            let decision = self
                .memory
                .take_token(
                    &key,
                    self.options.host_rate_per_sec,
                    self.options.host_burst,
                )
                .await?;
            if decision.allowed {
                return Ok(());
            }
            tokio::time::sleep(
                decision
                    .retry_after
                    .clamp(Duration::from_millis(10), Duration::from_secs(5)),
            )
            .await;
        }
        Err(Error::Request {
            url: host.to_string(),
            message: "host rate limit: no token after 50 waits".into(),
            retryable: true,
        })
    }
}
