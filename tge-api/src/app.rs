//! The API's shared state: configuration, store, the queen's schedules,
//! memory, cache, change feed, keys and rate limiter.

use std::sync::Arc;
use std::time::Duration;

use swarm_memory::Memory;

use crate::cache::ResponseCache;
use crate::changes::{self, ChangeFeed};
use crate::config::ApiConfig;
use crate::keys::KeyLookup;
use crate::proxy::Cidr;
use crate::rate::RateLimiter;
use crate::schedules::SourceSchedules;
use crate::store::EventStore;

/// What the API reads from.
#[derive(Clone)]
pub struct Backends {
    /// The events, their projects and documents.
    pub store: Arc<dyn EventStore>,
    /// The queen's schedules: which sources are polled, and how.
    pub schedules: Arc<dyn SourceSchedules>,
    /// Live notices, source health; `None` runs without (changes are then
    /// found every `refresh_ms`).
    pub memory: Option<Arc<dyn Memory>>,
    /// Where API keys are kept (`None`: no key is valid).
    pub keys: Option<sqlx::PgPool>,
}

/// Cheap-to-clone handle on the API's state.
#[derive(Clone)]
pub struct App(Arc<Inner>);

/// The API's state, shared by every request.
pub struct Inner {
    /// Settings.
    pub config: ApiConfig,
    /// The events, their projects and documents.
    pub store: Arc<dyn EventStore>,
    /// The queen's schedules of the polled sources.
    pub schedules: Arc<dyn SourceSchedules>,
    /// Live notices, source health; `None` runs without.
    pub memory: Option<Arc<dyn Memory>>,
    /// Rendered responses, by request.
    pub cache: Arc<ResponseCache>,
    /// Changes for SSE clients.
    pub feed: ChangeFeed,
    /// Checks API keys.
    pub keys: KeyLookup,
    /// Token buckets: per key, per keyless address, per address presenting unknown keys.
    pub limiter: RateLimiter,
    /// Proxies whose `X-Forwarded-For` is believed ([`ApiConfig::trusted`]).
    pub trusted: Vec<Cidr>,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Builds the state and starts the change feed.
    pub fn new(config: ApiConfig, backends: Backends) -> Self {
        let cache = Arc::new(ResponseCache::new(
            config.cache_entries,
            Duration::from_millis(config.cache_max_age_ms),
        ));
        let feed = changes::start(
            backends.store.clone(),
            backends
                .memory
                .clone()
                .map(|memory| (memory, config.memory_sync_channel.clone())),
            cache.clone(),
            Duration::from_millis(config.refresh_ms),
        );
        Self(Arc::new(Inner {
            trusted: config.trusted(),
            keys: KeyLookup::new(backends.keys, Duration::from_millis(config.key_cache_ms)),
            config,
            store: backends.store,
            schedules: backends.schedules,
            memory: backends.memory,
            cache,
            feed,
            limiter: RateLimiter::default(),
        }))
    }

    /// Whether PostgreSQL (or the in-memory store) and the memory answer.
    pub async fn check_ready(&self) -> Result<(), String> {
        self.store
            .ping()
            .await
            .map_err(|e| format!("event store: {e}"))?;
        if let Some(memory) = &self.memory {
            memory
                .get("swarm:api:ready-probe")
                .await
                .map_err(|e| format!("memory: {e}"))?;
        }
        Ok(())
    }
}
