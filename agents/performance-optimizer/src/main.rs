//! `performance-optimizer run`: the agent that tunes poll intervals and
//! recommends replicas.

fn main() -> anyhow::Result<()> {
    agent_runtime::Binary {
        name: "performance-optimizer",
        about: "TGE Swarm performance-optimizer agent",
        run_about: "Run as an agent of the swarm (OptimizeSchedules tasks).",
    }
    .main(|config: performance_optimizer::Config, context| {
        Ok(performance_optimizer::build(config, context))
    })
}
