//! Settings of the query API (the `[api]` section of the queen's config;
//! `QUEEN__API__…` environment variables override them).

use std::net::SocketAddr;

use serde::Deserialize;

use crate::proxy::Cidr;

/// Query API settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Serve the API from the queen process.
    pub enabled: bool,
    /// HTTP address of the API.
    pub addr: SocketAddr,
    /// Memory for live event notices: `redis-cluster://…`, `redis://…` or `local`.
    pub memory_url: String,
    /// The channel the coordinator announces event changes on (the
    /// deployment's `Layout::memory_sync_channel`).
    pub memory_sync_channel: String,
    /// Let requests without a key read (admin paths always need an admin key).
    pub anonymous_read: bool,
    /// Default requests per second of a key (token bucket per key, per replica).
    pub rate_per_sec: f64,
    /// Bucket size: requests a key may burst above its rate.
    pub burst: u32,
    /// Requests per second of one client address without a key.
    pub anonymous_rate_per_sec: f64,
    /// Largest request body (and Content-Length) accepted.
    pub max_body_bytes: usize,
    /// Longest time to produce a response (not the SSE stream itself).
    pub request_timeout_ms: u64,
    /// Origins allowed by CORS (`*` for any; empty: no CORS headers).
    pub cors_origins: Vec<String>,
    /// Changes are looked for at least this often even without a notice:
    /// the cache's staleness bound when pub/sub is quiet or down.
    pub refresh_ms: u64,
    /// Most cached responses (lists + details).
    pub cache_entries: usize,
    /// A cached response is never served older than this.
    pub cache_max_age_ms: u64,
    /// PostgreSQL connections of the API.
    pub db_connections: u32,
    /// Networks of the proxies in front of the API (CIDR, e.g.
    /// `["127.0.0.1/32", "10.0.0.0/8"]`): only a request whose TCP peer is
    /// in one of them has its client address taken from `X-Forwarded-For`
    /// (the right-most hop that is not a trusted proxy). Empty (the
    /// default): trust nobody, the peer is the client.
    pub trusted_proxies: Vec<Cidr>,
    /// Deprecated: `true` trusts proxies on loopback (`127.0.0.0/8`,
    /// `::1`) when `trusted_proxies` is empty; use `trusted_proxies`.
    pub trust_forwarded_for: bool,
    /// Key lookups are cached this long (a revocation takes effect within it).
    pub key_cache_ms: u64,
    /// `queen --api-only`: the queen (`http://host:port`, its gRPC address)
    /// whose schedules `/api/v1/sources` lists; none: no source is listed.
    /// (A full queen serving the API reads its own schedules.)
    pub queen_url: Option<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            addr: ([127, 0, 0, 1], 8080).into(),
            memory_url: "redis-cluster://127.0.0.1:7001?node=127.0.0.1:7002&node=127.0.0.1:7003"
                .into(),
            memory_sync_channel: swarm_memory::layout::MEMORY_SYNC.into(),
            anonymous_read: false,
            rate_per_sec: 50.0,
            burst: 100,
            anonymous_rate_per_sec: 10.0,
            max_body_bytes: 16 * 1024,
            request_timeout_ms: 5_000,
            cors_origins: Vec::new(),
            refresh_ms: 1_000,
            cache_entries: 10_000,
            cache_max_age_ms: 30_000,
            db_connections: 16,
            trusted_proxies: Vec::new(),
            trust_forwarded_for: false,
            key_cache_ms: 2_000,
            queen_url: None,
        }
    }
}

/// A setting that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named setting is zero or negative.
    #[error("api.{0} must be positive")]
    NotPositive(&'static str),
}

impl ApiConfig {
    /// The proxies whose `X-Forwarded-For` is believed: `trusted_proxies`,
    /// or loopback for the deprecated `trust_forwarded_for = true`.
    pub fn trusted(&self) -> Vec<Cidr> {
        if self.trusted_proxies.is_empty() && self.trust_forwarded_for {
            ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect()
        } else {
            self.trusted_proxies.clone()
        }
    }

    /// Checks values deserialization cannot.
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn validate(&self) -> Result<(), Error> {
        let checks = [
            ("rate_per_sec", self.rate_per_sec > 0.0),
            ("burst", self.burst > 0),
            ("anonymous_rate_per_sec", self.anonymous_rate_per_sec > 0.0),
            ("request_timeout_ms", self.request_timeout_ms > 0),
            ("refresh_ms", self.refresh_ms > 0),
            ("db_connections", self.db_connections > 0),
        ];
        match checks.iter().find(|(_, ok)| !ok) {
            Some((field, _)) => Err(Error::NotPositive(field)),
            None => Ok(()),
        }
    }
}
