//! Time-driven transitions, run every tick: scheduled tasks whose time has
//! come become ready, expired leases are taken back, schedules fire.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use swarm_proto::names::AGENT_KINDS;

use super::{EntryState, Scheduler};

/// What is waiting for a time: scheduled tasks and lease deadlines. Entries
/// may be stale (a task re-leased or finished): each is checked when due.
#[derive(Debug, Default)]
pub(super) struct Timers {
    /// (run_at, id) of scheduled tasks.
    pub(super) delayed: BinaryHeap<Reverse<(i64, u64)>>,
    /// (deadline, id, token) of leases.
    pub(super) deadlines: BinaryHeap<Reverse<(i64, u64, u64)>>,
}

impl Scheduler {
    /// Advances every timer to `now_ms` and dispatches what became ready.
    pub fn tick(&mut self, now_ms: i64) {
        while let Some(Reverse((run_at, id))) = self.timers.delayed.peek().copied() {
            if run_at > now_ms {
                break;
            }
            self.timers.delayed.pop();
            let due = self
                .tasks
                .get(&id)
                .is_some_and(|e| e.state == EntryState::Scheduled && e.run_at_ms == run_at);
            if due {
                let kind = self.tasks[&id].kind;
                self.kinds[kind].scheduled = self.kinds[kind].scheduled.saturating_sub(1);
                self.make_ready(id, now_ms);
            }
        }
        while let Some(Reverse((deadline, id, token))) = self.timers.deadlines.peek().copied() {
            if deadline > now_ms {
                break;
            }
            self.timers.deadlines.pop();
            let Some(entry) = self.tasks.get(&id) else {
                continue;
            };
            let EntryState::Leased {
                token: current,
                session,
                deadline_ms,
            } = entry.state
            else {
                continue;
            };
            if current != token || deadline_ms > now_ms {
                continue; // re-leased or extended by a heartbeat
            }
            let kind = entry.kind;
            tracing::warn!(task = id, kind = AGENT_KINDS[kind].name(), "lease expired");
            metrics::counter!("swarm_task_outcomes_total", "kind" => AGENT_KINDS[kind].name(), "outcome" => "lease_expired").increment(1);
            self.send_cancel(id, token, session, "lease expired");
            self.lease_lost(id, "lease expired", now_ms);
        }
        self.run_schedules(now_ms);
        self.compact_heaps();
        self.dispatch_dirty(now_ms);
    }
}
