//! What the queen learns from outside its queues, applied to the
//! scheduler: source schedules held while their breaker is open, poll
//! intervals and replica recommendations from the performance optimizer.

use std::collections::HashSet;

use swarm_proto::AgentKind;
use swarm_proto::names::KIND_COUNT;

use super::Scheduler;
use crate::persister::Write;

/// What the scheduler was told from outside its queues.
#[derive(Debug, Default)]
pub(super) struct Tuning {
    /// Schedules whose source breaker is open: not submitted.
    pub(super) held: HashSet<String>,
    /// Recommended replicas per kind (0 = none yet).
    pub(super) recommended: [u32; KIND_COUNT],
}

impl Scheduler {
    /// Names of the schedules (`source:<id>`) of every source.
    pub fn source_schedules(&self) -> Vec<String> {
        self.schedules
            .keys()
            .filter(|n| swarm_proto::names::schedule_source(n).is_some())
            .cloned()
            .collect()
    }

    /// Replaces the set of schedules not to submit (breaker open). A
    /// schedule released from the set runs at once (the half-open probe,
    /// or the first poll after the breaker closed).
    pub fn set_held(&mut self, held: HashSet<String>, now_ms: i64) {
        for name in self.tuning.held.difference(&held) {
            if let Some(schedule) = self.schedules.get_mut(name) {
                schedule.next_run_ms = schedule.next_run_ms.min(now_ms);
            }
        }
        self.tuning.held = held;
    }

    /// Whether schedule `name` is held.
    pub fn is_held(&self, name: &str) -> bool {
        self.tuning.held.contains(name)
    }

    /// Sets the interval of schedule `name` (durably, like an upsert); the
    /// next run moves so that it is at most one new interval away. Returns
    /// the previous interval and the one applied (clamped to the bounds);
    /// `None` when there is no such schedule.
    pub fn set_interval(
        &mut self,
        name: &str,
        interval_ms: u64,
        now_ms: i64,
    ) -> Option<(u64, u64)> {
        let schedule = self.schedules.get_mut(name)?;
        let previous = schedule.interval_ms as u64;
        let interval =
            interval_ms.clamp(super::admin::MIN_INTERVAL_MS, super::admin::MAX_INTERVAL_MS) as i64;
        schedule.interval_ms = interval;
        schedule.next_run_ms = schedule.next_run_ms.min(now_ms + interval);
        let row = super::admin::schedule_row(schedule);
        self.journal.push(Write::ScheduleUpsert(row));
        Some((previous, interval as u64))
    }

    /// The recommended replicas of `kind` (0 = none yet).
    pub fn recommended(&self, kind: AgentKind) -> u32 {
        kind.index().map_or(0, |i| self.tuning.recommended[i])
    }

    /// Records the recommended replicas of `kind`.
    pub fn set_recommended(&mut self, kind: AgentKind, replicas: u32) -> bool {
        match kind.index() {
            Some(i) => {
                self.tuning.recommended[i] = replicas;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use swarm_proto::TaskState;
    use swarm_proto::v1::{Noop, Schedule, TaskPayload, TaskSpec, task_payload};

    use super::*;
    use crate::config::QueenConfig;
    use crate::persister::Persister;
    use crate::scheduler::Settings;
    use crate::store::MemoryStore;

    fn scheduler() -> Scheduler {
        let (persister, _task) = Persister::start(Arc::new(MemoryStore::default()));
        Scheduler::new(Settings::from(&QueenConfig::default()), persister, 1, 0)
    }

    fn schedule(name: &str, interval_ms: u64) -> Schedule {
        Schedule {
            name: name.into(),
            task: Some(TaskSpec {
                kind: AgentKind::ScrapingSpecialist as i32,
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::Noop(Noop::default())),
                }),
                ..TaskSpec::default()
            }),
            interval_ms,
            ..Schedule::default()
        }
    }

    fn live(s: &Scheduler) -> usize {
        s.list(TaskState::Unspecified, None, 100).len()
    }

    #[tokio::test]
    async fn held_sources_are_not_polled_and_run_at_once_when_released() {
        let mut s = scheduler();
        s.upsert_schedule(schedule("source:a", 1_000), 0).unwrap();
        s.upsert_schedule(schedule("other", 1_000), 0).unwrap();
        assert_eq!(s.source_schedules(), vec!["source:a".to_string()]);
        s.set_held(HashSet::from(["source:a".to_string()]), 0);
        s.tick(0);
        assert_eq!(live(&s), 1, "only the schedule that is not held ran");
        s.tick(5_000);
        assert_eq!(live(&s), 1, "still held");
        s.set_held(HashSet::new(), 5_100);
        s.tick(5_100);
        assert_eq!(live(&s), 2, "released: the probe poll runs at once");
    }

    #[tokio::test]
    async fn intervals_and_recommendations_are_applied() {
        let mut s = scheduler();
        s.upsert_schedule(schedule("source:a", 60_000), 0).unwrap();
        s.tick(0);
        assert_eq!(s.set_interval("source:a", 5_000, 10), Some((60_000, 5_000)));
        let view = s.schedules();
        assert_eq!(view[0].interval_ms, 5_000);
        assert_eq!(view[0].next_run_unix_ms, 5_010, "the next run moves closer");
        assert_eq!(
            s.set_interval("source:a", 1, 20),
            Some((5_000, 100)),
            "clamped, not refused"
        );
        assert_eq!(s.schedules()[0].interval_ms, 100);
        assert_eq!(s.set_interval("source:missing", 5_000, 0), None);
        assert!(s.set_recommended(AgentKind::KeywordPrecision, 7));
        assert_eq!(s.recommended(AgentKind::KeywordPrecision), 7);
        let stats = s.stats();
        let kp = stats
            .kinds
            .iter()
            .find(|k| k.kind == AgentKind::KeywordPrecision as i32)
            .unwrap();
        assert_eq!(kp.recommended_replicas, 7);
        assert!(!s.set_recommended(AgentKind::Unspecified, 3));
    }
}
