//! One task's run on the agent: the handler (or the built-in noop) in its
//! own task under the task's trace, a panic turned into a failure, the
//! result message for the queen, and the optional completion log.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use swarm_common::propagation;
use swarm_proto::v1::{Failure, Success, Task, TaskResult, task_payload, task_result};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::handler::{Handler, Outcome, TaskContext};
use crate::noop::run_noop;
use crate::options::AgentOptions;

/// A finished handler run, on its way to the queen.
pub(crate) struct Finished {
    pub(crate) task_id: u64,
    pub(crate) lease_token: u64,
    pub(crate) outcome: Outcome,
    pub(crate) elapsed: Duration,
}

/// Aborts the inner handler task when the outer one is aborted (cancel).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) fn release(task: &Task, reason: &str) -> TaskResult {
    TaskResult {
        task_id: task.id,
        lease_token: task.lease_token,
        outcome: Some(task_result::Outcome::Release(swarm_proto::v1::Release {
            reason: reason.into(),
        })),
        duration_ms: 0,
    }
}

pub(crate) fn spawn_task(
    task: Task,
    handler: Arc<dyn Handler>,
    done: mpsc::UnboundedSender<Finished>,
    kind: &'static str,
    fail_labels: &[String],
) -> tokio::task::AbortHandle {
    let span = tracing::info_span!("handle_task", task = task.id, attempt = task.attempt, kind);
    if let Some(spec) = &task.spec {
        propagation::set_parent_from_map(&span, &spec.trace_context);
    }
    let (task_id, lease_token) = (task.id, task.lease_token);
    let fail_labels = fail_labels.to_vec();
    tokio::spawn(
        async move {
            let started = Instant::now();
            let noop = task
                .spec
                .as_ref()
                .and_then(|s| s.payload.as_ref())
                .and_then(|p| match &p.kind {
                    Some(task_payload::Kind::Noop(n)) => Some(n.clone()),
                    _ => None,
                });
            let injected = noop
                .as_ref()
                .is_some_and(|n| !n.label.is_empty() && fail_labels.contains(&n.label));
            let attempt = task.attempt;
            // the handler runs in the task's span: its calls (e.g. admin
            // RPCs to the queen) continue the task's trace
            let in_span = tracing::Span::current();
            let run = tokio::spawn(
                async move {
                    match noop {
                        Some(noop) if injected => Err(crate::HandlerError::retryable(format!(
                            "fault injected for noop label `{}`",
                            noop.label
                        ))),
                        Some(noop) => run_noop(&noop, attempt).await,
                        None => handler.handle(TaskContext { task }).await,
                    }
                }
                .instrument(in_span),
            );
            let abort_inner = run.abort_handle();
            let _guard = AbortOnDrop(abort_inner);
            // a panicking handler fails its task instead of holding it forever
            let outcome = match run.await {
                Ok(outcome) => outcome,
                Err(error) if error.is_panic() => {
                    metrics::counter!("swarm_agent_handler_panics_total", "kind" => kind)
                        .increment(1);
                    Err(crate::HandlerError::retryable("the handler panicked"))
                }
                Err(_) => return,
            };
            let _ = done.send(Finished {
                task_id,
                lease_token,
                outcome,
                elapsed: started.elapsed(),
            });
        }
        .instrument(span),
    )
    .abort_handle()
}

pub(crate) fn to_result(
    f: Finished,
    kind: &'static str,
    log: Option<&mut CompletionLog>,
) -> TaskResult {
    metrics::histogram!("swarm_agent_task_duration_seconds", "kind" => kind)
        .record(f.elapsed.as_secs_f64());
    let outcome = match f.outcome {
        Ok(done) => {
            metrics::counter!("swarm_agent_tasks_total", "kind" => kind, "outcome" => "success")
                .increment(1);
            if let Some(log) = log {
                // "<task id> <completion time in unix microseconds>"
                let _ = writeln!(log, "{} {}", f.task_id, unix_micros());
            }
            task_result::Outcome::Success(Success {
                follow_ups: done.follow_ups,
                summary: done.summary,
            })
        }
        Err(error) => {
            metrics::counter!("swarm_agent_tasks_total", "kind" => kind, "outcome" => "failure")
                .increment(1);
            tracing::info!(task = f.task_id, retryable = error.retryable, error = %error.message, "task failed");
            task_result::Outcome::Failure(Failure {
                error: error.message,
                retryable: error.retryable,
            })
        }
    };
    TaskResult {
        task_id: f.task_id,
        lease_token: f.lease_token,
        outcome: Some(outcome),
        duration_ms: f.elapsed.as_millis().min(u128::from(u32::MAX)) as u32,
    }
}

/// Buffered completion log, flushed after each batch of results.
pub(crate) type CompletionLog = std::io::BufWriter<std::fs::File>;

fn unix_micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

pub(crate) fn open_log(options: &AgentOptions) -> Option<CompletionLog> {
    let path = options.completion_log.as_ref()?;
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(file) => Some(std::io::BufWriter::new(file)),
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "cannot open the completion log");
            None
        }
    }
}
