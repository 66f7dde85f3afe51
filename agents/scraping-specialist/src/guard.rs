//! Source health around every fetch: the source's shared circuit breaker
//! is asked first (an open breaker skips the fetch; when half-open only one
//! replica gets the probe), a retry of a failed poll needs credit from the
//! source's retry budget (retries stay a fraction of the polls, so a
//! failing source is not hammered; the next scheduled poll comes anyway),
//! and the outcome is recorded — in the breaker and as a per-poll sample
//! (latency, new items) for the optimizer.
//!
//! [`Guarded`] wraps the fetch handler, so the fetch logic stays unaware of
//! it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use agent_runtime::{Done, Handler, Outcome, TaskContext};
use swarm_common::time::now_ms;
use swarm_memory::Memory;
use swarm_memory::reliability::{Admission, PollSample, RetryBudget, SharedBreaker, samples};
use swarm_proto::v1::task_payload;

/// Retries of a source's polls, as a fraction of its first attempts.
const RETRY_RATIO: f64 = 0.2;
/// Retry credit every source earns per second regardless of traffic.
const RETRY_FLOOR_PER_SEC: f64 = 0.05;
/// Most retry credit a source can save up.
const RETRY_MAX_TOKENS: f64 = 10.0;

/// A handler whose `FetchSource` tasks honour the source's breaker and
/// retry budget.
pub struct Guarded<H> {
    inner: H,
    breaker: SharedBreaker,
    memory: Arc<dyn Memory>,
    budgets: Mutex<HashMap<String, RetryBudget>>,
}

impl<H: Handler> Guarded<H> {
    /// Wraps `inner`; breakers and samples live in `breaker`'s memory.
    pub fn new(inner: H, memory: Arc<dyn Memory>, breaker: SharedBreaker) -> Self {
        Self {
            inner,
            breaker,
            memory,
            budgets: Mutex::default(),
        }
    }

    /// Whether attempt `attempt` of a poll of `source` may go ahead: first
    /// attempts always (they earn retry credit), retries while the budget
    /// has credit.
    fn within_budget(&self, source: &str, attempt: u32) -> bool {
        let now = now_ms();
        let mut budgets = self
            .budgets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let budget = budgets.entry(source.to_string()).or_insert_with(|| {
            RetryBudget::new(RETRY_RATIO, RETRY_FLOOR_PER_SEC, RETRY_MAX_TOKENS, now)
        });
        if attempt <= 1 {
            budget.on_request(now);
            true
        } else {
            budget.try_retry(now)
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
        if !self.within_budget(id, task.task.attempt) {
            metrics::counter!("swarm_scrape_retry_budget_skips_total").increment(1);
            tracing::info!(
                source = id,
                attempt = task.task.attempt,
                "retry skipped: the source's retry budget is spent"
            );
            return Ok(Done {
                follow_ups: Vec::new(),
                summary: "skipped: retry budget spent".into(),
            });
        }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use agent_runtime::HandlerError;
    use swarm_memory::LocalMemory;
    use swarm_memory::reliability::BreakerPolicy;
    use swarm_proto::v1::{FetchSource, Task, TaskPayload, TaskSpec};

    use super::*;

    /// Fails every fetch, counting them.
    struct Down(Arc<AtomicUsize>);

    #[async_trait::async_trait]
    impl Handler for Down {
        async fn handle(&self, _: TaskContext) -> Outcome {
            self.0.fetch_add(1, Ordering::SeqCst);
            Err(HandlerError::retryable("HTTP 503"))
        }
    }

    fn poll(source: &str, attempt: u32) -> TaskContext {
        TaskContext {
            task: Task {
                attempt,
                spec: Some(TaskSpec {
                    payload: Some(TaskPayload {
                        kind: Some(task_payload::Kind::FetchSource(FetchSource {
                            source_id: source.into(),
                            url: "http://127.0.0.1:9/feed".into(),
                            source_kind: "rss".into(),
                            ..FetchSource::default()
                        })),
                    }),
                    ..TaskSpec::default()
                }),
                ..Task::default()
            },
        }
    }

    fn guarded(calls: &Arc<AtomicUsize>) -> Guarded<Down> {
        let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
        let policy = BreakerPolicy {
            consecutive_failures: 3,
            min_calls: 100,
            ..BreakerPolicy::default()
        };
        Guarded::new(
            Down(calls.clone()),
            memory.clone(),
            SharedBreaker::new(memory, policy),
        )
    }

    #[tokio::test]
    async fn an_open_breaker_skips_fetches_and_samples_are_recorded() {
        let calls = Arc::new(AtomicUsize::new(0));
        let g = guarded(&calls);
        for _ in 0..3 {
            assert!(g.handle(poll("s", 1)).await.is_err());
        }
        let skipped = g.handle(poll("s", 1)).await.unwrap();
        assert!(
            skipped.summary.contains("breaker open"),
            "{}",
            skipped.summary
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let recorded = samples::recent(g.memory.as_ref(), "s", 10).await.unwrap();
        assert_eq!(recorded.len(), 3);
        assert!(recorded.iter().all(|s| !s.success));
    }

    #[tokio::test]
    async fn retries_are_limited_by_the_budget() {
        let calls = Arc::new(AtomicUsize::new(0));
        let g = guarded(&calls);
        // one first attempt (1 starting token + 0.2): one retry, then none
        assert!(g.handle(poll("t", 1)).await.is_err());
        assert!(g.handle(poll("t", 2)).await.is_err());
        let skipped = g.handle(poll("t", 3)).await.unwrap();
        assert!(
            skipped.summary.contains("retry budget"),
            "{}",
            skipped.summary
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
