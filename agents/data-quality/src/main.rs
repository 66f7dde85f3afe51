//! `data-quality run`: the agent that validates candidates.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use data_quality::handler::QualityHandler;
use memory_coordinator::{LocalMemory, Memory, RedisMemory};
use swarm_common::telemetry::{self, TelemetryArgs};

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
        #[arg(
            long,
            env = "SWARM_QUEEN_ADDR",
            default_value = "http://127.0.0.1:50051"
        )]
        queen: String,
        #[arg(long, env = "SWARM_AGENT_ID")]
        id: Option<String>,
        #[arg(long, env = "SWARM_AGENT_CAPACITY", default_value_t = 32)]
        capacity: u32,
        #[arg(
            long,
            env = "SWARM_AGENT_METRICS_ADDR",
            default_value = "127.0.0.1:8014"
        )]
        metrics_addr: SocketAddr,
        /// Shared memory (`redis-cluster://…`, `redis://…`, or `local`).
        #[arg(long, env = "SWARM_REDIS_URL", default_value = "local")]
        redis_url: String,
        #[command(flatten)]
        telemetry: TelemetryArgs,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Run {
        queen,
        id,
        capacity,
        metrics_addr,
        redis_url,
        telemetry,
    } = Args::parse().command;
    let telemetry = telemetry::init("data-quality", &telemetry)?;
    let memory: Arc<dyn Memory> = if redis_url == "local" {
        Arc::new(LocalMemory::default())
    } else {
        Arc::new(RedisMemory::connect(&redis_url).await?)
    };
    let mut options = agent_runtime::AgentOptions::new(queen, swarm_proto::AgentKind::DataQuality);
    if let Some(id) = id {
        options.agent_id = id;
    }
    options.capacity = capacity.max(1);
    options.metrics_addr = Some(metrics_addr);
    let result = agent_runtime::run(
        options,
        Arc::new(QualityHandler::new(memory)),
        swarm_common::shutdown::signal(),
    )
    .await;
    telemetry.shutdown().await;
    result
}
