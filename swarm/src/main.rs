//! `swarm`: run the whole swarm in one process (embedded default).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use queen::sources::SourceConfig;
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
    /// Sources to poll besides the demo feed: a TOML file of
    /// `[sources.<id>]` tables (see `config/sources.example.toml`);
    /// `SWARM__SOURCES__<ID>__<KEY>` variables override it.
    #[arg(long, env = "SWARM_SOURCES")]
    sources: Option<PathBuf>,
    /// Where the queue and the events are kept across restarts.
    #[arg(long, env = "SWARM_DATA_DIR", default_value = "swarm-data")]
    data_dir: PathBuf,
    /// Alert rule and targets (TOML, as `api-reliability --alerts`;
    /// `ALERTS__…` variables override).
    #[arg(long, env = "SWARM_ALERTS_CONFIG")]
    alerts: Option<PathBuf>,
    /// Keep nothing on disk (a restart forgets the queue and the events).
    #[arg(long, conflicts_with = "data_dir")]
    in_memory: bool,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

/// The sources file.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct SourcesFile {
    sources: BTreeMap<String, SourceConfig>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = telemetry::init("swarm", &args.telemetry)?;
    let file: SourcesFile = swarm_common::config::load(args.sources.as_deref(), "SWARM")
        .context("loading the sources")?;
    let options = swarm::Options {
        grpc_addr: args.grpc_addr,
        metrics_addr: args.metrics_addr,
        coordinator_addr: args.coordinator_addr,
        api_addr: args.api_addr,
        demo_feed: !args.no_demo_feed,
        demo_every: Duration::from_secs(args.demo_every_secs.max(1)),
        sources: file.sources,
        data_dir: (!args.in_memory).then_some(args.data_dir),
        alerts: api_reliability::config::AlertConfig::load(args.alerts.as_deref())
            .context("loading the alert configuration")?,
        ..swarm::Options::default()
    };
    let result = swarm::run(options, swarm_common::shutdown::signal()).await;
    telemetry.shutdown().await;
    result
}
