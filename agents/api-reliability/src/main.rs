//! `api-reliability run`: the agent that probes sources and delivers alerts.

use std::path::PathBuf;

use std::sync::Arc;

use api_reliability::config::AlertConfig;
use api_reliability::events::EventStore;
use swarm_memory::reliability::BreakerPolicy;

/// The agent's own flags.
#[derive(clap::Args)]
struct Flags {
    /// Alert rule and targets (TOML; `ALERTS__…` variables override).
    #[arg(long, env = "SWARM_ALERTS_CONFIG")]
    alerts: Option<PathBuf>,
    /// The events' PostgreSQL (the coordinator's database): alerts are
    /// rendered from the events read there, never from a task. Without
    /// it, deliveries fail.
    #[arg(long, env = "SWARM_EVENTS_DATABASE_URL", hide_env_values = true)]
    events_database_url: Option<String>,
    /// Non-public destinations source probes may reach anyway: CIDRs,
    /// addresses or exact host names, comma separated (default: none).
    #[arg(long, env = "SWARM_OUTBOUND_ALLOW", value_delimiter = ',')]
    outbound_allow: Vec<String>,
    #[command(flatten)]
    breaker: BreakerPolicy,
}

fn main() -> anyhow::Result<()> {
    agent_runtime::Binary {
        name: "api-reliability",
        about: "TGE Swarm api-reliability agent",
        run_about: "Run as an agent of the swarm (DeliverAlert, ProbeSource tasks) and watch events for alerts.",
    }
    .main(|flags: Flags, context| {
        let events = match &flags.events_database_url {
            Some(url) => {
                // `build` is synchronous; the runtime is multi-threaded
                let store = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current()
                        .block_on(tge_events::PgEvents::connect_reader(url, 4))
                })
                .map_err(|e| anyhow::anyhow!("the events database: {e}"))?;
                Some(EventStore(Arc::new(store)))
            }
            None => {
                tracing::warn!("no --events-database-url: alerts cannot be delivered");
                None
            }
        };
        let config = api_reliability::Config {
            alerts: AlertConfig::load(flags.alerts.as_deref())?,
            breaker: flags.breaker,
            events,
            outbound: swarm_outbound::Guard::new(swarm_outbound::Policy::parse(
                &flags.outbound_allow,
            )?),
        };
        api_reliability::build(config, context)
    })
}
