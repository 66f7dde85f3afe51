//! Operator-facing operations on the scheduler: submit, cancel, dead
//! letters and replay, pause/resume, schedules, listings and stats.

use std::cmp::Reverse;
use swarm_proto::names::KIND_COUNT;

use prost::Message;
use swarm_proto::names::AGENT_KINDS;
use swarm_proto::v1::{KindStats, Schedule, Stats, SubmittedTask, TaskInfo, TaskSpec};
use swarm_proto::{AgentKind, TaskState};

use super::entry::{Entry, EntryState};
use super::validate::{self, spec as validate};
use super::{ScheduleEntry, Scheduler};
use crate::persister::Write;
use crate::store::{ROW_DEAD, ScheduleRow, Snapshot};

/// Shortest schedule interval.
pub(super) const MIN_INTERVAL_MS: u64 = 100;
/// Longest schedule interval (ten years).
pub(super) const MAX_INTERVAL_MS: u64 = 10 * 366 * 24 * 3600 * 1000;

/// Why a request was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SubmitError {
    /// A spec in the request is invalid (gRPC `INVALID_ARGUMENT`).
    #[error("task {index}: {reason}")]
    Invalid {
        /// 0-based position of the spec in the request.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The task or schedule named does not exist (gRPC `NOT_FOUND`; the message given).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (gRPC `FAILED_PRECONDITION`; the message given).
    #[error("{0}")]
    Conflict(String),
    /// The persister stopped, so nothing can be made durable (the detail given).
    #[error("the queue store is not accepting writes: {0}")]
    Unavailable(String),
    /// The persister is too far behind to take more (gRPC
    /// `RESOURCE_EXHAUSTED`; retry later, the detail given).
    #[error("the queue is overloaded: {0}")]
    Overloaded(String),
    /// The store refused a write of the request for its data (PostgreSQL
    /// data error): it is not durable (gRPC `INTERNAL`; the detail given).
    #[error("the queue store refused the change: {0}")]
    Refused(String),
}

impl Scheduler {
    /// Submits tasks; all or none (an invalid spec rejects the request).
    /// The caller flushes durably before acknowledging.
    ///
    /// # Errors
    ///
    /// The first invalid spec, by index.
    pub fn submit(
        &mut self,
        specs: Vec<TaskSpec>,
        now_ms: i64,
    ) -> Result<Vec<SubmittedTask>, SubmitError> {
        for (index, spec) in specs.iter().enumerate() {
            validate(spec).map_err(|reason| SubmitError::Invalid { index, reason })?;
        }
        let mut out = Vec::with_capacity(specs.len());
        for spec in specs {
            let submitted =
                self.submit_one(spec, now_ms)
                    .map_err(|reason| SubmitError::Invalid {
                        index: out.len(),
                        reason,
                    })?;
            out.push(submitted);
        }
        self.dispatch_dirty(now_ms);
        Ok(out)
    }

    /// Submits one task (also used for follow-ups and schedules).
    pub(super) fn submit_one(
        &mut self,
        mut spec: TaskSpec,
        now_ms: i64,
    ) -> Result<SubmittedTask, String> {
        let kind = validate(&spec)?;
        if !spec.dedup_key.is_empty()
            && let Some(&id) = self.dedup.get(&spec.dedup_key)
        {
            return Ok(SubmittedTask {
                id,
                deduplicated: true,
            });
        }
        let id = self.next_id();
        spec.kind = AGENT_KINDS[kind] as i32;
        let rank = spec.priority().rank();
        let max_attempts = match spec.max_attempts {
            0 => self.policy(kind).max_attempts,
            n => n,
        };
        let run_at_ms = spec.not_before_unix_ms.max(now_ms);
        if !spec.dedup_key.is_empty() {
            self.dedup.insert(spec.dedup_key.clone(), id);
        }
        let entry = Entry {
            id,
            spec,
            kind,
            rank,
            attempt: 0,
            max_attempts,
            created_ms: now_ms,
            run_at_ms,
            state: EntryState::Ready,
            last_error: None,
        };
        self.journal.push(Write::Insert(entry.to_row()));
        self.tasks.insert(id, entry);
        if run_at_ms > now_ms {
            self.make_scheduled(id, run_at_ms);
        } else {
            self.make_ready(id, now_ms);
        }
        self.totals.submitted += 1;
        metrics::counter!("swarm_tasks_submitted_total", "kind" => AGENT_KINDS[kind].name())
            .increment(1);
        Ok(SubmittedTask {
            id,
            deduplicated: false,
        })
    }

