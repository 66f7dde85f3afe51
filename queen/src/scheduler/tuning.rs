//! What the queen learns from the shared memory, applied to the
//! scheduler: source schedules held while their breaker is open, poll
//! intervals and replica recommendations from the performance optimizer.

use std::collections::HashSet;

use swarm_proto::AgentKind;

use super::Scheduler;
use crate::persister::Write;

impl Scheduler {
    /// Names of the schedules (`source:<id>`) of every source.
    pub fn source_schedules(&self) -> Vec<String> {
        self.schedules
            .keys()
            .filter(|n| n.starts_with("source:"))
            .cloned()
            .collect()
    }

    /// Replaces the set of schedules not to submit (breaker open). A
    /// schedule released from the set runs at once (the half-open probe,
    /// or the first poll after the breaker closed).
    pub fn set_held(&mut self, held: HashSet<String>, now_ms: i64) {
        for name in self.held.difference(&held) {
            if let Some(schedule) = self.schedules.get_mut(name) {
                schedule.next_run_ms = schedule.next_run_ms.min(now_ms);
            }
        }
        self.held = held;
    }

    /// Whether schedule `name` is held.
    pub fn is_held(&self, name: &str) -> bool {
        self.held.contains(name)
    }

    /// Sets the interval of schedule `name` (durably); the next run moves
    /// so that it is at most one new interval away. `false` when there is
    /// no such schedule.
    pub fn set_interval(&mut self, name: &str, interval_ms: u64, now_ms: i64) -> bool {
        let Some(schedule) = self.schedules.get_mut(name) else {
            return false;
        };
        let interval = (interval_ms as i64).clamp(
            super::admin::MIN_INTERVAL_MS as i64,
            super::admin::MAX_INTERVAL_MS as i64,
        );
        schedule.interval_ms = interval;
        schedule.next_run_ms = schedule.next_run_ms.min(now_ms + interval);
        let row = super::admin::schedule_row(schedule);
        self.writes.push(Write::ScheduleUpsert(row));
        true
    }

    /// The recommended replicas of `kind` (0 = none yet).
    pub fn recommended(&self, kind: AgentKind) -> u32 {
        kind.index().map_or(0, |i| self.recommended[i])
    }

    /// Records the recommended replicas of `kind`.
    pub fn set_recommended(&mut self, kind: AgentKind, replicas: u32) -> bool {
        match kind.index() {
            Some(i) => {
                self.recommended[i] = replicas;
                true
            }
            None => false,
        }
    }
}
