//! How an agent connects and how much it takes on.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use swarm_common::queen_link::QueenLink;
use swarm_proto::AgentKind;

/// Settings of one agent process.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// The queen: its gRPC address (`http://127.0.0.1:50051`), the
    /// credential presented and TLS.
    pub queen: QueenLink,
    /// Unique per replica; shown by `queenctl agents`.
    pub agent_id: String,
    /// The task kind this agent runs (announced in its Hello).
    pub kind: AgentKind,
    /// Tasks run concurrently at most (= credits granted).
    pub capacity: u32,
    /// Build version announced to the queen (default: the crate version).
    pub version: String,
    /// `/health`, `/ready`, `/metrics`; `None` = not served.
    pub metrics_addr: Option<SocketAddr>,
    /// First reconnect delay; doubles up to `reconnect_max`.
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// Append `<task id> <unix micros>` for every task completed
    /// successfully to this file (an audit trail; tests and the benchmark
    /// read it).
    pub completion_log: Option<PathBuf>,
    /// Fault injection for drills: noop tasks with one of these labels fail
    /// (retryably) on this agent.
    pub fail_noop_labels: Vec<String>,
}

impl AgentOptions {
    /// Options with defaults for `kind` against `queen` (an address alone
    /// connects without a credential).
    pub fn new(queen: impl Into<QueenLink>, kind: AgentKind) -> Self {
        Self {
            queen: queen.into(),
            agent_id: format!("{}-{}", kind.name(), std::process::id()),
            kind,
            capacity: 16,
            version: env!("CARGO_PKG_VERSION").to_string(),
            metrics_addr: None,
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(10),
            completion_log: None,
            fail_noop_labels: Vec::new(),
        }
    }
}
