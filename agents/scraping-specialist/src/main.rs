//! `scraping-specialist run`: the agent that fetches sources.

use agent_runtime::AgentArgs;
use clap::{Parser, Subcommand};
use scraping_specialist::fetch::FetchOptions;
use scraping_specialist::linked::LinkedOptions;
use swarm_memory::reliability::BreakerPolicy;

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
        #[command(flatten)]
        agent: AgentArgs,
        /// Requests per second per host (shared by every replica).
        #[arg(long, default_value_t = 2.0)]
        host_rate: f64,
        /// Largest body accepted, in bytes.
        #[arg(long, default_value_t = 5 * 1024 * 1024)]
        max_body_bytes: usize,
        /// Honour robots.txt (`--respect-robots false` to ignore it, e.g.
        /// for sources you own).
        #[arg(long, env = "SWARM_RESPECT_ROBOTS", default_value_t = true, action = clap::ArgAction::Set)]
        respect_robots: bool,
        /// Bearer token for X recent-search sources.
        #[arg(long, env = "SWARM_X_BEARER_TOKEN", hide_env_values = true)]
        x_bearer_token: Option<String>,
        /// Most linked pages read per poll (of new items with only a title
        /// or a short summary; 0 reads none).
        #[arg(long, default_value_t = 10)]
        linked_pages_per_poll: usize,
        /// Linked pages fetched at the same time.
        #[arg(long, default_value_t = 4)]
        linked_page_concurrency: usize,
        #[command(flatten)]
        breaker: BreakerPolicy,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Run {
        agent,
        host_rate,
        max_body_bytes,
        respect_robots,
        x_bearer_token,
        linked_pages_per_poll,
        linked_page_concurrency,
        breaker,
    } = Args::parse().command;
    let telemetry = swarm_common::telemetry::init("scraping-specialist", &agent.telemetry)?;
    let config = scraping_specialist::Config {
        fetch: FetchOptions {
            host_rate_per_sec: host_rate,
            max_body_bytes,
            respect_robots,
            ..FetchOptions::default()
        },
        x_bearer_token,
        linked: LinkedOptions {
            max_per_poll: linked_pages_per_poll,
            concurrency: linked_page_concurrency,
            ..LinkedOptions::default()
        },
        breaker,
    };
    let component = scraping_specialist::build(config, &agent.context().await?)?;
    agent.serve(component, telemetry).await
}
