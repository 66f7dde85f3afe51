//! `data-quality run`: the agent that validates candidates.

use std::sync::Arc;

use agent_runtime::AgentArgs;
use clap::{Parser, Subcommand};
use data_quality::handler::QualityHandler;

#[derive(Parser)]
#[command(version, about = "TGE Swarm data-quality agent")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as an agent of the swarm (ValidateCandidate tasks).
    Run {
        #[command(flatten)]
        agent: AgentArgs,
        /// Shared memory (`redis-cluster://…`, `redis://…`, or `local`).
        #[arg(long, env = "SWARM_REDIS_URL", default_value = "local")]
        redis_url: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Run { agent, redis_url } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("data-quality", &agent.telemetry)?;
    let memory = memory_coordinator::open(&redis_url).await?;
    let options = agent.options(swarm_proto::AgentKind::DataQuality, 32);
    let handler = Arc::new(QualityHandler::new(memory));
    let result = agent_runtime::run(options, handler, swarm_common::shutdown::signal()).await;
    telemetry.shutdown().await;
    result
}
