//! `pipeline-eval`: serve labelled texts as live loopback feeds to the
//! one-process swarm and measure the events it reports (see
//! `swarm_tests::pipeline_eval`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use swarm_common::telemetry::{self, TelemetryArgs};
use swarm_tests::pipeline_eval::{self, Options};

/// Measures the whole detection pipeline on labelled JSONL: event
/// precision, project recall, events per project, published → event latency.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Labelled JSONL (`{"id","text","label","project","source_kind"?}`);
    /// default `../shared/detection/real-dev.jsonl` from the repository root.
    #[arg(long)]
    labelled: Option<PathBuf>,
    /// Items released per second, all feeds together.
    #[arg(long = "rate", default_value_t = 4.0)]
    rate: f64,
    /// Serve only the first N records.
    #[arg(long)]
    limit: Option<usize>,
    /// Upper bound of the whole run.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// Poll interval of the feeds (the embedded swarm polls at most once a
    /// second).
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// Seconds without a new event or analyzed document that count as quiet.
    #[arg(long, default_value_t = 3)]
    quiet_secs: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    telemetry: TelemetryArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = telemetry::init_with_filter("pipeline-eval", &args.telemetry, "warn")?;
    let labelled = match args.labelled {
        Some(path) => path,
        None => pipeline_eval::default_labelled()
            .context("no --labelled FILE and no ../shared/detection/real-dev.jsonl")?,
    };
    let options = Options {
        rate: args.rate,
        limit: args.limit,
        timeout: Duration::from_secs(args.timeout_secs),
        poll_ms: args.poll_ms.max(1_000),
        quiet: Duration::from_secs(args.quiet_secs),
        ..Options::new(labelled)
    };
    let result = pipeline_eval::run(&options).await;
    telemetry.shutdown().await;
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}
