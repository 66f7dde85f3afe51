//! Command-line flags every agent binary shares, so that each specialist's
//! `main` only adds its own.

use std::net::SocketAddr;

use swarm_common::telemetry::{Telemetry, TelemetryArgs};
use swarm_proto::AgentKind;

use crate::component::{AgentContext, Component};
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
    /// The credential and TLS presented to the queen.
    #[command(flatten)]
    pub link: swarm_common::queen_link::QueenLinkArgs,
    /// Unique agent id (default: kind-pid).
    #[arg(long, env = "SWARM_AGENT_ID")]
    pub id: Option<String>,
    /// Concurrent tasks (default: the specialist's).
    #[arg(long, env = "SWARM_AGENT_CAPACITY")]
    pub capacity: Option<u32>,
    /// `/health`, `/ready`, `/metrics` (default: the kind's port of the design).
    #[arg(long, env = "SWARM_AGENT_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Shared memory (`redis-cluster://…`, `redis://…`, or `local` for one
    /// process) for the specialists that share findings and state.
    #[arg(
        long,
        env = "SWARM_REDIS_URL",
        default_value = "local",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// Names of the findings stream and the memory-sync channel.
    #[command(flatten)]
    pub layout: swarm_memory::Layout,
    /// Logging and tracing flags.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

impl AgentArgs {
    /// The queen the flags lead to, with their credential.
    ///
    /// # Errors
    ///
    /// A token or certificate file cannot be read.
    pub fn queen_link(&self) -> anyhow::Result<swarm_common::queen_link::QueenLink> {
        Ok(self.link.link(&self.queen)?)
    }

    /// Options for an agent of `kind`, with `default_capacity` unless the
    /// flags say otherwise.
    ///
    /// # Errors
    ///
    /// As [`AgentArgs::queen_link`].
    pub fn options(&self, kind: AgentKind, default_capacity: u32) -> anyhow::Result<AgentOptions> {
        let mut options = AgentOptions::new(self.queen_link()?, kind);
        if let Some(id) = &self.id {
            options.agent_id = id.clone();
        }
        options.capacity = self.capacity.unwrap_or(default_capacity).max(1);
        options.metrics_addr = self.metrics_addr.or_else(|| {
            swarm_common::ports::service(kind.name())
                .map(|s| ([127, 0, 0, 1], s.metrics_port).into())
        });
        Ok(options)
    }

    /// The context specialists are built from: the memory at
    /// `--redis-url`, the layout, the queen.
    ///
    /// # Errors
    ///
    /// The memory cannot be opened.
    pub async fn context(&self) -> anyhow::Result<AgentContext> {
        let memory = swarm_memory::open(&self.redis_url).await?;
        Ok(AgentContext::new(
            memory,
            self.layout.clone(),
            self.queen_link()?,
        ))
    }

    /// Runs `component` until SIGTERM or Ctrl-C (it drains first), then
    /// flushes `telemetry`: the tail of every agent binary's `main`.
    ///
    /// # Errors
    ///
    /// The agent could not run (see [`crate::run`]).
    pub async fn serve(&self, component: Component, telemetry: Telemetry) -> anyhow::Result<()> {
        let options = self.options(component.kind, component.default_capacity)?;
        let result = component
            .run(options, swarm_common::shutdown::signal())
            .await;
        telemetry.shutdown().await;
        result
    }
}
