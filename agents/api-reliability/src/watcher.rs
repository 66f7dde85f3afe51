//! Turns the coordinator's event notices into delivery tasks: every notice
//! on the layout's memory-sync channel is checked against the rule, and each
//! passing change becomes one `DeliverAlert` task per target, submitted to
//! the queen with the dedup key `alert:<target>:<event id>:<version>`.
//! A task names the event, its version and the target only: the handler
//! renders the alert from the event store itself, so a task submitted by
//! anyone else cannot put words in a signed alert.
//! Several replicas may watch at once: the queen merges their submits
//! while a delivery is live, and the delivered marker stops a late one.

use std::sync::Arc;
use std::time::Duration;

use swarm_memory::Memory;
use swarm_memory::layout::alert_status_key;
use swarm_proto::Priority;
use swarm_proto::v1::{DeliverAlert, SubmitTasksRequest, TaskSpec, task_payload};
use swarm_types::{Envelope, EventChange, Notice};

use crate::config::AlertConfig;
use crate::rule;

/// How long the last alerted status of an event is remembered.
const STATUS_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

/// Watches notices on `channel` until aborted (resubscribing when a
/// subscription ends).
pub async fn run(
    config: Arc<AlertConfig>,
    memory: Arc<dyn Memory>,
    channel: String,
    queen: queen_client::QueenLink,
) {
    if config.targets.is_empty() {
        tracing::info!("no alert targets configured; not watching events");
        return;
    }
    loop {
        match memory.subscribe(std::slice::from_ref(&channel)).await {
            Ok(mut subscription) => {
                tracing::info!(%channel, targets = config.targets.len(), "watching events for alerts");
                while let Some((_, payload)) = subscription.recv().await {
                    let change = match Envelope::<Notice>::from_bytes(&payload) {
                        Ok(env) => match env.body {
                            Notice::EventCreated(c) | Notice::EventUpdated(c) => c,
                        },
                        Err(error) => {
                            tracing::warn!(%error, "event notice ignored");
                            continue;
                        }
                    };
                    if let Err(error) = on_change(&config, memory.as_ref(), &queen, &change).await {
                        tracing::warn!(%error, event = change.event_id, "alerts for the event not submitted");
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "cannot subscribe to event notices"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The delivery tasks for one change that passed the rule.
pub fn tasks(config: &AlertConfig, change: &EventChange) -> Vec<TaskSpec> {
    let version = u64::try_from(change.version).unwrap_or_default();
    config
        .targets
        .iter()
        .map(|target| TaskSpec {
            priority: Priority::High as i32,
            dedup_key: format!("alert:{}:{}:{}", target.name, change.event_id, version),
            ..TaskSpec::routed(task_payload::Kind::DeliverAlert(DeliverAlert {
                event_id: change.event_id.to_string(),
                event_version: version,
                target: target.name.clone(),
                // ignored by the handler (it reads the event itself)
                event_json: String::new(),
            }))
        })
        .collect()
}

async fn on_change(
    config: &AlertConfig,
    memory: &dyn Memory,
    queen: &queen_client::QueenLink,
    change: &EventChange,
) -> anyhow::Result<()> {
    let status_key = alert_status_key(change.event_id);
    let previous = memory.get(&status_key).await?;
    let Some(reason) = rule::evaluate(&config.rule, change, previous.as_deref()) else {
        return Ok(());
    };
    let specs = tasks(config, change);
    submit(queen, specs).await?;
    memory.set(&status_key, &change.status, STATUS_TTL).await?;
    metrics::counter!("swarm_alerts_submitted_total", "reason" => reason.name()).increment(1);
    tracing::info!(
        event = change.event_id,
        version = change.version,
        project = %change.project,
        reason = reason.name(),
        "alert submitted for delivery"
    );
    Ok(())
}

/// Submits `specs` to the queen, trying a few times over a few seconds (a
/// notice is not redelivered, so a brief queen outage must not lose it).
async fn submit(queen: &queen_client::QueenLink, specs: Vec<TaskSpec>) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(200);
    let mut last = None;
    for _ in 0..5 {
        let attempt = async {
            let mut admin = queen_client::admin(queen).await?;
            admin
                .submit_tasks(SubmitTasksRequest {
                    tasks: specs.clone(),
                })
                .await?;
            anyhow::Ok(())
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("not submitted")))
}
