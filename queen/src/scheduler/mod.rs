//! The scheduler: the queen's in-memory state machine of tasks, leases and
//! agent sessions. It does no I/O of its own — every state change is queued
//! to the [`Persister`] in the order it happens (under the queen's lock),
//! and assignments go to each session's outbound channel.
//!
//! Life of a task: submitted → `Ready` (or `Scheduled` until its not-before
//! time) → `Leased` by a session with a fencing token → completed (deleted),
//! or failed → `Scheduled` for a retry with backoff, or `Dead` after its
//! last attempt. A lost lease (agent gone, lease expired) sends the task
//! back to `Ready` at once.

mod admin;
/// Helpers of the admin operations used by the gRPC layer.
pub mod admin_helpers {
    pub use super::admin::kind_filter;
}
mod backoff;
mod entry;
mod ids;
mod journal;
mod queue;
mod service_time;
mod sessions;
#[cfg(test)]
mod tests;
mod timers;
mod tuning;
mod validate;

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};
use swarm_proto::names::KIND_COUNT;

use swarm_proto::TaskState;
use swarm_proto::names::AGENT_KINDS;
use swarm_proto::v1::{QueenMessage, TaskInfo, TaskSpec};
use tokio::sync::mpsc;

pub use admin::SubmitError;
pub use entry::{Entry, EntryState};
pub use queue::KindQueue;
pub use sessions::{Hello, SessionTx};

use crate::config::{KindPolicy, QueenConfig};
use crate::persister::{Durable, Persister, Write};

/// Settings the scheduler needs from the queen's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lease, retry and attempt policy of each agent kind, indexed like `AGENT_KINDS`.
    pub policies: [KindPolicy; KIND_COUNT],
    /// A waiting task gains one priority level per this many ms (at least 1).
    pub aging_ms: i64,
    /// Most tasks sent in one assignment message.
    pub max_assign_batch: usize,
    /// Finished (completed or cancelled) tasks remembered for listings; 0 keeps none.
    pub history_limit: usize,
    /// How often agents are told to send heartbeats (ms).
    pub heartbeat_interval_ms: u32,
}

impl From<&QueenConfig> for Settings {
    fn from(cfg: &QueenConfig) -> Self {
        Self {
            policies: cfg.policies(),
            aging_ms: cfg.aging_ms as i64,
            max_assign_batch: cfg.max_assign_batch,
            history_limit: cfg.history_limit,
            heartbeat_interval_ms: cfg.heartbeat_interval_ms,
        }
    }
}

/// A periodic schedule.
#[derive(Debug, Clone)]
pub struct ScheduleEntry {
    /// Unique schedule name (e.g. `source:<id>`).
    pub name: String,
    /// The task submitted on every run.
    pub spec: TaskSpec,
    /// Period between runs (ms).
    pub interval_ms: i64,
    /// Paused schedules submit nothing until resumed.
    pub paused: bool,
    /// When the schedule next submits (Unix ms).
    pub next_run_ms: i64,
}

/// Process-wide counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    /// Tasks accepted by submit since start (deduplicated submits not counted).
    pub submitted: u64,
    /// Tasks completed successfully since start.
    pub completed: u64,
    /// Results refused since start (unknown task, stale lease, not leased).
    pub rejected_results: u64,
}

/// The queen's task state. Not thread-safe by itself: the queen keeps it
/// behind one mutex.
pub struct Scheduler {
    settings: Settings,
    journal: journal::Journal,
    seq: ids::Sequences,
    tasks: HashMap<u64, Entry>,
    kinds: [KindQueue; KIND_COUNT],
    timers: timers::Timers,
    dedup: HashMap<String, u64>,
    sessions: HashMap<u64, sessions::Session>,
    schedules: BTreeMap<String, ScheduleEntry>,
    history: VecDeque<TaskInfo>,
    totals: Totals,
    /// False while shutting down: nothing new is leased.
    leasing: bool,
    /// Kinds whose queues or sessions changed since the last dispatch.
    dirty: [bool; KIND_COUNT],
    started_ms: i64,
    tuning: tuning::Tuning,
}

