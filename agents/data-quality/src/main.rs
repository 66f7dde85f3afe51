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
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Run { agent } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("data-quality", &agent.telemetry)?;
    let memory = memory_coordinator::open(&agent.redis_url).await?;
    let handler = Arc::new(QualityHandler::new(memory));
    agent
        .serve(swarm_proto::AgentKind::DataQuality, 32, handler, telemetry)
        .await
}
