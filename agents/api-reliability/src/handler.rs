//! The agent's tasks.
//!
//! - `DeliverAlert`: rendered from the event store the agent reads itself
//!   (the task's `event_json` is ignored; an unknown event, an event older
//!   than the task's version or one that no longer passes the rule's
//!   threshold and watchlist is not alerted; the target must be one of the
//!   configuration's), delivered at most once per target and event version —
//!   a marker in the shared memory is checked first and set after success,
//!   so a redelivered task (a lost lease, a replay from the dead-letter
//!   list) does not alert twice. Each target has a shared circuit breaker
//!   (`api:<target>`): while it is open deliveries fail fast and the queen
//!   retries them later with backoff; after the last attempt they land in
//!   the dead-letter list (`queenctl dlq list` / `dlq replay`).
//! - `ProbeSource`: a health probe of a source through its shared breaker
//!   and the outbound guard (a refused address is a permanent failure, not
//!   a probe result), with the latency recorded as a poll sample.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_runtime::{Done, Handler, HandlerError, Outcome, TaskContext};
use swarm_common::time::now_ms;
use swarm_memory::Memory;
use swarm_memory::layout::alert_delivered_key;
use swarm_memory::reliability::{Admission, PollSample, SharedBreaker, samples};
use swarm_proto::v1::{DeliverAlert, ProbeSource, task_payload};

use swarm_outbound::{Guard, GuardedClient};

use crate::config::AlertConfig;
use crate::deliver::Deliverer;
use crate::events::EventStore;

/// How long a delivered alert is remembered.
const DELIVERED_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Handles `DeliverAlert` and `ProbeSource`.
pub struct ReliabilityHandler {
    config: AlertConfig,
    deliverer: Deliverer,
    memory: Arc<dyn Memory>,
    breaker: SharedBreaker,
    events: Option<EventStore>,
    probe: GuardedClient,
}

