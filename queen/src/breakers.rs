//! Source circuit breakers, honoured by the queen: every
//! `breaker_refresh_ms` it reads the shared breaker of each `source:<id>`
//! schedule and holds the schedules whose breaker is open (or whose
//! half-open probe is running). When the cool-down ends the schedule is
//! released and its next poll is the probe; the scraper replica that runs
//! it reports the outcome, which closes or reopens the breaker.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use swarm_common::time::now_ms;
use swarm_memory::Memory;
use swarm_memory::reliability::Phase;
use swarm_memory::reliability::shared;
use swarm_proto::names::schedule_source;

use crate::Queen;

/// Runs until aborted.
pub(crate) async fn run(queen: Queen, memory: Arc<dyn Memory>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen: HashMap<String, Phase> = HashMap::new();
    loop {
        interval.tick().await;
        let names = queen.lock().source_schedules();
        let now = now_ms();
        let mut held = HashSet::new();
        let mut phases = HashMap::new();
        for name in names {
            let Some(source) = schedule_source(&name) else {
                continue;
            };
            let state = match shared::read(memory.as_ref(), source).await {
                Ok((_, state)) => state,
                Err(error) => {
                    // unknown: keep the previous decision for this source
                    tracing::warn!(%error, source, "cannot read the source's breaker");
                    if queen.lock().is_held(&name) {
                        held.insert(name.clone());
                    }
                    continue;
                }
            };
            let phase = state.phase_at(now);
            if phase == Phase::Open || state.probing(now) {
                held.insert(name.clone());
            }
            if seen.get(&name).copied().unwrap_or_default() != phase {
                match phase {
                    Phase::Open => tracing::warn!(
                        source,
                        open_for_ms = state.open_until_ms - now,
                        "source breaker open: polls held"
                    ),
                    Phase::HalfOpen => {
                        tracing::info!(
                            source,
                            "source breaker half-open: one probe poll goes through"
                        );
                    }
                    Phase::Closed => tracing::info!(source, "source breaker closed: polls resume"),
                }
            }
            phases.insert(name, phase);
        }
        seen = phases;
        metrics::gauge!("swarm_sources_held").set(held.len() as f64);
        queen.with(|s, now| s.set_held(held, now));
    }
}
