//! api-reliability: keeps every outbound call and alert healthy.
//!
//! - [`config`] — alert rule and delivery targets (TOML);
//! - [`rule`] — which event changes become alerts (min confidence,
//!   watchlist, created / status change / any update);
//! - [`watcher`] — listens to the coordinator's notices on the
//!   memory-sync channel and submits one `DeliverAlert` task per
//!   target to the queen, with the dedup key `alert:<target>:<event>:<version>`
//!   (retries with backoff and the dead-letter list come from the queen);
//! - [`signing`] — HMAC-SHA256 webhook signatures, timestamped and
//!   replay-safe, with the `verify` function receivers use;
//! - [`format`] — the body each target kind expects (generic webhook,
//!   Slack, Discord, Telegram);
//! - [`events`] — the event store alerts are rendered from (never a task's
//!   copy of the event);
//! - [`deliver`] — sends one alert (idempotency key header, signature);
//! - [`email`] — the SMTP target (lettre), the idempotency key as Message-ID;
//! - [`handler`] — the agent's tasks: `DeliverAlert` (delivered once per
//!   target and event version, remembered in the shared memory) and
//!   `ProbeSource` (a health probe through the source's shared breaker and
//!   the outbound guard, `swarm_outbound`);
//! - [`build`] — the agent as a component from its [`Config`].

pub mod config;
pub mod deliver;
pub mod email;
pub mod events;
pub mod format;
pub mod handler;
pub mod rule;
pub mod signing;
pub mod watcher;

use std::sync::Arc;

use agent_runtime::{AgentContext, Component};
use swarm_memory::reliability::{BreakerPolicy, SharedBreaker};
use swarm_proto::AgentKind;

/// Concurrent deliveries and probes per replica unless the operator says
/// otherwise.
pub const DEFAULT_CAPACITY: u32 = 16;

/// Settings of the api-reliability agent.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Alert rule and targets.
    pub alerts: config::AlertConfig,
    /// The sources' shared circuit breaker (probes go through it).
    pub breaker: BreakerPolicy,
    /// Where alerts are rendered from (without one, deliveries fail: the
    /// agent never sends what a task says).
    pub events: Option<events::EventStore>,
    /// The outbound guard of source probes (default: no non-public address).
    pub outbound: swarm_outbound::Guard,
}

/// The api-reliability agent over `context`: the delivery and probe
/// handler, and the watcher turning event notices into deliveries.
///
/// # Errors
///
/// The HTTP clients cannot be built (TLS roots).
pub fn build(config: Config, context: &AgentContext) -> anyhow::Result<Component> {
    let memory = &context.memory;
    let handler = handler::ReliabilityHandler::new(
        config.alerts.clone(),
        memory.clone(),
        SharedBreaker::new(memory.clone(), config.breaker),
        config.events,
        config.outbound,
    )?;
    let watcher = watcher::run(
        Arc::new(config.alerts),
        memory.clone(),
        context.layout.memory_sync_channel.clone(),
        context.queen.clone(),
    );
    Ok(Component::new(
        AgentKind::ApiReliability,
        DEFAULT_CAPACITY,
        Arc::new(handler),
    )
    .with_background(watcher))
}
