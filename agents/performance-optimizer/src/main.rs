//! `performance-optimizer run`: the agent that tunes poll intervals and
//! recommends replicas.

use std::sync::Arc;

use agent_runtime::AgentArgs;
use clap::{Parser, Subcommand};
use performance_optimizer::handler::{OptimizerHandler, Settings};
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
        /// Shared memory (`redis-cluster://…`, `redis://…`, or `local`).
        #[arg(long, env = "SWARM_REDIS_URL", default_value = "local")]
        redis_url: String,
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
        redis_url,
        intervals,
        replicas,
        default_service_secs,
        default_capacity,
    } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("performance-optimizer", &agent.telemetry)?;
    let memory = memory_coordinator::open(&redis_url).await?;
    let settings = Settings {
        intervals,
        replicas,
        default_service_secs,
        default_capacity,
    };
    let handler = Arc::new(OptimizerHandler::new(agent.queen.clone(), memory, settings));
    let options = agent.options(swarm_proto::AgentKind::PerformanceOptimizer, 1);
    let result = agent_runtime::run(options, handler, swarm_common::shutdown::signal()).await;
    telemetry.shutdown().await;
    result
}
