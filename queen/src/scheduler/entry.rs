//! One task as the scheduler holds it, and its conversions to the stored
//! row and to the wire.

use prost::Message;
use swarm_proto::TaskState;
use swarm_proto::names::{AGENT_KINDS, PRIORITIES};
use swarm_proto::v1::{Task, TaskInfo, TaskSpec};

use crate::store::{ROW_DEAD, ROW_PENDING, TaskRow};

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    /// In a ready queue.
    Ready,
    /// Waiting for `run_at_ms` (not-before time or retry backoff).
    Scheduled,
    /// Held by an agent session under a lease.
    Leased {
        /// The lease token a result must carry (unique across epochs).
        token: u64,
        /// Id of the session holding the lease.
        session: u64,
        /// When the lease expires unless renewed (Unix ms).
        deadline_ms: i64,
    },
    /// In the dead-letter list.
    Dead,
}

/// A live or dead task.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Task id (unique across queen epochs).
    pub id: u64,
    /// What to run, as submitted (kind resolved).
    pub spec: TaskSpec,
    /// Index into `AGENT_KINDS`.
    pub kind: usize,
    /// Priority rank, 0 (critical) ..= 3 (low).
    pub rank: usize,
    /// Deliveries so far.
    pub attempt: u32,
    /// Deliveries allowed before the task is dead-lettered (the kind's default when the submit said 0).
    pub max_attempts: u32,
    /// When the task was submitted (Unix ms).
    pub created_ms: i64,
    /// Not-before time: when it may run (next), in Unix ms.
    pub run_at_ms: i64,
    /// Where the task is in its life.
    pub state: EntryState,
    /// Why the last delivery failed; `None` before any failure.
    pub last_error: Option<String>,
}

impl Entry {
    /// The durable row of this task.
    pub fn to_row(&self) -> TaskRow {
        TaskRow {
            id: self.id as i64,
            kind: AGENT_KINDS[self.kind] as i16,
            priority: PRIORITIES[self.rank] as i16,
            state: if self.state == EntryState::Dead {
                ROW_DEAD
            } else {
                ROW_PENDING
            },
            attempts: self.attempt as i32,
            max_attempts: self.max_attempts as i32,
            run_at_ms: self.run_at_ms,
            created_ms: self.created_ms,
            // text columns cannot hold NUL (PostgreSQL rejects the whole batch)
            dedup_key: (!self.spec.dedup_key.is_empty())
                .then(|| self.spec.dedup_key.replace('\0', "")),
            spec: self.spec.encode_to_vec(),
            last_error: self.last_error.as_ref().map(|e| e.replace('\0', "")),
        }
    }

    /// The task as sent to an agent or shown to an operator.
    pub fn to_task(&self) -> Task {
        let (lease_token, lease_deadline_unix_ms) = match self.state {
            EntryState::Leased {
                token, deadline_ms, ..
            } => (token, deadline_ms),
            _ => (0, 0),
        };
        Task {
            id: self.id,
            spec: Some(self.spec.clone()),
            attempt: self.attempt,
            max_attempts: self.max_attempts,
            lease_token,
            lease_deadline_unix_ms,
            created_unix_ms: self.created_ms,
        }
    }

    /// The public state of the task.
    pub fn task_state(&self) -> TaskState {
        match self.state {
            EntryState::Ready => TaskState::Ready,
            EntryState::Scheduled => TaskState::Scheduled,
            EntryState::Leased { .. } => TaskState::Leased,
            EntryState::Dead => TaskState::Dead,
        }
    }

    /// Operator view; `agent_id` is the lease holder, if any. The lease
    /// token is never shown (it is 0): it is the holder's proof of its
    /// lease, and listings reach more than the holder.
    pub fn info(&self, agent_id: String) -> TaskInfo {
        let mut task = self.to_task();
        task.lease_token = 0;
        TaskInfo {
            task: Some(task),
            state: self.task_state() as i32,
            last_error: self.last_error.clone().unwrap_or_default(),
            agent_id,
            run_at_unix_ms: self.run_at_ms,
            finished_unix_ms: 0,
        }
    }
}
