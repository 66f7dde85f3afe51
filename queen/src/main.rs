//! `queen` binary: parse flags and config, set up telemetry, run.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use swarm_common::telemetry::{self, TelemetryArgs};

/// The TGE Swarm queen: durable prioritized task queue and agent gateway.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// TOML configuration file (QUEEN__* environment variables override it).
    #[arg(long, env = "QUEEN_CONFIG")]
    config: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(long)]
    print_config: bool,
    /// Serve only the HTTP query API (`[api]` settings; no task queue), as
    /// one of several API replicas behind HAProxy.
    #[arg(long)]
    api_only: bool,
    /// With `--api-only`: the credential (a reader's) and TLS presented to
    /// the queen at `api.queen_url`.
    #[command(flatten)]
    queen_link: queen::client::QueenLinkArgs,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config: queen::QueenConfig = swarm_common::config::load(args.config.as_deref(), "QUEEN")
        .context("loading configuration")?;
    if args.print_config {
        println!("{config:#?}");
        return Ok(());
    }
    let telemetry = telemetry::init("queen", &args.telemetry)?;
    let result = if args.api_only {
        queen::api_only::run(config, &args.queen_link, swarm_common::shutdown::signal()).await
    } else {
        queen::run(config, swarm_common::shutdown::signal()).await
    };
    telemetry.shutdown().await;
    result
}
