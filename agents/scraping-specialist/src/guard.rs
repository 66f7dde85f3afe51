//! Source health around every fetch: the source's shared circuit breaker
//! is asked first (an open breaker skips the fetch; when half-open only one
//! replica gets the probe), and the outcome is recorded — in the breaker
//! and as a per-poll sample (latency, new items) for the optimizer.
//!
//! [`Guarded`] wraps the fetch handler, so the fetch logic stays unaware of
//! it.

use std::sync::Arc;
use std::time::Instant;

use agent_runtime::{Done, Handler, Outcome, TaskContext};
use memory_coordinator::Memory;
use memory_coordinator::reliability::{Admission, PollSample, SharedBreaker, samples};
use swarm_common::time::now_ms;
use swarm_proto::v1::task_payload;

/// A handler whose `FetchSource` tasks honour the source's breaker.
pub struct Guarded<H> {
    inner: H,
    breaker: SharedBreaker,
    memory: Arc<dyn Memory>,
}

impl<H: Handler> Guarded<H> {
    /// Wraps `inner`; breakers and samples live in `breaker`'s memory.
    pub fn new(inner: H, memory: Arc<dyn Memory>, breaker: SharedBreaker) -> Self {
        Self {
            inner,
            breaker,
            memory,
        }
    }
}

#[async_trait::async_trait]
impl<H: Handler> Handler for Guarded<H> {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let Some(task_payload::Kind::FetchSource(source)) =
            task.payload().and_then(|p| p.kind.clone())
        else {
            return self.inner.handle(task).await;
        };
        let id = source.source_id.as_str();
        match self.breaker.admit(id, now_ms()).await {
            Ok(Admission::Rejected { retry_in_ms }) => {
                metrics::counter!("swarm_scrape_breaker_skips_total").increment(1);
                tracing::info!(
                    source = id,
                    retry_in_ms,
                    "fetch skipped: source breaker open"
                );
                return Ok(Done {
                    follow_ups: Vec::new(),
                    summary: format!("skipped: breaker open for {retry_in_ms} ms more"),
                });
            }
            Ok(Admission::Probe) => tracing::info!(source = id, "probing a half-open source"),
            Ok(Admission::Allowed) => {}
            // the memory is down: fetch anyway (the breaker is an optimisation)
            Err(error) => tracing::warn!(%error, source = id, "breaker unavailable"),
        }
        let started = Instant::now();
        let outcome = self.inner.handle(task).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let success = outcome.is_ok();
        let new_items = outcome.as_ref().map_or(0, |d| d.follow_ups.len() as u32);
        metrics::counter!("swarm_scrape_fetch_outcomes_total", "outcome" => if success { "success" } else { "failure" }).increment(1);
        let now = now_ms();
        if let Err(error) = self.breaker.record(id, success, now).await {
            tracing::warn!(%error, source = id, "cannot record the fetch outcome");
        }
        let sample = PollSample {
            at_unix_ms: now,
            success,
            latency_ms,
            new_items,
            hits: 0,
        };
        if let Err(error) = samples::record(self.memory.as_ref(), id, &sample).await {
            tracing::warn!(%error, source = id, "cannot record the poll sample");
        }
        outcome
    }
}