impl Scheduler {
    /// An empty scheduler for queen `epoch`.
    pub fn new(settings: Settings, persister: Persister, epoch: u64, now_ms: i64) -> Self {
        Self {
            settings,
            journal: journal::Journal::new(persister),
            seq: ids::Sequences::new(epoch),
            tasks: HashMap::new(),
            kinds: Default::default(),
            timers: timers::Timers::default(),
            dedup: HashMap::new(),
            sessions: HashMap::new(),
            schedules: BTreeMap::new(),
            history: VecDeque::new(),
            totals: Totals::default(),
            leasing: true,
            dirty: [false; KIND_COUNT],
            started_ms: now_ms,
            tuning: tuning::Tuning::default(),
        }
    }

    /// The epoch this scheduler runs in.
    pub fn epoch(&self) -> u64 {
        self.seq.epoch()
    }

    fn next_id(&mut self) -> u64 {
        self.seq.next_task_id()
    }

    /// Sends the writes of the operation that just ended to the persister.
    pub fn flush(&mut self) {
        self.journal.flush();
    }

    /// Like [`Scheduler::flush`], returning a handle that resolves once the
    /// writes are durable.
    pub fn flush_durable(&mut self) -> Durable {
        self.journal.flush_durable()
    }

    /// Stops (or resumes) leasing, e.g. during shutdown.
    pub fn set_leasing(&mut self, leasing: bool) {
        self.leasing = leasing;
        if leasing {
            self.dirty = [true; KIND_COUNT];
            self.dispatch_dirty(0);
        }
    }

    /// Leases outstanding over all kinds.
    pub fn leased_total(&self) -> usize {
        self.kinds.iter().map(|k| k.leased).sum()
    }

    fn policy(&self, kind: usize) -> &KindPolicy {
        &self.settings.policies[kind]
    }

