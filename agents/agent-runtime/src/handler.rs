//! What a specialist implements: turn one leased task into an outcome.

use swarm_proto::v1::{Task, TaskPayload, TaskSpec, task_payload};

/// One task handed to a handler.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The leased task as the queen sent it (spec, attempt, lease token).
    pub task: Task,
}

impl TaskContext {
    /// The task's payload (every leased task has one).
    pub fn payload(&self) -> Option<&TaskPayload> {
        self.task.spec.as_ref()?.payload.as_ref()
    }

    /// The payload `pick` takes (`|k| match k { Kind::X(x) => Some(x), _
    /// => None }`), or the permanent failure every specialist gives for a
    /// payload it does not handle, naming `agent` and the payload's kind.
    ///
    /// # Errors
    ///
    /// The task has no payload or one `pick` does not take.
    pub fn payload_as<'a, T>(
        &'a self,
        agent: &str,
        pick: impl FnOnce(&'a task_payload::Kind) -> Option<&'a T>,
    ) -> Result<&'a T, HandlerError> {
        self.payload()
            .and_then(|p| p.kind.as_ref())
            .and_then(pick)
            .ok_or_else(|| self.unhandled(agent))
    }

    /// The failure for a payload `agent` does not handle.
    pub fn unhandled(&self, agent: &str) -> HandlerError {
        let variant = self.payload().map_or("empty", |p| p.variant_name());
        HandlerError::permanent(format!("{agent} cannot handle a {variant} payload"))
    }
}

/// A successful run.
#[derive(Debug, Default, Clone)]
pub struct Done {
    /// Tasks the queen should enqueue next.
    pub follow_ups: Vec<TaskSpec>,
    /// One line for logs and the task history.
    pub summary: String,
}

/// A failed run.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    /// What went wrong, for the task's `last_error` and logs.
    pub message: String,
    /// Whether trying again later may succeed.
    pub retryable: bool,
}

impl HandlerError {
    /// A failure worth retrying (timeouts, 5xx, connection errors).
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: true,
        }
    }

    /// A failure that will not go away by retrying (bad input).
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            retryable: false,
        }
    }
}

/// Result of a handler.
pub type Outcome = Result<Done, HandlerError>;

/// A specialist's task logic. Called concurrently, up to the capacity.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Runs one task.
    async fn handle(&self, task: TaskContext) -> Outcome;
}

#[cfg(test)]
mod tests {
    use swarm_proto::v1::{Noop, ValidateCandidate};

    use super::*;

    fn with(kind: Option<task_payload::Kind>) -> TaskContext {
        TaskContext {
            task: Task {
                spec: Some(TaskSpec {
                    payload: kind.map(|kind| TaskPayload { kind: Some(kind) }),
                    ..TaskSpec::default()
                }),
                ..Task::default()
            },
        }
    }

    fn candidate(k: &task_payload::Kind) -> Option<&ValidateCandidate> {
        match k {
            task_payload::Kind::ValidateCandidate(c) => Some(c),
            _ => None,
        }
    }

    #[test]
    fn a_handler_takes_its_payload_and_refuses_others_for_good() {
        let mine = with(Some(task_payload::Kind::ValidateCandidate(
            ValidateCandidate {
                project: "Fernhollow".into(),
                ..ValidateCandidate::default()
            },
        )));
        assert_eq!(
            mine.payload_as("data-quality", candidate).unwrap().project,
            "Fernhollow"
        );

        let other = with(Some(task_payload::Kind::Noop(Noop::default())));
        let refused = other.payload_as("data-quality", candidate).unwrap_err();
        assert!(!refused.retryable);
        assert!(
            refused.message.starts_with("data-quality cannot handle a "),
            "{}",
            refused.message
        );
        assert!(!refused.message.contains("empty"), "{}", refused.message);

        let empty = with(None)
            .payload_as("data-quality", candidate)
            .unwrap_err();
        assert!(empty.message.contains("empty"), "{}", empty.message);
    }
}
