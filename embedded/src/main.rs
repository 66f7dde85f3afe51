//! `swarm`: run the whole swarm in one process (embedded default).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use swarm_common::telemetry::{self, TelemetryArgs};

/// Runs the queen and all five agents in one process, no external services.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[arg(long, env = "SWARM_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    grpc_addr: SocketAddr,
    #[arg(long, env = "SWARM_METRICS_ADDR", default_value = "127.0.0.1:8001")]
    metrics_addr: SocketAddr,
    /// Seconds between demo tasks per kind (0 = no demo).
    #[arg(long, default_value_t = 2)]
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
        demo_every: (args.demo_every_secs > 0).then(|| Duration::from_secs(args.demo_every_secs)),
        ..swarm::Options::default()
    };
    let result = swarm::run(options, swarm_common::shutdown::signal()).await;
    telemetry.shutdown().await;
    result
}
