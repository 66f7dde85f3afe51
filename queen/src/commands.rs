//! Applies commands from `swarm:channels:queen-commands`
//! (`SWARM_QUEEN_COMMANDS_CHANNEL`; see
//! [`QueenCommand`]): new poll intervals of source schedules and replica
//! recommendations. A malformed command is logged and skipped.

use std::sync::Arc;
use std::time::Duration;

use swarm_memory::Memory;
use swarm_memory::layout::queen_commands_channel;
use swarm_memory::reliability::QueenCommand;
use swarm_memory::reliability::commands::source_schedule;
use swarm_proto::AgentKind;
use swarm_types::Envelope;

use crate::Queen;

/// Runs until aborted; resubscribes when the subscription ends.
pub(crate) async fn run(queen: Queen, memory: Arc<dyn Memory>) {
    loop {
        let channel = queen_commands_channel();
        match memory.subscribe(std::slice::from_ref(&channel)).await {
            Ok(mut subscription) => {
                tracing::info!(%channel, "listening for queen commands");
                while let Some((_, payload)) = subscription.recv().await {
                    match Envelope::<QueenCommand>::from_bytes(&payload) {
                        Ok(envelope) => apply(&queen, envelope.body),
                        Err(error) => tracing::warn!(%error, "queen command ignored"),
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot subscribe to queen commands"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Applies one command to the scheduler.
pub(crate) fn apply(queen: &Queen, command: QueenCommand) {
    match command {
        QueenCommand::SetInterval {
            source_id,
            interval_ms,
        } => {
            let name = source_schedule(&source_id);
            let previous = queen
                .lock()
                .schedules()
                .into_iter()
                .find(|s| s.name == name)
                .map(|s| s.interval_ms);
            if queen.with(|s, now| s.set_interval(&name, interval_ms, now)) {
                tracing::info!(
                    source = %source_id,
                    from_ms = previous.unwrap_or_default(),
                    to_ms = interval_ms,
                    "poll interval adapted"
                );
            } else {
                tracing::warn!(schedule = %name, "interval for an unknown schedule ignored");
            }
        }
        QueenCommand::RecommendReplicas { kind, replicas } => match AgentKind::parse(&kind) {
            Some(k) => {
                let before = queen.with(|s, _| {
                    let before = s.recommended(k);
                    s.set_recommended(k, replicas);
                    before
                });
                if before != replicas {
                    tracing::info!(%kind, from = before, to = replicas, "replica recommendation changed");
                }
            }
            None => tracing::warn!(%kind, "recommendation for an unknown kind ignored"),
        },
    }
}