    /// Rebuilds the state from a snapshot at start. Tasks that were leased
    /// when the previous queen stopped are ready again.
    pub fn restore(&mut self, snapshot: Snapshot, now_ms: i64) {
        let mut rows = snapshot.tasks;
        rows.sort_by_key(|r| r.id);
        let (mut live, mut dead, mut broken) = (0, 0, 0);
        for row in rows {
            let Ok(spec) = TaskSpec::decode(row.spec.as_slice()) else {
                broken += 1;
                tracing::error!(task = row.id, "stored task spec cannot be decoded; skipped");
                continue;
            };
            let Ok(kind) = validate(&spec) else {
                broken += 1;
                tracing::error!(task = row.id, "stored task spec is invalid; skipped");
                continue;
            };
            let id = row.id as u64;
            if !spec.dedup_key.is_empty() && row.state != ROW_DEAD {
                self.dedup.insert(spec.dedup_key.clone(), id);
            }
            let entry = Entry {
                id,
                rank: spec.priority().rank(),
                spec,
                kind,
                attempt: row.attempts.max(0) as u32,
                max_attempts: row.max_attempts.max(1) as u32,
                created_ms: row.created_ms,
                run_at_ms: row.run_at_ms,
                state: EntryState::Ready,
                last_error: row.last_error,
            };
            self.tasks.insert(id, entry);
            if row.state == ROW_DEAD {
                dead += 1;
                if let Some(e) = self.tasks.get_mut(&id) {
                    e.state = EntryState::Dead;
                }
                self.kinds[kind].dead += 1;
            } else if row.run_at_ms > now_ms {
                live += 1;
                self.make_scheduled(id, row.run_at_ms);
            } else {
                live += 1;
                self.make_ready(id, row.run_at_ms.min(now_ms));
            }
        }
        for kind in snapshot.paused_kinds {
            if let Some(index) = AgentKind::try_from(i32::from(kind))
                .ok()
                .and_then(AgentKind::index)
            {
                self.kinds[index].paused = true;
            }
        }
        for row in snapshot.schedules {
            if let Err(error) = validate::schedule_name(&row.name) {
                tracing::error!(schedule = ?row.name, %error, "stored schedule has an invalid name; skipped");
                continue;
            }
            match TaskSpec::decode(row.spec.as_slice()) {
                Ok(spec) => {
                    self.schedules.insert(
                        row.name.clone(),
                        ScheduleEntry {
                            name: row.name,
                            spec,
                            interval_ms: row.interval_ms,
                            paused: row.paused,
                            next_run_ms: row.next_run_ms,
                        },
                    );
                }
                Err(_) => {
                    tracing::error!(schedule = %row.name, "stored schedule cannot be decoded");
                }
            }
        }
        tracing::info!(
            live,
            dead,
            broken,
            schedules = self.schedules.len(),
            "queue restored"
        );
        self.dirty = [true; KIND_COUNT];
    }

    /// Cancels a task in any state but finished. A leased task's holder is
    /// told to stop.
    ///
    /// # Errors
    ///
    /// The task is unknown or already finished.
    pub fn cancel(&mut self, id: u64, now_ms: i64) -> Result<TaskState, SubmitError> {
        let entry = self.tasks.get(&id).ok_or_else(|| {
            SubmitError::NotFound(format!(
                "task {id} is not live (unknown or already finished)"
            ))
        })?;
        let previous = entry.task_state();
        let (kind, rank, state) = (entry.kind, entry.rank, entry.state);
        match state {
            EntryState::Ready => self.kinds[kind].forget_ready(rank),
            EntryState::Scheduled => {
                self.kinds[kind].scheduled = self.kinds[kind].scheduled.saturating_sub(1);
            }
            EntryState::Leased { token, session, .. } => {
                self.kinds[kind].leased = self.kinds[kind].leased.saturating_sub(1);
                self.send_cancel(id, token, session, "cancelled by operator");
            }
            EntryState::Dead => self.kinds[kind].dead = self.kinds[kind].dead.saturating_sub(1),
        }
        self.finish(id, TaskState::Cancelled, now_ms);
        metrics::counter!("swarm_task_outcomes_total", "kind" => AGENT_KINDS[kind].name(), "outcome" => "cancelled").increment(1);
        Ok(previous)
    }

