//! Command-line flags every agent binary shares, so that each specialist's
//! `main` only adds its own.

use std::net::SocketAddr;

use swarm_common::telemetry::TelemetryArgs;
use swarm_proto::AgentKind;

use crate::options::AgentOptions;

/// Flags of an agent process.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// Queen gRPC address.
    #[arg(
        long,
        env = "SWARM_QUEEN_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub queen: String,
    /// Unique agent id (default: kind-pid).
    #[arg(long, env = "SWARM_AGENT_ID")]
    pub id: Option<String>,
    /// Concurrent tasks (default: the specialist's).
    #[arg(long, env = "SWARM_AGENT_CAPACITY")]
    pub capacity: Option<u32>,
    /// `/health`, `/ready`, `/metrics` (default: the kind's port of the design).
    #[arg(long, env = "SWARM_AGENT_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl AgentArgs {
    /// Options for an agent of `kind`, with `default_capacity` unless the
    /// flags say otherwise.
    pub fn options(&self, kind: AgentKind, default_capacity: u32) -> AgentOptions {
        let mut options = AgentOptions::new(self.queen.clone(), kind);
        if let Some(id) = &self.id {
            options.agent_id = id.clone();
        }
        options.capacity = self.capacity.unwrap_or(default_capacity).max(1);
        options.metrics_addr = self.metrics_addr.or_else(|| {
            registry::service(kind.name()).map(|s| ([127, 0, 0, 1], s.metrics_port).into())
        });
        options
    }
}
