//! `api-reliability run`: the agent that probes sources and delivers alerts.

use std::path::PathBuf;

use api_reliability::config::AlertConfig;
use swarm_memory::reliability::BreakerPolicy;

/// The agent's own flags.
#[derive(clap::Args)]
struct Flags {
    /// Alert rule and targets (TOML; `ALERTS__…` variables override).
    #[arg(long, env = "SWARM_ALERTS_CONFIG")]
    alerts: Option<PathBuf>,
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
        let config = api_reliability::Config {
            alerts: AlertConfig::load(flags.alerts.as_deref())?,
            breaker: flags.breaker,
        };
        api_reliability::build(config, context)
    })
}