    /// Puts dead letters back in their queues with fresh attempts. With
    /// `ids` empty and `all`, replays every dead letter (of `kind`, if set).
    pub fn replay(&mut self, ids: &[u64], all: bool, kind: Option<usize>, now_ms: i64) -> Vec<u64> {
        let chosen: Vec<u64> = if ids.is_empty() && all {
            let mut v: Vec<u64> = self
                .tasks
                .values()
                .filter(|e| e.state == EntryState::Dead && kind.is_none_or(|k| e.kind == k))
                .map(|e| e.id)
                .collect();
            v.sort_unstable();
            v
        } else {
            ids.to_vec()
        };
        let mut replayed = Vec::new();
        for id in chosen {
            let Some(entry) = self.tasks.get_mut(&id) else {
                continue;
            };
            if entry.state != EntryState::Dead {
                continue;
            }
            let key = entry.spec.dedup_key.clone();
            let kind = entry.kind;
            if !key.is_empty() {
                if self.dedup.contains_key(&key) {
                    // a newer task with the same key is live: keep the dead one
                    continue;
                }
                self.dedup.insert(key, id);
            }
            entry.attempt = 0;
            entry.run_at_ms = now_ms;
            self.kinds[kind].dead = self.kinds[kind].dead.saturating_sub(1);
            self.make_ready(id, now_ms);
            if let Some(entry) = self.tasks.get(&id) {
                self.journal.push(Write::Upsert(entry.to_row()));
            }
            replayed.push(id);
        }
        self.dispatch_dirty(now_ms);
        replayed
    }

    /// Pauses or resumes leasing of one kind (durably).
    pub fn set_paused(&mut self, kind: usize, paused: bool, now_ms: i64) {
        self.kinds[kind].paused = paused;
        self.journal
            .push(Write::Paused(AGENT_KINDS[kind] as i16, paused));
        tracing::info!(
            kind = AGENT_KINDS[kind].name(),
            paused,
            "kind pause state changed"
        );
        if !paused {
            self.dirty[kind] = true;
            self.dispatch_dirty(now_ms);
        }
    }

    /// Creates or replaces a periodic schedule.
    ///
    /// # Errors
    ///
    /// An empty name, an invalid task or a too short interval.
    pub fn upsert_schedule(
        &mut self,
        schedule: Schedule,
        now_ms: i64,
    ) -> Result<Schedule, SubmitError> {
        let invalid = |reason: String| SubmitError::Invalid { index: 0, reason };
        validate::schedule_name(&schedule.name).map_err(invalid)?;
        if schedule.interval_ms < MIN_INTERVAL_MS {
            return Err(invalid(format!("interval below {MIN_INTERVAL_MS} ms")));
        }
        if schedule.interval_ms > MAX_INTERVAL_MS {
            return Err(invalid(format!(
                "interval above {MAX_INTERVAL_MS} ms (ten years)"
            )));
        }
        let spec = schedule
            .task
            .ok_or_else(|| invalid("schedule has no task".into()))?;
        validate(&spec).map_err(invalid)?;
        let entry = ScheduleEntry {
            name: schedule.name.clone(),
            spec,
            interval_ms: schedule.interval_ms as i64,
            paused: schedule.paused,
            next_run_ms: if schedule.next_run_unix_ms > 0 {
                schedule.next_run_unix_ms
            } else {
                now_ms
            },
        };
        self.journal
            .push(Write::ScheduleUpsert(schedule_row(&entry)));
        let out = schedule_view(&entry);
        self.schedules.insert(entry.name.clone(), entry);
        Ok(out)
    }

    /// Removes a schedule; `false` when there was none.
    pub fn delete_schedule(&mut self, name: &str) -> bool {
        let existed = self.schedules.remove(name).is_some();
        if existed {
            self.journal.push(Write::ScheduleDelete(name.to_string()));
        }
        existed
    }

    /// Every schedule, by name.
    pub fn schedules(&self) -> Vec<Schedule> {
        self.schedules.values().map(schedule_view).collect()
    }

    /// One task, live or recently finished.
    pub fn task(&self, id: u64) -> Option<TaskInfo> {
        if let Some(entry) = self.tasks.get(&id) {
            return Some(self.live_info(entry));
        }
        self.history
            .iter()
            .rev()
            .find(|i| i.task.as_ref().is_some_and(|t| t.id == id))
            .cloned()
    }

    fn live_info(&self, entry: &Entry) -> TaskInfo {
        let agent = match entry.state {
            EntryState::Leased { session, .. } => self.agent_of(session),
            _ => String::new(),
        };
        entry.info(agent)
    }

    /// Tasks in `state` (Unspecified = every live one) of `kind`, oldest
    /// first for live tasks, newest first for finished ones.
    pub fn list(&self, state: TaskState, kind: Option<usize>, limit: usize) -> Vec<TaskInfo> {
        match state {
            TaskState::Completed | TaskState::Cancelled => self
                .history
                .iter()
                .rev()
                .filter(|i| i.state == state as i32)
                .filter(|i| {
                    kind.is_none_or(|k| {
                        i.task
                            .as_ref()
                            .and_then(|t| t.spec.as_ref())
                            .is_some_and(|s| s.kind == AGENT_KINDS[k] as i32)
                    })
                })
                .take(limit)
                .cloned()
                .collect(),
            _ => {
                let mut entries: Vec<&Entry> = self
                    .tasks
                    .values()
                    .filter(|e| state == TaskState::Unspecified || e.task_state() == state)
                    .filter(|e| kind.is_none_or(|k| e.kind == k))
                    .collect();
                entries.sort_unstable_by_key(|e| (e.rank, e.id));
                entries
                    .into_iter()
                    .take(limit)
                    .map(|e| self.live_info(e))
                    .collect()
            }
        }
    }

