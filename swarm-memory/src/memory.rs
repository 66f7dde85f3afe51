//! The [`Memory`] trait: everything agents and the coordinator share, with
//! the same behaviour on Redis (cluster or standalone) and in process.

use std::time::Duration;

use tokio::sync::mpsc;

/// A memory failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Redis command failed (connection, script or server error).
    #[error("redis {op}: {message}")]
    Redis {
        /// The operation that failed (e.g. `connect`, `build subscriber`).
        op: &'static str,
        /// The client's error text.
        message: String,
    },
    /// The memory URL or settings cannot work (the problem, described).
    #[error("invalid memory configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn redis(op: &'static str) -> impl FnOnce(fred::error::Error) -> Error {
        move |e| Error::Redis {
            op,
            message: e.to_string(),
        }
    }
}

/// Result of memory operations.
pub type Result<T> = std::result::Result<T, Error>;

/// One stream entry delivered to a consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Stream entry id (`<ms>-<seq>`).
    pub id: String,
    /// The bytes appended (usually a JSON-encoded envelope).
    pub payload: Vec<u8>,
}

/// Outcome of taking a token from a rate-limit bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateDecision {
    /// Whether a token was taken (the call may go ahead).
    pub allowed: bool,
    /// When not allowed: how long until a token is available.
    pub retry_after: Duration,
}

/// A live subscription: messages as (channel, payload).
pub struct Subscription {
    pub(crate) rx: mpsc::Receiver<(String, Vec<u8>)>,
    pub(crate) _guard: Option<tokio::task::JoinHandle<()>>,
}

impl Subscription {
    /// The next message; `None` once the subscription ended.
    pub async fn recv(&mut self) -> Option<(String, Vec<u8>)> {
        self.rx.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(guard) = &self._guard {
            guard.abort();
        }
    }
}

/// Shared memory of the swarm.
#[async_trait::async_trait]
pub trait Memory: Send + Sync + 'static {
    /// "redis-cluster", "redis" or "local".
    fn backend(&self) -> &'static str;

    /// Appends to a stream, trimmed to about `max_len` entries. Returns the
    /// entry id once the server accepted it.
    async fn append(&self, stream: &str, payload: &[u8], max_len: u64) -> Result<String>;
    /// Creates a consumer group reading from the start (idempotent).
    async fn create_group(&self, stream: &str, group: &str) -> Result<()>;
    /// New entries for `consumer`, waiting up to `block` for some.
    async fn read_group(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Delivery>>;
    /// Acknowledges processed entries.
    async fn ack(&self, stream: &str, group: &str, ids: &[String]) -> Result<u64>;
    /// Takes over entries other consumers have held unacknowledged for at
    /// least `min_idle` (their consumer died), scanning the pending list
    /// from `start` (`0-0` for its head). Returns the claimed entries and
    /// the cursor to continue from (`0-0` once the scan wrapped), so that
    /// entries stuck at the head do not hide the ones behind them.
    async fn claim_idle(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
        start: &str,
    ) -> Result<(String, Vec<Delivery>)>;
    /// Entries delivered and not yet acknowledged in `group`.
    async fn pending(&self, stream: &str, group: &str) -> Result<u64>;
    /// Entries in the stream.
    async fn stream_len(&self, stream: &str) -> Result<u64>;
    /// The newest `count` entries, newest first.
    async fn recent(&self, stream: &str, count: usize) -> Result<Vec<Delivery>>;

    /// Publishes on a plain channel (reaches subscribers on every node).
    async fn publish(&self, channel: &str, payload: &[u8]) -> Result<()>;
    /// Subscribes to plain channels.
    async fn subscribe(&self, channels: &[String]) -> Result<Subscription>;
    /// Publishes on a sharded channel (routed to its slot's owner).
    async fn spublish(&self, channel: &str, payload: &[u8]) -> Result<()>;
    /// Subscribes to sharded channels.
    async fn ssubscribe(&self, channels: &[String]) -> Result<Subscription>;

    /// Sets `key` to `value` only if absent, with a TTL; `true` if it was
    /// set (first-seen dedup).
    async fn set_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool>;
    /// Sets `key` to `value` with a TTL.
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()>;
    /// The value of `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>>;
    /// Takes one token from the bucket at `key` (refilled at `rate_per_sec`,
    /// holding at most `burst`), atomically for every process sharing it.
    async fn take_token(&self, key: &str, rate_per_sec: f64, burst: u32) -> Result<RateDecision>;

    /// Sets `key` to `value` (with a TTL) only if its current value is
    /// `expected` (`None` = absent), atomically for every process; `true`
    /// if it was set. Optimistic updates of shared state (breakers) loop on it.
    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Duration,
    ) -> Result<bool>;
    /// Pushes `value` at the head of the list at `key`, keeps the newest
    /// `max_len` entries and renews the list's TTL (per-poll samples).
    async fn push_capped(
        &self,
        key: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<()>;
    /// The newest `count` entries of the list at `key`, newest first.
    async fn newest(&self, key: &str, count: usize) -> Result<Vec<String>>;
}
