//! `memory-coordinator`: run the coordinator, or take rate-limit tokens
//! from a shared bucket (to check a limit from the shell).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand};
use memory_coordinator::service::{self, Options};
use memory_coordinator::synth::Synthesizer;
use swarm_common::telemetry::{self, TelemetryArgs};

#[derive(Parser)]
#[command(version, about = "TGE Swarm memory coordinator")]
struct Args {
    /// `redis-cluster://127.0.0.1:7001?node=127.0.0.1:7002`, `redis://host:6379`, or `local`.
    #[arg(
        long,
        global = true,
        env = "SWARM_REDIS_URL",
        hide_env_values = true,
        default_value = "redis-cluster://127.0.0.1:7001?node=127.0.0.1:7002&node=127.0.0.1:7003"
    )]
    redis_url: String,
    #[command(flatten)]
    telemetry: TelemetryArgs,
    #[command(flatten)]
    layout: swarm_memory::Layout,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the coordinator (the default).
    Run {
        #[arg(
            long,
            env = "SWARM_DATABASE_URL",
            hide_env_values = true,
            default_value = "postgres://postgres@127.0.0.1:5432/tge"
        )]
        database_url: String,
        #[arg(long, env = "SWARM_COORDINATOR_ADDR", default_value = "127.0.0.1:8002")]
        http_addr: SocketAddr,
        /// Consumer name (unique per replica; default: coordinator-<pid>).
        #[arg(long)]
        consumer: Option<String>,
        /// Findings unacknowledged this long are taken over from their consumer.
        #[arg(long, default_value_t = 30_000)]
        claim_min_idle_ms: u64,
    },
    /// Take `count` tokens from a shared bucket as fast as allowed; prints
    /// one line per token granted: the unix time in milliseconds.
    TakeTokens {
        #[arg(long)]
        key: String,
        #[arg(long)]
        rate: f64,
        #[arg(long, default_value_t = 1)]
        burst: u32,
        #[arg(long)]
        count: u32,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let telemetry = telemetry::init("memory-coordinator", &args.telemetry)?;
    let memory = swarm_memory::open(&args.redis_url).await?;
    let result = match args.command.unwrap_or(Command::Run {
        database_url: "postgres://postgres@127.0.0.1:5432/tge".into(),
        http_addr: ([127, 0, 0, 1], 8002).into(),
        consumer: None,
        claim_min_idle_ms: 30_000,
    }) {
        Command::Run {
            database_url,
            http_addr,
            consumer,
            claim_min_idle_ms,
        } => {
            let synth = Synthesizer::connect(&database_url).await?;
            let mut options = Options {
                layout: args.layout,
                http_addr,
                claim_min_idle: Duration::from_millis(claim_min_idle_ms),
                ..Options::default()
            };
            if let Some(consumer) = consumer {
                options.consumer = consumer;
            }
            options.claim_every = options.claim_min_idle.min(Duration::from_secs(5));
            service::run(memory, synth, options, swarm_common::shutdown::signal()).await
        }
        Command::TakeTokens {
            key,
            rate,
            burst,
            count,
        } => {
            let mut granted = 0;
            while granted < count {
                let d = memory.take_token(&key, rate, burst).await?;
                if d.allowed {
                    granted += 1;
                    println!("{}", swarm_common::time::now_ms());
                } else {
                    tokio::time::sleep(d.retry_after.max(Duration::from_millis(1))).await;
                }
            }
            Ok(())
        }
    };
    telemetry.shutdown().await;
    result
}
