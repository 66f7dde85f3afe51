//! The swarm's shared memory and the coordinator that turns findings into
//! TGE events.
//!
//! - [`layout`] — channel names and key layout (hash tags keep keys used
//!   together in one cluster slot); documented in this crate's README;
//! - [`envelope`] — what every message travels in (schema version,
//!   producer, time, trace context);
//! - [`finding`] — documents, candidates and detections agents report;
//! - [`known_tokens`] — tokens the swarm has seen go live (a later
//!   listing of one is not a new TGE);
//! - [`memory`] — the [`Memory`] trait: durable streams with consumer
//!   groups, pub/sub (plain and sharded), shared state with TTLs, rate-limit
//!   buckets; backends [`RedisMemory`] (Redis Cluster or standalone, fred)
//!   and [`LocalMemory`] (in process);
//! - [`reliability`] — circuit breakers, retry budgets, per-poll samples
//!   and queen commands, shared by every replica through the memory;
//! - [`synth`] — idempotent synthesis of findings into TGE events through
//!   [`tge_events`] (documents, events, evidence, history);
//! - [`service`] — the coordinator process: consumer group loop, claiming
//!   of dead consumers' entries, notices, HTTP query, ops endpoints.

pub mod envelope;
pub mod finding;
pub mod known_tokens;
pub mod layout;
pub mod local;
pub mod memory;
pub mod redis;
pub mod reliability;
pub mod service;
pub mod synth;

pub use envelope::Envelope;
pub use finding::Finding;
pub use local::LocalMemory;
pub use memory::{Delivery, Error, Memory, RateDecision};
pub use redis::RedisMemory;

/// Opens the memory at `url`: `local` (in process), `redis://…` or
/// `redis-cluster://…`.
///
/// # Errors
///
/// An invalid URL or an unreachable server.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Memory>, Error> {
    Ok(if url == "local" {
        std::sync::Arc::new(LocalMemory::default())
    } else {
        std::sync::Arc::new(RedisMemory::connect(url).await?)
    })
}
