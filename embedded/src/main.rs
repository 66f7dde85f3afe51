//! `swarm`: run the whole swarm in one process (embedded default).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use swarm_common::telemetry::{self, TelemetryArgs};

/// Runs the queen, the five agents, the memory coordinator and a demo feed
/// in one process, with no external services.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[arg(long, env = "SWARM_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    grpc_addr: SocketAddr,
    #[arg(long, env = "SWARM_METRICS_ADDR", default_value = "127.0.0.1:8001")]
    metrics_addr: SocketAddr,
    #[arg(long, env = "SWARM_COORDINATOR_ADDR", default_value = "127.0.0.1:8002")]
    coordinator_addr: SocketAddr,
    /// The query API.
    #[arg(long, env = "SWARM_API_ADDR", default_value = "127.0.0.1:8080")]
    api_addr: SocketAddr,
    /// Do not serve and poll the bundled demo feed.
    #[arg(long)]
    no_demo_feed: bool,
    /// Seconds between new demo items.
    #[arg(long, default_value_t = 8)]
    demo_every_secs: u64,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = telemetry::init("swarm", &args.telemetry)?;
    let options = swarm::Options {
        grpc_addr: args.grpc_addr,
        metrics_addr: args.metrics_addr,
        coordinator_addr: args.coordinator_addr,
        api_addr: args.api_addr,
        demo_feed: !args.no_demo_feed,
        demo_every: Duration::from_secs(args.demo_every_secs.max(1)),
        ..swarm::Options::default()
    };
    let result = swarm::run(options, swarm_common::shutdown::signal()).await;
    telemetry.shutdown().await;
    result
}
