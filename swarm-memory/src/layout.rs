//! Names on Redis. Keys that are used together carry the same hash tag
//! (`{…}`), so they live in one cluster slot and multi-key operations never
//! fail with CROSSSLOT.
//!
//! | key / channel | type | what |
//! | --- | --- | --- |
//! | `swarm:memory:{findings}:stream` | stream | durable findings, consumer groups |
//! | `swarm:memory:{src:<source>}:seen:<item>` | string, TTL | first-seen marker of an item |
//! | `swarm:memory:{src:<source>}:validators` | hash, TTL | ETag / Last-Modified of a source |
//! | `swarm:memory:{src:<source>}:breaker` | string, TTL | circuit-breaker state of a source |
//! | `swarm:memory:{src:<source>}:error` | string, TTL | last error of a source |
//! | `swarm:memory:{host:<host>}:bucket` | hash, TTL | token bucket of a host (Lua) |
//! | `swarm:metrics:{src:<source>}:samples` | list, TTL | recent per-poll samples |
//! | `swarm:memory:{token:<SYMBOL>}:live_since` | string, TTL | when a token with this symbol went live (unix ms) |
//! | `swarm:memory:{project:<name>}:live_since` | string, TTL | when a project's token went live (unix ms) |
//! | `swarm:alerts:{event:<id>}:status` | string, TTL | status last alerted on, per event |
//! | `swarm:alerts:{event:<id>}:delivered:<target>:<version>` | string, TTL | alert delivered (idempotency) |
//! | `swarm:channels:*` | pub/sub | live fan-out (see [`CHANNELS`]) |

/// Agent-to-agent notices.
pub const AGENT_COMMUNICATION: &str = "swarm:channels:agent-communication";
/// Memory changes: event created/updated, cache invalidation.
pub const MEMORY_SYNC: &str = "swarm:channels:memory-sync";
/// Liveness and health notices.
pub const HEALTH_CHECKS: &str = "swarm:channels:health-checks";

/// Every pub/sub channel of the design.
pub const CHANNELS: [&str; 3] = [AGENT_COMMUNICATION, MEMORY_SYNC, HEALTH_CHECKS];

/// The durable findings stream.
pub const FINDINGS_STREAM: &str = "swarm:memory:{findings}:stream";

/// The stream and channel names one deployment uses (tests and staging run
/// side by side on their own). Built once from a process's configuration —
/// flags and `SWARM_*` variables for the agents and the coordinator, the
/// `[layout]` section for the queen — and handed to every component, so
/// publisher and subscriber read the same value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, clap::Args)]
#[serde(default)]
pub struct Layout {
    /// The durable findings stream agents append to and the coordinator
    /// consumes.
    #[arg(long, global = true, env = "SWARM_FINDINGS_STREAM", default_value = FINDINGS_STREAM)]
    pub findings_stream: String,
    /// The channel the coordinator announces event changes on.
    #[arg(long, global = true, env = "SWARM_MEMORY_SYNC_CHANNEL", default_value = MEMORY_SYNC)]
    pub memory_sync_channel: String,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            findings_stream: FINDINGS_STREAM.to_string(),
            memory_sync_channel: MEMORY_SYNC.to_string(),
        }
    }
}

/// The coordinator's consumer group on [`FINDINGS_STREAM`].
pub const COORDINATOR_GROUP: &str = "coordinator";

/// Keeps a hash tag free of `{`/`}` (they would end the tag early).
fn tag(raw: &str) -> String {
    raw.replace(['{', '}'], "_")
}

/// First-seen marker of `item` from `source`.
pub fn seen_key(source: &str, item: &str) -> String {
    format!("swarm:memory:{{src:{}}}:seen:{item}", tag(source))
}

/// Conditional-GET validators of `source`.
pub fn validators_key(source: &str) -> String {
    format!("swarm:memory:{{src:{}}}:validators", tag(source))
}

/// Circuit-breaker state of `source`.
pub fn breaker_key(source: &str) -> String {
    format!("swarm:memory:{{src:{}}}:breaker", tag(source))
}

/// Last error of `source` (a malformed feed, an HTTP failure).
pub fn source_error_key(source: &str) -> String {
    format!("swarm:memory:{{src:{}}}:error", tag(source))
}

/// Token bucket of `host`.
pub fn bucket_key(host: &str) -> String {
    format!("swarm:memory:{{host:{}}}:bucket", tag(host))
}

/// Cached robots.txt rules of `origin` (`scheme://host:port`).
pub fn robots_key(origin: &str) -> String {
    format!("swarm:memory:{{host:{}}}:robots", tag(origin))
}

/// Which replica holds the push (WebSocket) listener of `source`.
pub fn listener_key(source: &str) -> String {
    format!("swarm:memory:{{src:{}}}:listener", tag(source))
}

/// Newest item id seen by a search source (X `since_id`).
pub fn cursor_key(source: &str) -> String {
    format!("swarm:memory:{{src:{}}}:cursor", tag(source))
}

/// When reports from `source` turned out to announce a TGE (newest first).
pub fn hits_key(source: &str) -> String {
    format!("swarm:metrics:{{src:{}}}:hits", tag(source))
}

/// Recent samples of `source`.
pub fn samples_key(source: &str) -> String {
    format!("swarm:metrics:{{src:{}}}:samples", tag(source))
}

/// When the token with `symbol` went live (upper-cased, `$` dropped).
pub fn known_symbol_key(symbol: &str) -> String {
    let symbol = swarm_types::symbol_key(Some(symbol));
    format!("swarm:memory:{{token:{}}}:live_since", tag(&symbol))
}

/// When `project`'s token went live (the event identity's project key).
pub fn known_project_key(project: &str) -> String {
    let project = swarm_types::project_key(project);
    format!("swarm:memory:{{project:{}}}:live_since", tag(&project))
}

/// Status of event `event_id` the alert rule saw last.
pub fn alert_status_key(event_id: i64) -> String {
    format!("swarm:alerts:{{event:{event_id}}}:status")
}

/// Marker of an alert delivered to `target` for version `version` of event
/// `event_id`.
pub fn alert_delivered_key(target: &str, event_id: i64, version: u64) -> String {
    format!("swarm:alerts:{{event:{event_id}}}:delivered:{target}:{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_tag(key: &str) -> &str {
        let open = key.find('{').unwrap();
        let close = key[open..].find('}').unwrap() + open;
        &key[open + 1..close]
    }

    #[test]
    fn keys_of_one_source_share_a_hash_tag() {
        let tags = [
            hash_tag(&seen_key("coindesk", "https://x/1")).to_string(),
            hash_tag(&validators_key("coindesk")).to_string(),
            hash_tag(&breaker_key("coindesk")).to_string(),
        ];
        assert!(tags.iter().all(|t| t == "src:coindesk"));
        assert_eq!(
            hash_tag(&bucket_key("a{b}c")),
            "host:a_b_c",
            "braces cannot break the tag"
        );
        assert!(CHANNELS.iter().all(|c| c.starts_with("swarm:channels:")));
    }
}
