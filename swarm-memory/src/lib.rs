//! The swarm's shared memory.
//!
//! - [`memory`] — the [`Memory`] trait: durable streams with consumer
//!   groups, pub/sub (plain and sharded), shared state with TTLs, rate-limit
//!   buckets; backends [`RedisMemory`] (Redis Cluster or standalone, fred)
//!   and [`LocalMemory`] (in process);
//! - [`layout`] — key layout (hash tags keep keys used together in one
//!   cluster slot) and the [`Layout`] of stream and channel names a
//!   deployment uses; documented in this crate's README;
//! - [`findings`] — the [`FindingsSink`] agents report findings through;
//! - [`known_tokens`] — tokens the swarm has seen go live (a later
//!   listing of one is not a new TGE);
//! - [`reliability`] — circuit breakers, retry budgets and per-poll samples
//!   shared by every replica through the memory.
//!
//! The messages that travel in the memory are in `swarm-types`.

pub mod findings;
pub mod known_tokens;
pub mod layout;
pub mod local;
pub mod memory;
pub mod redis;
pub mod reliability;

pub use findings::FindingsSink;
pub use layout::Layout;
pub use local::LocalMemory;
pub use memory::{Delivery, Error, Memory, RateDecision};
pub use redis::RedisMemory;
pub use swarm_common::redact::redact_url;

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

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn connection_errors_do_not_show_the_password() {
        for url in [
            "redis://:hunter2@127.0.0.1:notaport",
            "redis-cluster://user:hunter2@",
            "nonsense://user:hunter2@127.0.0.1:6379",
        ] {
            let Err(error) = super::open(url).await else {
                panic!("{url} opened");
            };
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }
}
