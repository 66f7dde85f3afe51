//! performance-optimizer: closes the loop on cost and speed. Each
//! `OptimizeSchedules` task (a periodic schedule on the queen):
//!
//! - [`interval`] — from each source's recent poll samples (new items, TGE
//!   hits, errors) an adaptive poll interval within configured bounds:
//!   busy, valuable sources are polled more often, quiet ones less;
//! - [`replicas`] — from queue backlog, arrival rate and service time per
//!   task kind, the replicas each agent kind should run (Little's law with
//!   headroom);
//! - [`handler`] — reads the queen (schedules, stats, agents) and the
//!   memory (samples), sets the results on the queen through its admin
//!   RPCs (`SetScheduleInterval`, `RecommendReplicas`: acknowledged and
//!   traced), and reports hot spots (slowest
//!   sources by p99 latency) in its log and task summary, and as gauges
//!   (`swarm_source_latency_p99_seconds{source}`,
//!   `swarm_source_poll_interval_seconds{source}`,
//!   `swarm_optimizer_arrival_rate{kind}`).

pub mod handler;
pub mod interval;
pub mod replicas;

use std::sync::Arc;

use agent_runtime::{AgentContext, Component};
use swarm_proto::AgentKind;

/// One optimization at a time per replica.
pub const DEFAULT_CAPACITY: u32 = 1;

/// Settings of the performance-optimizer agent.
pub type Config = handler::Settings;

/// The performance-optimizer agent over `context`.
pub fn build(config: Config, context: &AgentContext) -> Component {
    let handler = handler::OptimizerHandler::new(
        context.queen.clone(),
        context.memory.clone(),
        context.findings(AgentKind::PerformanceOptimizer),
        config,
    );
    Component::new(
        AgentKind::PerformanceOptimizer,
        DEFAULT_CAPACITY,
        Arc::new(handler),
    )
}