impl ReliabilityHandler {
    /// A handler delivering to `config`'s targets alerts rendered from
    /// `events`, probing through `outbound`.
    ///
    /// # Errors
    ///
    /// The HTTP clients cannot be built.
    pub fn new(
        config: AlertConfig,
        memory: Arc<dyn Memory>,
        breaker: SharedBreaker,
        events: Option<EventStore>,
        outbound: Guard,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            config,
            deliverer: Deliverer::new(Duration::from_secs(10))?,
            memory,
            breaker,
            events,
            probe: GuardedClient::build(
                outbound,
                reqwest::Client::builder().timeout(Duration::from_secs(10)),
                5,
            )?,
        })
    }

    async fn deliver(&self, task: &DeliverAlert) -> Outcome {
        let target = self.config.target(&task.target).ok_or_else(|| {
            HandlerError::permanent(format!("unknown alert target `{}`", task.target))
        })?;
        let Some(events) = &self.events else {
            return Err(HandlerError::permanent(
                "no event store configured: alerts are rendered from stored events only",
            ));
        };
        let event_id: i64 = task.event_id.parse().map_err(|_| {
            HandlerError::permanent(format!("invalid event id `{}`", task.event_id))
        })?;
        let detail = events
            .0
            .detail(event_id)
            .await
            .map_err(|e| HandlerError::retryable(format!("event store: {e}")))?
            .ok_or_else(|| HandlerError::permanent(format!("event {event_id} does not exist")))?;
        let wanted = i64::try_from(task.event_version).unwrap_or(i64::MAX);
        if i64::from(detail.event.version) < wanted {
            return Err(HandlerError::permanent(format!(
                "event {event_id} is at version {}, not {wanted}",
                detail.event.version
            )));
        }
        if !crate::rule::holds(
            &self.config.rule,
            &detail.event.project,
            detail.event.confidence,
        ) {
            metrics::counter!("swarm_alert_deliveries_total", "outcome" => "rule_failed")
                .increment(1);
            return Ok(Done {
                follow_ups: Vec::new(),
                summary: format!("event {event_id} no longer passes the rule; not delivered"),
            });
        }
        let alert = crate::events::alert(&detail, wanted);
        let key = format!("alert:{}:{}:{}", task.target, event_id, task.event_version);
        let marker = alert_delivered_key(&task.target, event_id, task.event_version);
        let memory_err =
            |e: swarm_memory::Error| HandlerError::retryable(format!("shared memory: {e}"));
        if self
            .memory
            .get(&marker)
            .await
            .map_err(memory_err)?
            .is_some()
        {
            metrics::counter!("swarm_alert_deliveries_total", "outcome" => "duplicate")
                .increment(1);
            return Ok(Done {
                follow_ups: Vec::new(),
                summary: format!("{key} already delivered"),
            });
        }
        let api = format!("api:{}", task.target);
        if let Admission::Rejected { retry_in_ms } = self
            .breaker
            .admit(&api, now_ms())
            .await
            .map_err(memory_err)?
        {
            metrics::counter!("swarm_alert_deliveries_total", "outcome" => "breaker_open")
                .increment(1);
            return Err(HandlerError::retryable(format!(
                "target `{}` breaker open for {retry_in_ms} ms more",
                task.target
            )));
        }
        let result = self.deliverer.send(target, &alert, &key).await;
        if let Err(error) = self.breaker.record(&api, result.is_ok(), now_ms()).await {
            tracing::warn!(%error, target = %task.target, "cannot record the delivery outcome");
        }
        match result {
            Ok(()) => {
                self.memory
                    .set(&marker, &now_ms().to_string(), DELIVERED_TTL)
                    .await
                    .map_err(memory_err)?;
                metrics::counter!("swarm_alert_deliveries_total", "outcome" => "delivered")
                    .increment(1);
                tracing::info!(target = %task.target, %key, project = %alert.project, "alert delivered");
                Ok(Done {
                    follow_ups: Vec::new(),
                    summary: format!("{key} delivered"),
                })
            }
            Err(error) => {
                metrics::counter!("swarm_alert_deliveries_total", "outcome" => "failed")
                    .increment(1);
                tracing::warn!(%error, %key, "alert delivery failed");
                Err(HandlerError {
                    message: error.to_string(),
                    retryable: error.retryable,
                })
            }
        }
    }

    async fn probe(&self, task: &ProbeSource) -> Outcome {
        let id = task.source_id.as_str();
        let memory_err =
            |e: swarm_memory::Error| HandlerError::retryable(format!("shared memory: {e}"));
        if let Admission::Rejected { retry_in_ms } =
            self.breaker.admit(id, now_ms()).await.map_err(memory_err)?
        {
            return Ok(Done {
                follow_ups: Vec::new(),
                summary: format!("probe of {id} not due for {retry_in_ms} ms"),
            });
        }
        let url = reqwest::Url::parse(&task.url)
            .map_err(|_| HandlerError::permanent(format!("invalid probe URL {}", task.url)))?;
        let request = self
            .probe
            .get(url)
            .map_err(|refused| HandlerError::permanent(format!("probe of {id}: {refused}")))?;
        let started = Instant::now();
        let result = request.send().await;
        if let Err(error) = &result
            && let Some(refused) = swarm_outbound::refusal(error)
        {
            return Err(HandlerError::permanent(format!("probe of {id}: {refused}")));
        }
        let latency_ms = started.elapsed().as_millis() as u64;
        let success = result
            .as_ref()
            .is_ok_and(|r| r.status().is_success() || r.status().as_u16() == 304);
        let now = now_ms();
        self.breaker
            .record(id, success, now)
            .await
            .map_err(memory_err)?;
        let sample = PollSample {
            at_unix_ms: now,
            success,
            latency_ms,
            new_items: 0,
            hits: 0,
        };
        if let Err(error) = samples::record(self.memory.as_ref(), id, &sample).await {
            tracing::warn!(%error, source = id, "cannot record the probe sample");
        }
        metrics::histogram!("swarm_source_probe_seconds").record(latency_ms as f64 / 1000.0);
        Ok(Done {
            follow_ups: Vec::new(),
            summary: format!(
                "probe of {id}: {} in {latency_ms} ms",
                if success { "healthy" } else { "failing" }
            ),
        })
    }
}

#[async_trait::async_trait]
impl Handler for ReliabilityHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        match task.payload().and_then(|p| p.kind.as_ref()) {
            Some(task_payload::Kind::DeliverAlert(d)) => self.deliver(d).await,
            Some(task_payload::Kind::ProbeSource(p)) => self.probe(p).await,
            _ => Err(task.unhandled("api-reliability")),
        }
    }
}
