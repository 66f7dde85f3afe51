//! What a specialist implements: turn one leased task into an outcome.

use swarm_proto::v1::{Task, TaskPayload, TaskSpec};

/// One task handed to a handler.
#[derive(Debug, Clone)]
pub struct TaskContext {
    pub task: Task,
}

impl TaskContext {
    /// The task's payload (every leased task has one).
    pub fn payload(&self) -> Option<&TaskPayload> {
        self.task.spec.as_ref()?.payload.as_ref()
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
