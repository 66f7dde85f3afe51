//! `api-reliability run`: the agent that probes sources and delivers alerts.

use std::path::PathBuf;

use agent_runtime::AgentArgs;
use api_reliability::config::AlertConfig;
use clap::{Parser, Subcommand};
use swarm_memory::reliability::BreakerPolicy;

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
        alerts,
        breaker,
    } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("api-reliability", &agent.telemetry)?;
    let config = api_reliability::Config {
        alerts: AlertConfig::load(alerts.as_deref())?,
        breaker,
    };
    let component = api_reliability::build(config, &agent.context().await?)?;
    agent.serve(component, telemetry).await
}