    /// Queue statistics per kind and in total.
    pub fn stats(&self) -> Stats {
        let agents = self.sessions_per_kind();
        Stats {
            kinds: AGENT_KINDS
                .iter()
                .enumerate()
                .map(|(i, kind)| {
                    let q = &self.kinds[i];
                    let service = q.service.summary();
                    KindStats {
                        kind: *kind as i32,
                        paused: q.paused,
                        ready_by_priority: q.ready_by_rank().iter().map(|n| *n as u64).collect(),
                        scheduled: q.scheduled as u64,
                        leased: q.leased as u64,
                        dead: q.dead as u64,
                        agents: agents[i] as u32,
                        completed: q.counters.completed,
                        failed: q.counters.failed,
                        retried: q.counters.retried,
                        recommended_replicas: self.tuning.recommended[i],
                        service_mean_ms: service.mean_ms,
                        service_p50_ms: service.p50_ms,
                        service_p99_ms: service.p99_ms,
                    }
                })
                .collect(),
            submitted: self.totals.submitted,
            completed: self.totals.completed,
            rejected_results: self.totals.rejected_results,
            started_unix_ms: self.started_ms,
            epoch: self.seq.epoch(),
        }
    }

    /// Whether `kind` is paused.
    pub fn is_paused(&self, kind: usize) -> bool {
        self.kinds[kind].paused
    }
}

pub(super) fn schedule_row(entry: &ScheduleEntry) -> ScheduleRow {
    ScheduleRow {
        name: entry.name.clone(),
        spec: entry.spec.encode_to_vec(),
        interval_ms: entry.interval_ms,
        paused: entry.paused,
        next_run_ms: entry.next_run_ms,
    }
}

fn schedule_view(entry: &ScheduleEntry) -> Schedule {
    Schedule {
        name: entry.name.clone(),
        task: Some(entry.spec.clone()),
        interval_ms: entry.interval_ms as u64,
        paused: entry.paused,
        next_run_unix_ms: entry.next_run_ms,
    }
}

impl Scheduler {
    /// Runs due schedules: each submits its task with the dedup key
    /// `schedule:<name>`, so a run still pending is not duplicated.
    pub(super) fn run_schedules(&mut self, now_ms: i64) {
        if self.journal.backlogged() {
            return; // due runs fire once the persister has caught up
        }
        let due: Vec<String> = self
            .schedules
            .values()
            .filter(|s| !s.paused && s.next_run_ms <= now_ms)
            .map(|s| s.name.clone())
            .collect();
        for name in due {
            let held = self.tuning.held.contains(&name);
            let Some(schedule) = self.schedules.get_mut(&name) else {
                continue;
            };
            if held {
                schedule.next_run_ms = now_ms + schedule.interval_ms.max(1);
                metrics::counter!("swarm_polls_skipped_total", "reason" => "breaker_open")
                    .increment(1);
                continue;
            }
            let mut spec = schedule.spec.clone();
            spec.dedup_key = format!("schedule:{name}");
            schedule.next_run_ms = schedule
                .next_run_ms
                .saturating_add(schedule.interval_ms)
                .max(now_ms + 1);
            let row = schedule_row(schedule);
            self.journal.push(Write::ScheduleUpsert(row));
            if let Err(error) = self.submit_one(spec, now_ms) {
                tracing::warn!(schedule = %name, %error, "scheduled task rejected");
            }
        }
    }

    /// Drops stale heap entries (kept bounded for long runs).
    pub(super) fn compact_heaps(&mut self) {
        if self.timers.deadlines.len() > 4 * (self.leased_total() + 1024) {
            let tasks = &self.tasks;
            self.timers.deadlines.retain(|Reverse((deadline, id, token))| {
                matches!(tasks.get(id).map(|e| e.state),
                    Some(EntryState::Leased { token: t, deadline_ms, .. }) if t == *token && deadline_ms == *deadline)
            });
        }
    }
}

/// Parses an optional kind filter from the wire.
pub fn kind_filter(raw: i32) -> Result<Option<usize>, String> {
    match AgentKind::try_from(raw) {
        Ok(AgentKind::Unspecified) => Ok(None),
        Ok(kind) => Ok(kind.index()),
        Err(_) => Err(format!("unknown kind {raw}")),
    }
}
