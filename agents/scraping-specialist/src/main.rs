//! `scraping-specialist run`: the agent that fetches sources.

use scraping_specialist::fetch::FetchOptions;
use scraping_specialist::linked::LinkedOptions;
use swarm_memory::reliability::BreakerPolicy;

/// The agent's own flags.
#[derive(clap::Args)]
struct Flags {
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
    /// The only origin the X bearer token is sent to (https; http only on
    /// a loopback address, for local fakes).
    #[arg(long, env = "SWARM_X_API_BASE", default_value = scraping_specialist::x_search::DEFAULT_API_BASE)]
    x_api_base: String,
    /// Non-public destinations fetches may reach anyway: CIDRs, addresses
    /// or exact host names, comma separated (default: none; public
    /// addresses need no entry).
    #[arg(long, env = "SWARM_OUTBOUND_ALLOW", value_delimiter = ',')]
    outbound_allow: Vec<String>,
    /// Most linked pages read per poll (of new items with only a title
    /// or a short summary; 0 reads none).
    #[arg(long, default_value_t = 10)]
    linked_pages_per_poll: usize,
    /// Linked pages fetched at the same time.
    #[arg(long, default_value_t = 4)]
    linked_page_concurrency: usize,
    #[command(flatten)]
    breaker: BreakerPolicy,
}

fn main() -> anyhow::Result<()> {
    agent_runtime::Binary {
        name: "scraping-specialist",
        about: "TGE Swarm scraping-specialist agent",
        run_about: "Run as an agent of the swarm (FetchSource tasks).",
    }
    .main(|flags: Flags, context| {
        let allow = swarm_outbound::Policy::parse(&flags.outbound_allow)?;
        let config = scraping_specialist::Config {
            fetch: FetchOptions {
                outbound: swarm_outbound::Guard::new(allow),
                host_rate_per_sec: flags.host_rate,
                max_body_bytes: flags.max_body_bytes,
                respect_robots: flags.respect_robots,
                ..FetchOptions::default()
            },
            x_bearer_token: flags.x_bearer_token,
            x_api_base: flags.x_api_base,
            linked: LinkedOptions {
                max_per_poll: flags.linked_pages_per_poll,
                concurrency: flags.linked_page_concurrency,
                ..LinkedOptions::default()
            },
            breaker: flags.breaker,
        };
        scraping_specialist::build(config, context)
    })
}
