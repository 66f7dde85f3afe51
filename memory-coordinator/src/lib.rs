//! Shared memory of the swarm (Redis Cluster; the coordinator service and
//! its backends arrive with the memory-coordinator issue). This crate fixes
//! the names every process agrees on — pub/sub channels and key prefixes —
//! and the envelope every message travels in.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Pub/sub channels of the design.
pub mod channels {
    /// Agent-to-agent notices.
    pub const AGENT_COMMUNICATION: &str = "swarm:channels:agent-communication";
    /// Commands for the queen (poll intervals, scale hints).
    pub const QUEEN_COMMANDS: &str = "swarm:channels:queen-commands";
    /// Memory changes (event created/updated, cache invalidation).
    pub const MEMORY_SYNC: &str = "swarm:channels:memory-sync";
    /// Liveness and health notices.
    pub const HEALTH_CHECKS: &str = "swarm:channels:health-checks";
}

/// Key prefixes of the design.
pub mod keys {
    /// Findings and shared state.
    pub const MEMORY_PREFIX: &str = "swarm:memory:";
    /// Performance samples.
    pub const METRICS_PREFIX: &str = "swarm:metrics:";
}

/// Version of the [`Envelope`] layout.
pub const ENVELOPE_VERSION: u32 = 1;

/// Every message on a stream or channel: who sent what, when, and the
/// trace context so that traces continue across Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub version: u32,
    pub producer: String,
    pub sent_unix_ms: i64,
    #[serde(default)]
    pub trace_context: HashMap<String, String>,
    pub body: T,
}

impl<T> Envelope<T> {
    /// Wraps `body` from `producer` at `sent_unix_ms`.
    pub fn new(producer: impl Into<String>, sent_unix_ms: i64, body: T) -> Self {
        Self {
            version: ENVELOPE_VERSION,
            producer: producer.into(),
            sent_unix_ms,
            trace_context: HashMap::new(),
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_through_json() {
        let mut env = Envelope::new("queen", 42, vec![1, 2, 3]);
        env.trace_context
            .insert("traceparent".into(), "00-ab-cd-01".into());
        let json = serde_json::to_string(&env).unwrap();
        let back: Envelope<Vec<u8>> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, env);
        assert!(channels::QUEEN_COMMANDS.starts_with("swarm:channels:"));
    }
}
