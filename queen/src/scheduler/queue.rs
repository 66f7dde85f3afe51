//! The ready queues of one task kind: one FIFO per priority, picked by
//! *effective* priority — a task's level minus one level per `aging_ms` it
//! has waited — so urgent work goes first but waiting work always ends up
//! at the front (no starvation).

use std::collections::{HashMap, VecDeque};
use swarm_proto::names::PRIORITY_COUNT;

use super::entry::{Entry, EntryState};

/// A ready task and since when it has been waiting.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    id: u64,
    since_ms: i64,
}

/// Counters of one kind, reported by `stats`.
#[derive(Debug, Default, Clone, Copy)]
pub struct KindCounters {
    /// Tasks of this kind completed since start.
    pub completed: u64,
    /// Tasks of this kind moved to the dead-letter list since start.
    pub failed: u64,
    /// Failed attempts of this kind that were retried since start.
    pub retried: u64,
}

/// Queues and bookkeeping of one task kind.
#[derive(Debug, Default)]
pub struct KindQueue {
    ready: [VecDeque<Waiting>; PRIORITY_COUNT],
    ready_len: [usize; PRIORITY_COUNT],
    /// Tasks waiting for their run-at time (not-before or backoff).
    pub scheduled: usize,
    /// Tasks held by agents under a lease.
    pub leased: usize,
    /// Tasks in the dead-letter list.
    pub dead: usize,
    /// Paused kinds are not assigned (tasks still queue up).
    pub paused: bool,
    /// Sessions of this kind that have credits left (each at most once).
    pub idle_sessions: VecDeque<u64>,
    /// Completed, failed and retried totals.
    pub counters: KindCounters,
    /// Durations of recently finished tasks.
    pub service: super::service_time::ServiceTimes,
}

impl KindQueue {
    /// Appends a task that just became ready.
    pub fn push_back(&mut self, rank: usize, id: u64, now_ms: i64) {
        self.ready[rank].push_back(Waiting {
            id,
            since_ms: now_ms,
        });
        self.ready_len[rank] += 1;
    }

    /// Puts a redelivered task back at the front of its level.
    pub fn push_front(&mut self, rank: usize, id: u64, since_ms: i64) {
        self.ready[rank].push_front(Waiting { id, since_ms });
        self.ready_len[rank] += 1;
    }

    /// Forgets one ready task of `rank` that was removed elsewhere
    /// (cancelled); its queue slot is skipped lazily.
    pub fn forget_ready(&mut self, rank: usize) {
        self.ready_len[rank] = self.ready_len[rank].saturating_sub(1);
    }

    /// Ready tasks per priority rank.
    pub fn ready_by_rank(&self) -> [usize; PRIORITY_COUNT] {
        self.ready_len
    }

    /// All ready tasks.
    pub fn ready_total(&self) -> usize {
        self.ready_len.iter().sum()
    }

    /// Takes the next task to run: the head with the best effective
    /// priority, ties going to the more urgent level. Returns the id and
    /// how long it waited.
    pub fn pop(
        &mut self,
        now_ms: i64,
        aging_ms: i64,
        tasks: &HashMap<u64, Entry>,
    ) -> Option<(u64, i64)> {
        let mut best: Option<(usize, i64)> = None; // (rank, effective * 1000)
        for rank in 0..PRIORITY_COUNT {
            // drop slots of tasks that were cancelled while waiting
            while let Some(head) = self.ready[rank].front() {
                let live = tasks
                    .get(&head.id)
                    .is_some_and(|e| matches!(e.state, EntryState::Ready));
                if live {
                    break;
                }
                self.ready[rank].pop_front();
            }
            let Some(head) = self.ready[rank].front() else {
                continue;
            };
            let waited = (now_ms - head.since_ms).max(0);
            let effective = rank as i64 * 1000 - waited * 1000 / aging_ms.max(1);
            if best.is_none_or(|(_, b)| effective < b) {
                best = Some((rank, effective));
            }
        }
        let (rank, _) = best?;
        let head = self.ready[rank].pop_front()?;
        self.ready_len[rank] = self.ready_len[rank].saturating_sub(1);
        Some((head.id, now_ms - head.since_ms))
    }
}
