//! `api-reliability run`: the agent that probes sources and delivers alerts.

use std::path::PathBuf;
use std::sync::Arc;

use agent_runtime::AgentArgs;
use api_reliability::config::AlertConfig;
use api_reliability::handler::ReliabilityHandler;
use clap::{Parser, Subcommand};
use memory_coordinator::reliability::{BreakerPolicy, SharedBreaker};

#[derive(Parser)]
#[command(version, about = "TGE Swarm api-reliability agent")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as an agent of the swarm (DeliverAlert, ProbeSource tasks) and
    /// watch events for alerts.
    Run {
        #[command(flatten)]
        agent: AgentArgs,
        /// Shared memory (`redis-cluster://…`, `redis://…`, or `local`).
        #[arg(long, env = "SWARM_REDIS_URL", default_value = "local")]
        redis_url: String,
        /// Alert rule and targets (TOML; `ALERTS__…` variables override).
        #[arg(long, env = "SWARM_ALERTS_CONFIG")]
        alerts: Option<PathBuf>,
        #[command(flatten)]
        breaker: BreakerPolicy,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Run {
        agent,
        redis_url,
        alerts,
        breaker,
    } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("api-reliability", &agent.telemetry)?;
    let config = Arc::new(AlertConfig::load(alerts.as_deref())?);
    let memory = memory_coordinator::open(&redis_url).await?;
    let watcher = tokio::spawn(api_reliability::watcher::run(
        config.clone(),
        memory.clone(),
        agent.queen.clone(),
    ));
    let handler = Arc::new(ReliabilityHandler::new(
        (*config).clone(),
        memory.clone(),
        SharedBreaker::new(memory, breaker),
    )?);
    let options = agent.options(swarm_proto::AgentKind::ApiReliability, 16);
    let result = agent_runtime::run(options, handler, swarm_common::shutdown::signal()).await;
    watcher.abort();
    telemetry.shutdown().await;
    result
}
