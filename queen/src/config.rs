//! Queen configuration: TOML file (`--config`) with `QUEEN__…` environment
//! overrides, e.g. `QUEEN__DATABASE_URL`, `QUEEN__KINDS__SCRAPING_SPECIALIST__MAX_ATTEMPTS`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use swarm_proto::names::KIND_COUNT;

use serde::Deserialize;
use swarm_proto::AgentKind;
use swarm_proto::names::AGENT_KINDS;

use crate::sources::{SourceConfig, SourceError};

/// Where the queue is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// PostgreSQL at `database_url` (durable).
    Postgres,
    /// Process memory (NOT durable; tests and throwaway demos).
    Memory,
    /// A journal file at `journal_path` (the embedded one-process run).
    File,
}

/// Retry and lease policy of one task kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KindPolicy {
    /// Deliveries before a task goes to the dead-letter list.
    pub max_attempts: u32,
    /// Lease length; heartbeats extend it.
    pub lease_ms: u64,
    /// First retry delay; doubles per attempt, with jitter.
    pub backoff_base_ms: u64,
    /// Longest retry delay.
    pub backoff_max_ms: u64,
}

impl Default for KindPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            lease_ms: 30_000,
            backoff_base_ms: 500,
            backoff_max_ms: 60_000,
        }
    }
}

/// Everything the queen process needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueenConfig {
    /// gRPC (agent gateway, admin, health; reflection with `grpc_reflection`).
    pub grpc_addr: SocketAddr,
    /// `/health`, `/ready`, `/metrics`.
    pub metrics_addr: SocketAddr,
    /// Where the queue is kept durable.
    pub store: StoreKind,
    /// PostgreSQL URL of the `postgres` store (unused by the others).
    pub database_url: String,
    /// Journal of the `file` store.
    pub journal_path: std::path::PathBuf,
    /// A waiting task gains one priority level per this many milliseconds,
    /// so low work is never starved.
    pub aging_ms: u64,
    /// How often agents send heartbeats.
    pub heartbeat_interval_ms: u32,
    /// Timer resolution for retries, not-before times, lease expiry and
    /// schedules.
    pub tick_ms: u64,
    /// Most tasks sent in one assignment message.
    pub max_assign_batch: usize,
    /// Completed/cancelled tasks remembered for `tasks list`.
    pub history_limit: usize,
    /// On SIGTERM: how long to wait for leased tasks to finish.
    pub shutdown_grace_ms: u64,
    /// Per-kind policies by kind name (e.g. `scraping-specialist`).
    pub kinds: BTreeMap<String, KindPolicy>,
    /// Default policy of kinds not listed in `kinds`.
    pub default_policy: KindPolicy,
    /// The HTTP query API (`[api]`, `QUEEN__API__ENABLED=true`).
    pub api: tge_api::ApiConfig,
    /// Sources to poll, by id (`[sources.<id>]`); each becomes the
    /// schedule `source:<id>` at start.
    pub sources: BTreeMap<String, SourceConfig>,
    /// Shared memory (`redis-cluster://…`, `redis://…`); when set, the queen
    /// honours source circuit breakers (polls of a source whose breaker is
    /// open are held).
    pub memory_url: Option<String>,
    /// How often source breakers are read from the memory.
    pub breaker_refresh_ms: u64,
    /// Credentials and TLS of the gRPC port (`[auth]`).
    pub auth: crate::auth::AuthConfig,
    /// Serve gRPC reflection (lets anyone who can connect list the API;
    /// off by default).
    pub grpc_reflection: bool,
}

impl Default for QueenConfig {
    fn default() -> Self {
        Self {
            grpc_addr: ([127, 0, 0, 1], 50051).into(),
            metrics_addr: ([127, 0, 0, 1], 8001).into(),
            store: StoreKind::Postgres,
            database_url: "postgres://postgres@127.0.0.1:5432/tge".into(),
            journal_path: "swarm-data/queue.journal".into(),
            aging_ms: 10_000,
            heartbeat_interval_ms: 5_000,
            tick_ms: 20,
            max_assign_batch: 256,
            history_limit: 10_000,
            shutdown_grace_ms: 10_000,
            kinds: BTreeMap::new(),
            default_policy: KindPolicy::default(),
            api: tge_api::ApiConfig::default(),
            sources: BTreeMap::new(),
            memory_url: None,
            breaker_refresh_ms: 250,
            auth: crate::auth::AuthConfig::default(),
            grpc_reflection: false,
        }
    }
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `[kinds.<name>]` table names no agent kind (the name given).
    #[error(
        "unknown task kind `{0}` in [kinds]; known: scraping-specialist, keyword-precision, api-reliability, performance-optimizer, data-quality"
    )]
    UnknownKind(String),
    /// A duration or size setting is zero.
    #[error("{field} must be positive")]
    NotPositive {
        /// The setting's name (e.g. `aging_ms`).
        field: &'static str,
    },
    /// A `[sources.<id>]` table cannot work.
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl QueenConfig {
    /// Checks values that deserialization alone cannot.
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn validate(&self) -> Result<(), Error> {
        for (id, source) in &self.sources {
            source.validate(id)?;
        }
        for name in self.kinds.keys() {
            if AgentKind::parse(&name.replace('_', "-")).is_none() {
                return Err(Error::UnknownKind(name.clone()));
            }
        }
        let positive = [
            ("aging_ms", self.aging_ms),
            ("tick_ms", self.tick_ms),
            ("breaker_refresh_ms", self.breaker_refresh_ms),
            ("max_assign_batch", self.max_assign_batch as u64),
            (
                "heartbeat_interval_ms",
                u64::from(self.heartbeat_interval_ms),
            ),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(Error::NotPositive { field });
            }
        }
        for policy in self.kinds.values().chain([&self.default_policy]) {
            if policy.max_attempts == 0 {
                return Err(Error::NotPositive {
                    field: "max_attempts",
                });
            }
            if policy.lease_ms == 0 {
                return Err(Error::NotPositive { field: "lease_ms" });
            }
        }
        Ok(())
    }

    /// The policy of every kind, in [`AGENT_KINDS`] order.
    pub fn policies(&self) -> [KindPolicy; KIND_COUNT] {
        AGENT_KINDS.map(|kind| {
            self.kinds
                .iter()
                .find(|(name, _)| name.replace('_', "-") == kind.name())
                .map_or_else(|| self.default_policy.clone(), |(_, p)| p.clone())
        })
    }
}
