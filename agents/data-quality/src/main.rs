//! `data-quality run`: the agent that validates candidates.

/// The agent's own flags (none yet beyond the runtime's).
#[derive(clap::Args)]
struct Flags {}

fn main() -> anyhow::Result<()> {
    agent_runtime::Binary {
        name: "data-quality",
        about: "TGE Swarm data-quality agent",
        run_about: "Run as an agent of the swarm (ValidateCandidate tasks).",
    }
    .main(|Flags {}, context| {
        Ok(data_quality::build(
            data_quality::Config::default(),
            context,
        ))
    })
}
