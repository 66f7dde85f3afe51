//! `data-quality run`: the agent that validates candidates.

use agent_runtime::AgentArgs;
use clap::{Parser, Subcommand};

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
    let component = data_quality::build(data_quality::Config::default(), &agent.context().await?);
    agent.serve(component, telemetry).await
}
