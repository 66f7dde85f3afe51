//! `swarm-agent`: a generic agent of any kind that runs diagnostic (noop)
//! tasks — for the demo, the benchmark, the end-to-end tests, and for
//! checking a deployment's plumbing before the specialists are rolled out.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use agent_runtime::{AgentOptions, NoopOnly};
use clap::Parser;
use swarm_common::telemetry::{self, TelemetryArgs};
use swarm_proto::AgentKind;

#[derive(Parser)]
#[command(version, about = "Generic TGE Swarm agent running diagnostic tasks")]
struct Args {
    /// Queen gRPC address.
    #[arg(
        long,
        env = "SWARM_QUEEN_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    queen: String,
    /// Agent kind: scraping-specialist, keyword-precision, api-reliability,
    /// performance-optimizer, data-quality.
    #[arg(long, env = "SWARM_AGENT_KIND", value_parser = parse_kind)]
    kind: AgentKind,
    /// Unique agent id (default: kind-pid).
    #[arg(long, env = "SWARM_AGENT_ID")]
    id: Option<String>,
    /// Concurrent tasks.
    #[arg(long, env = "SWARM_AGENT_CAPACITY", default_value_t = 16)]
    capacity: u32,
    /// Serve /health, /ready, /metrics here.
    #[arg(long, env = "SWARM_AGENT_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Append ids of completed tasks to this file.
    #[arg(long)]
    completion_log: Option<PathBuf>,
    /// Fault-injection drill: fail noop tasks carrying this label.
    #[arg(long = "fail-noop-label")]
    fail_noop_labels: Vec<String>,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

fn parse_kind(s: &str) -> Result<AgentKind, String> {
    AgentKind::parse(s).ok_or_else(|| {
        format!("unknown kind `{s}`; expected scraping-specialist, keyword-precision, api-reliability, performance-optimizer or data-quality")
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = telemetry::init("swarm-agent", &args.telemetry)?;
    let mut options = AgentOptions::new(args.queen, args.kind);
    if let Some(id) = args.id {
        options.agent_id = id;
    }
    options.capacity = args.capacity.max(1);
    options.metrics_addr = args.metrics_addr;
    options.completion_log = args.completion_log;
    options.fail_noop_labels = args.fail_noop_labels;
    let result = agent_runtime::run(
        options,
        Arc::new(NoopOnly),
        swarm_common::shutdown::signal(),
    )
    .await;
    telemetry.shutdown().await;
    result
}
