//! `swarm-agent`: a generic agent of any kind that runs diagnostic (noop)
//! tasks — for the demo, the benchmark, the end-to-end tests, and for
//! checking a deployment's plumbing before the specialists are rolled out.

use std::path::PathBuf;
use std::sync::Arc;

use agent_runtime::{AgentArgs, NoopOnly};
use clap::Parser;
use swarm_common::telemetry;
use swarm_proto::AgentKind;

#[derive(Parser)]
#[command(version, about = "Generic TGE Swarm agent running diagnostic tasks")]
struct Args {
    /// Agent kind: scraping-specialist, keyword-precision, api-reliability,
    /// performance-optimizer, data-quality.
    #[arg(long, env = "SWARM_AGENT_KIND", value_parser = parse_kind)]
    kind: AgentKind,
    #[command(flatten)]
    agent: AgentArgs,
    /// Append ids of completed tasks to this file.
    #[arg(long)]
    completion_log: Option<PathBuf>,
    /// Fault-injection drill: fail noop tasks carrying this label.
    #[arg(long = "fail-noop-label")]
    fail_noop_labels: Vec<String>,
}

fn parse_kind(s: &str) -> Result<AgentKind, String> {
    AgentKind::parse(s).ok_or_else(|| {
        format!("unknown kind `{s}`; expected scraping-specialist, keyword-precision, api-reliability, performance-optimizer or data-quality")
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = telemetry::init("swarm-agent", &args.agent.telemetry)?;
    let mut options = args.agent.options(args.kind, 16)?;
    // the generic agent serves metrics only when asked (many run side by side)
    options.metrics_addr = args.agent.metrics_addr;
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
