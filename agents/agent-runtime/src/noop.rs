//! The diagnostic `Noop` payload, handled by the runtime for every agent
//! kind: sleep, then succeed or fail as the payload asks. Used by the demo
//! schedule, the benchmark and the end-to-end tests.

use std::time::Duration;

use swarm_proto::v1::Noop;

use crate::handler::{Done, Handler, HandlerError, Outcome, TaskContext};

/// Runs a Noop payload at `attempt`.
pub(crate) async fn run_noop(noop: &Noop, attempt: u32) -> Outcome {
    if noop.sleep_ms > 0 {
        tokio::time::sleep(Duration::from_millis(u64::from(noop.sleep_ms))).await;
    }
    if noop.fail_permanently {
        return Err(HandlerError::permanent(format!(
            "noop `{}` asked to fail permanently",
            noop.label
        )));
    }
    if attempt <= noop.fail_attempts {
        return Err(HandlerError::retryable(format!(
            "noop `{}` asked to fail attempt {attempt} of the first {}",
            noop.label, noop.fail_attempts
        )));
    }
    Ok(Done {
        follow_ups: Vec::new(),
        summary: format!("noop `{}` done", noop.label),
    })
}

/// A handler for agents that run only diagnostic tasks (the generic
/// `swarm-agent` binary): any other payload fails permanently with a clear
/// message, since retrying on the same kind of agent cannot help.
pub struct NoopOnly;

#[async_trait::async_trait]
impl Handler for NoopOnly {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let variant = task.payload().map_or("empty", |p| p.variant_name());
        Err(HandlerError::permanent(format!(
            "this agent runs diagnostic (noop) tasks only; cannot handle a {variant} payload"
        )))
    }
}
