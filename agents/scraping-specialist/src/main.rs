//! `scraping-specialist run`: the agent that fetches sources.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use memory_coordinator::{LocalMemory, Memory, RedisMemory};
use scraping_specialist::fetch::{FetchOptions, Fetcher};
use scraping_specialist::handler::ScrapeHandler;
use swarm_common::telemetry::{self, TelemetryArgs};

#[derive(Parser)]
#[command(version, about = "TGE Swarm scraping-specialist agent")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as an agent of the swarm (FetchSource tasks).
    Run {
        #[arg(
            long,
            env = "SWARM_QUEEN_ADDR",
            default_value = "http://127.0.0.1:50051"
        )]
        queen: String,
        #[arg(long, env = "SWARM_AGENT_ID")]
        id: Option<String>,
        #[arg(long, env = "SWARM_AGENT_CAPACITY", default_value_t = 16)]
        capacity: u32,
        #[arg(
            long,
            env = "SWARM_AGENT_METRICS_ADDR",
            default_value = "127.0.0.1:8010"
        )]
        metrics_addr: SocketAddr,
        /// Shared memory (`redis-cluster://…`, `redis://…`, or `local` for one process).
        #[arg(long, env = "SWARM_REDIS_URL", default_value = "local")]
        redis_url: String,
        /// Requests per second per host (shared by every replica).
        #[arg(long, default_value_t = 2.0)]
        host_rate: f64,
        /// Largest body accepted, in bytes.
        #[arg(long, default_value_t = 5 * 1024 * 1024)]
        max_body_bytes: usize,
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
        host_rate,
        max_body_bytes,
        telemetry,
    } = Args::parse().command;
    let telemetry = telemetry::init("scraping-specialist", &telemetry)?;
    let memory: Arc<dyn Memory> = if redis_url == "local" {
        Arc::new(LocalMemory::default())
    } else {
        Arc::new(RedisMemory::connect(&redis_url).await?)
    };
    let fetch = FetchOptions {
        host_rate_per_sec: host_rate,
        max_body_bytes,
        ..FetchOptions::default()
    };
    let handler = ScrapeHandler::new(Fetcher::new(memory.clone(), fetch)?, memory);
    let mut options =
        agent_runtime::AgentOptions::new(queen, swarm_proto::AgentKind::ScrapingSpecialist);
    if let Some(id) = id {
        options.agent_id = id;
    }
    options.capacity = capacity.max(1);
    options.metrics_addr = Some(metrics_addr);
    let result =
        agent_runtime::run(options, Arc::new(handler), swarm_common::shutdown::signal()).await;
    telemetry.shutdown().await;
    result
}