    /// Makes a task ready at the back of its level.
    fn make_ready(&mut self, id: u64, now_ms: i64) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.state = EntryState::Ready;
            self.kinds[entry.kind].push_back(entry.rank, id, now_ms);
            self.dirty[entry.kind] = true;
        }
    }

    /// Schedules a task to become ready at `run_at_ms`.
    fn make_scheduled(&mut self, id: u64, run_at_ms: i64) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.state = EntryState::Scheduled;
            entry.run_at_ms = run_at_ms;
            self.kinds[entry.kind].scheduled += 1;
            self.timers.delayed.push(Reverse((run_at_ms, id)));
        }
    }

    /// Moves a task to the dead-letter list (durably).
    fn make_dead(&mut self, id: u64, error: String) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.state = EntryState::Dead;
            entry.last_error = Some(error);
            let kind = entry.kind;
            let key = entry.spec.dedup_key.clone();
            let row = entry.to_row();
            if !key.is_empty() && self.dedup.get(&key) == Some(&id) {
                self.dedup.remove(&key);
            }
            self.kinds[kind].dead += 1;
            self.kinds[kind].counters.failed += 1;
            metrics::counter!("swarm_task_outcomes_total", "kind" => AGENT_KINDS[kind].name(), "outcome" => "dead").increment(1);
            self.journal.push(Write::Upsert(row));
        }
    }

    /// Removes a task for good (completed or cancelled) and remembers it.
    fn finish(&mut self, id: u64, state: TaskState, now_ms: i64) -> Option<Entry> {
        let entry = self.tasks.remove(&id)?;
        if !entry.spec.dedup_key.is_empty() && self.dedup.get(&entry.spec.dedup_key) == Some(&id) {
            self.dedup.remove(&entry.spec.dedup_key);
        }
        self.journal.push(Write::Delete(id as i64));
        let mut info = entry.info(String::new());
        info.state = state as i32;
        info.finished_unix_ms = now_ms;
        if let Some(task) = info.task.as_mut() {
            task.lease_token = 0;
            task.lease_deadline_unix_ms = 0;
        }
        if self.history.len() >= self.settings.history_limit {
            self.history.pop_front();
        }
        if self.settings.history_limit > 0 {
            self.history.push_back(info);
        }
        Some(entry)
    }

    /// A lease was lost without a result (agent gone, lease expired): the
    /// delivery counts as an attempt; the task runs again at once, or goes
    /// to the dead-letter list after its last attempt.
    fn lease_lost(&mut self, id: u64, reason: &str, now_ms: i64) {
        let Some(entry) = self.tasks.get(&id) else {
            return;
        };
        let (kind, attempt, max) = (entry.kind, entry.attempt, entry.max_attempts);
        self.kinds[kind].leased = self.kinds[kind].leased.saturating_sub(1);
        if attempt >= max {
            self.make_dead(id, format!("{reason} on attempt {attempt} of {max}"));
        } else if let Some(entry) = self.tasks.get_mut(&id) {
            entry.state = EntryState::Ready;
            entry.last_error = Some(reason.to_string());
            let since = entry.run_at_ms.min(now_ms);
            self.kinds[kind].push_front(entry.rank, id, since);
            self.dirty[kind] = true;
            metrics::counter!("swarm_task_outcomes_total", "kind" => AGENT_KINDS[kind].name(), "outcome" => "redelivered").increment(1);
        }
    }

    /// Hands ready tasks of every changed kind to sessions with credits.
    /// Nothing is leased while the persister is too far behind (the kinds
    /// stay dirty; a later tick dispatches them): new leases bring results,
    /// and results bring writes.
    fn dispatch_dirty(&mut self, now_ms: i64) {
        if self.journal.backlogged() {
            return;
        }
        for kind in 0..AGENT_KINDS.len() {
            if std::mem::take(&mut self.dirty[kind]) {
                self.dispatch(kind, now_ms);
            }
        }
    }

    fn dispatch(&mut self, kind: usize, now_ms: i64) {
        if !self.leasing || self.kinds[kind].paused {
            return;
        }
        let aging_ms = self.settings.aging_ms;
        let lease_ms = self.policy(kind).lease_ms as i64;
        let kind_name = AGENT_KINDS[kind].name();
        while self.kinds[kind].ready_total() > 0 {
            let Some(sid) = self.kinds[kind].idle_sessions.pop_front() else {
                break;
            };
            let Some(session) = self.sessions.get_mut(&sid) else {
                continue;
            };
            session.idle_queued = false;
            if session.draining || session.credits == 0 {
                continue;
            }
            let want = (session.credits as usize).min(self.settings.max_assign_batch);
            let mut batch = Vec::with_capacity(want.min(self.kinds[kind].ready_total()));
            while batch.len() < want {
                let Some((id, waited_ms)) = self.kinds[kind].pop(now_ms, aging_ms, &self.tasks)
                else {
                    break;
                };
                let Some(entry) = self.tasks.get_mut(&id) else {
                    continue;
                };
                let token = self.seq.next_lease_token();
                let deadline_ms = now_ms + lease_ms;
                entry.state = EntryState::Leased {
                    token,
                    session: sid,
                    deadline_ms,
                };
                entry.attempt += 1;
                self.timers
                    .deadlines
                    .push(Reverse((deadline_ms, id, token)));
                session.leased.insert(id);
                self.kinds[kind].leased += 1;
                metrics::histogram!("swarm_dispatch_latency_seconds", "kind" => kind_name)
                    .record(waited_ms.max(0) as f64 / 1000.0);
                batch.push(entry.to_task());
            }
            session.credits -= batch.len() as u32;
            if session.credits > 0 {
                session.idle_queued = true;
                self.kinds[kind].idle_sessions.push_back(sid);
            }
            if batch.is_empty() {
                break;
            }
            session.send(sessions::assign(batch));
        }
    }
}

/// Sender half of a session's outbound stream.
pub type Outbound = mpsc::UnboundedSender<Result<QueenMessage, tonic::Status>>;
