//! `performance-optimizer run`: the agent that tunes poll intervals and
//! recommends replicas.

use agent_runtime::AgentArgs;
use clap::{Parser, Subcommand};
use performance_optimizer::interval::IntervalPolicy;
use performance_optimizer::replicas::ReplicaPolicy;

#[derive(Parser)]
#[command(version, about = "TGE Swarm performance-optimizer agent")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as an agent of the swarm (OptimizeSchedules tasks).
    Run {
        #[command(flatten)]
        agent: AgentArgs,
        #[command(flatten)]
        intervals: IntervalPolicy,
        #[command(flatten)]
        replicas: ReplicaPolicy,
        /// Service time assumed for a kind with no measurement, in seconds.
        #[arg(long, default_value_t = 1.0)]
        default_service_secs: f64,
        /// Tasks per replica assumed for a kind with no connected agent.
        #[arg(long, default_value_t = 16)]
        default_capacity: u32,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Run {
        agent,
        intervals,
        replicas,
        default_service_secs,
        default_capacity,
    } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("performance-optimizer", &agent.telemetry)?;
    let config = performance_optimizer::Config {
        intervals,
        replicas,
        default_service_secs,
        default_capacity,
    };
    let component = performance_optimizer::build(config, &agent.context().await?);
    agent.serve(component, telemetry).await
}
