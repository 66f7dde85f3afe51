//! Behaviour of the scheduler state machine, driven with explicit clocks
//! and in-memory sessions.

use std::sync::Arc;

use swarm_proto::v1::{
    self, Noop, QueenMessage, TaskPayload, TaskResult, TaskSpec, queen_message, task_payload,
    task_result,
};
use swarm_proto::{AgentKind, Priority, TaskState};
use tokio::sync::mpsc;

use super::*;
use crate::config::QueenConfig;
use crate::persister::Persister;
use crate::store::{MemoryStore, Store};

const KIND: AgentKind = AgentKind::DataQuality;

fn noop(priority: Priority) -> TaskSpec {
    TaskSpec {
        kind: KIND as i32,
        payload: Some(TaskPayload {
            kind: Some(task_payload::Kind::Noop(Noop::default())),
        }),
        priority: priority as i32,
        ..Default::default()
    }
}

struct Agent {
    sid: u64,
    rx: mpsc::UnboundedReceiver<Result<QueenMessage, tonic::Status>>,
}

impl Agent {
    fn messages(&mut self) -> Vec<queen_message::Msg> {
        let mut out = Vec::new();
        while let Ok(Ok(m)) = self.rx.try_recv() {
            out.extend(m.msg);
        }
        out
    }

    fn assigned(&mut self) -> Vec<v1::Task> {
        self.messages()
            .into_iter()
            .filter_map(|m| match m {
                queen_message::Msg::Assign(a) => Some(a.tasks),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

struct Fixture {
    s: Scheduler,
    store: Arc<MemoryStore>,
}

impl Fixture {
    fn new(configure: impl FnOnce(&mut QueenConfig)) -> Self {
        let mut cfg = QueenConfig {
            aging_ms: 1_000,
            default_policy: crate::config::KindPolicy {
                max_attempts: 3,
                backoff_base_ms: 10,
                backoff_max_ms: 10,
                lease_ms: 1_000,
            },
            ..QueenConfig::default()
        };
        configure(&mut cfg);
        let store = Arc::new(MemoryStore::default());
        let (persister, _task) = Persister::start(store.clone());
        Self {
            s: Scheduler::new(Settings::from(&cfg), persister, 1, 0),
            store,
        }
    }

    fn agent(&mut self, kind: AgentKind, now: i64) -> Agent {
        let (tx, rx) = mpsc::unbounded_channel();
        let hello = Hello {
            agent_id: format!("agent-{}", self.s.seq.last_session() + 1),
            kind,
            version: "test".into(),
            capacity: 100,
            peer: String::new(),
        };
        let sid = self.s.register(hello, tx, now).unwrap();
        let mut agent = Agent { sid, rx };
        agent.messages(); // welcome
        agent
    }

    fn submit(&mut self, spec: TaskSpec, now: i64) -> u64 {
        let out = self.s.submit(vec![spec], now).unwrap();
        self.s.flush();
        out[0].id
    }

    fn complete(&mut self, agent: &Agent, task: &v1::Task, now: i64) -> Vec<v1::ResultRejected> {
        self.result(agent, task.id, task.lease_token, success(), now)
    }

    fn result(
        &mut self,
        agent: &Agent,
        id: u64,
        token: u64,
        outcome: task_result::Outcome,
        now: i64,
    ) -> Vec<v1::ResultRejected> {
        let r = self.s.results(
            agent.sid,
            vec![TaskResult {
                task_id: id,
                lease_token: token,
                outcome: Some(outcome),
                duration_ms: 1,
            }],
            0,
            now,
        );
        self.s.flush();
        r
    }

    fn state(&self, id: u64) -> TaskState {
        TaskState::try_from(self.s.task(id).unwrap().state).unwrap()
    }
}

fn success() -> task_result::Outcome {
    task_result::Outcome::Success(v1::Success::default())
}

fn failure(retryable: bool) -> task_result::Outcome {
    task_result::Outcome::Failure(v1::Failure {
        error: "boom".into(),
        retryable,
    })
}

#[tokio::test]
async fn higher_priority_runs_first_and_fifo_within_a_level() {
    let mut f = Fixture::new(|_| {});
    let low = f.submit(noop(Priority::Low), 0);
    let normal1 = f.submit(noop(Priority::Normal), 0);
    let high = f.submit(noop(Priority::High), 0);
    let normal2 = f.submit(noop(Priority::Normal), 0);
    let critical = f.submit(noop(Priority::Critical), 0);
    let mut agent = f.agent(KIND, 0);
    let mut order = Vec::new();
    for _ in 0..5 {
        f.s.grant(agent.sid, 1, 0);
        let got = agent.assigned();
        assert_eq!(got.len(), 1, "one credit, one task");
        order.push(got[0].id);
        f.complete(&agent, &got[0], 0);
    }
    assert_eq!(order, vec![critical, high, normal1, normal2, low]);
}

#[tokio::test]
async fn aging_lets_a_waiting_low_task_overtake_fresh_high_work() {
    let mut f = Fixture::new(|c| c.aging_ms = 100);
    let low = f.submit(noop(Priority::Low), 0);
    for _ in 0..10 {
        f.submit(noop(Priority::High), 1_000);
    }
    let mut agent = f.agent(KIND, 1_000);
    f.s.grant(agent.sid, 1, 1_000);
    let got = agent.assigned();
    assert_eq!(got[0].id, low, "low task waited 10 aging periods");
}

#[tokio::test]
async fn an_agent_never_holds_more_than_it_granted() {
    let mut f = Fixture::new(|_| {});
    for _ in 0..10 {
        f.submit(noop(Priority::Normal), 0);
    }
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 3, 0);
    assert_eq!(agent.assigned().len(), 3);
    f.s.tick(10);
    assert!(agent.assigned().is_empty(), "no credit, no assignment");
    f.s.grant(agent.sid, 2, 20);
    assert_eq!(agent.assigned().len(), 2);
}

#[tokio::test]
async fn tasks_go_only_to_agents_of_their_kind() {
    let mut f = Fixture::new(|_| {});
    let mut other = f.agent(AgentKind::ScrapingSpecialist, 0);
    f.s.grant(other.sid, 10, 0);
    f.submit(noop(Priority::Normal), 0);
    assert!(other.assigned().is_empty());
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 10, 0);
    assert_eq!(agent.assigned().len(), 1);
}

#[tokio::test]
async fn credits_beyond_the_agents_capacity_are_ignored() {
    let mut f = Fixture::new(|_| {});
    for _ in 0..150 {
        f.submit(noop(Priority::Normal), 0);
    }
    let mut agent = f.agent(KIND, 0); // capacity 100
    f.s.grant(agent.sid, 1_000, 0);
    let first = agent.assigned();
    assert_eq!(first.len(), 100, "no more than the declared capacity");
    f.s.grant(agent.sid, 50, 1);
    assert!(
        agent.assigned().is_empty(),
        "still full: the grant is refused"
    );
    f.complete(&agent, &first[0], 2);
    f.s.grant(agent.sid, 50, 3);
    assert_eq!(agent.assigned().len(), 1, "one slot freed, one task more");
}

#[tokio::test]
async fn a_stale_lease_cannot_complete_a_redelivered_task() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut first = f.agent(KIND, 0);
    f.s.grant(first.sid, 1, 0);
    let old = first.assigned().remove(0);
    f.s.disconnect(first.sid, 10);
    let mut second = f.agent(KIND, 10);
    f.s.grant(second.sid, 1, 10);
    let new = second.assigned().remove(0);
    assert_eq!(new.id, id);
    assert_ne!(new.lease_token, old.lease_token);
    assert_eq!(new.attempt, 2);
    let rejected = f.complete(&second, &old, 20);
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].reason, "stale_lease");
    assert_eq!(
        f.state(id),
        TaskState::Leased,
        "the old holder changed nothing"
    );
    assert!(f.complete(&second, &new, 30).is_empty());
    assert_eq!(f.state(id), TaskState::Completed);
    let again = f.complete(&second, &new, 40);
    assert_eq!(again[0].reason, "unknown_task", "completed once only");
    assert_eq!(f.s.stats().completed, 1);
}

#[tokio::test]
async fn retries_back_off_then_dead_letter_then_replay() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    let mut now = 0;
    for attempt in 1..=3 {
        f.s.grant(agent.sid, 1, now);
        let mut got = agent.assigned();
        if got.is_empty() {
            now += 100; // past the 10 ms backoff
            f.s.tick(now);
            got = agent.assigned();
        }
        assert_eq!(got[0].attempt, attempt);
        f.result(&agent, id, got[0].lease_token, failure(true), now);
    }
    assert_eq!(f.state(id), TaskState::Dead);
    let info = f.s.task(id).unwrap();
    assert!(
        info.last_error.contains("attempt 3 of 3"),
        "{}",
        info.last_error
    );
    assert_eq!(f.s.list(TaskState::Dead, None, 10).len(), 1);
    let replayed = f.s.replay(&[], true, None, now);
    assert_eq!(replayed, vec![id]);
    f.s.grant(agent.sid, 1, now);
    let got = agent.assigned();
    assert_eq!(got[0].attempt, 1, "replay starts afresh");
    f.complete(&agent, &got[0], now);
    assert_eq!(f.state(id), TaskState::Completed);
}

#[tokio::test]
async fn a_permanent_failure_dead_letters_at_once() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 1, 0);
    let got = agent.assigned();
    f.result(&agent, id, got[0].lease_token, failure(false), 0);
    assert_eq!(f.state(id), TaskState::Dead);
}

#[tokio::test]
async fn dedup_returns_the_live_task_until_it_finishes() {
    let mut f = Fixture::new(|_| {});
    let mut spec = noop(Priority::Normal);
    spec.dedup_key = "poll:feed-1".into();
    let first = f.s.submit(vec![spec.clone(), spec.clone()], 0).unwrap();
    assert!(!first[0].deduplicated);
    assert!(first[1].deduplicated);
    assert_eq!(first[0].id, first[1].id);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 1, 0);
    let got = agent.assigned();
    let again = f.s.submit(vec![spec.clone()], 1).unwrap();
    assert_eq!(again[0].id, first[0].id, "leased still counts as live");
    f.complete(&agent, &got[0], 2);
    let after = f.s.submit(vec![spec], 3).unwrap();
    assert!(!after[0].deduplicated);
    assert_ne!(after[0].id, first[0].id);
}

#[tokio::test]
async fn paused_kinds_lease_nothing_until_resumed() {
    let mut f = Fixture::new(|_| {});
    let kind = KIND.index().unwrap();
    f.s.set_paused(kind, true, 0);
    f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 5, 0);
    f.s.tick(100);
    assert!(agent.assigned().is_empty());
    f.s.set_paused(kind, false, 200);
    assert_eq!(agent.assigned().len(), 1);
}

#[tokio::test]
async fn expired_leases_are_cancelled_and_redelivered_heartbeats_extend_them() {
    let mut f = Fixture::new(|_| {});
    let extended = f.submit(noop(Priority::Normal), 0);
    let expiring = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 2, 0);
    let got = agent.assigned();
    let lease = got.iter().find(|t| t.id == extended).unwrap();
    f.s.heartbeat(
        agent.sid,
        &[v1::LeaseRef {
            task_id: extended,
            lease_token: lease.lease_token,
        }],
        900,
    );
    f.s.tick(1_500);
    assert_eq!(f.state(extended), TaskState::Leased);
    assert_eq!(f.state(expiring), TaskState::Ready);
    let cancels: Vec<_> = agent
        .messages()
        .into_iter()
        .filter_map(|m| match m {
            queen_message::Msg::Cancel(c) => Some(c.task_id),
            _ => None,
        })
        .collect();
    assert_eq!(cancels, vec![expiring]);
}

#[tokio::test]
async fn not_before_times_hold_tasks_back() {
    let mut f = Fixture::new(|_| {});
    let mut spec = noop(Priority::Critical);
    spec.not_before_unix_ms = 5_000;
    let id = f.submit(spec, 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 1, 0);
    assert_eq!(f.state(id), TaskState::Scheduled);
    f.s.tick(4_999);
    assert!(agent.assigned().is_empty());
    f.s.tick(5_000);
    assert_eq!(agent.assigned()[0].id, id);
}

#[tokio::test]
async fn cancelling_a_leased_task_tells_its_holder() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 1, 0);
    let got = agent.assigned();
    assert_eq!(f.s.cancel(id, 1).unwrap(), TaskState::Leased);
    assert!(
        agent
            .messages()
            .iter()
            .any(|m| matches!(m, queen_message::Msg::Cancel(c) if c.task_id == id))
    );
    let rejected = f.complete(&agent, &got[0], 2);
    assert_eq!(rejected.len(), 1, "a cancelled task cannot complete");
    assert_eq!(f.state(id), TaskState::Cancelled);
    assert!(f.s.cancel(id, 3).is_err());
}

#[tokio::test]
async fn schedules_submit_periodically_without_piling_up() {
    let mut f = Fixture::new(|_| {});
    f.s.upsert_schedule(
        v1::Schedule {
            name: "poll".into(),
            task: Some(noop(Priority::Normal)),
            interval_ms: 1_000,
            paused: false,
            next_run_unix_ms: 0,
        },
        0,
    )
    .unwrap();
    f.s.tick(0);
    f.s.tick(1_000);
    f.s.tick(2_000);
    let live = f.s.list(TaskState::Unspecified, None, 10);
    assert_eq!(live.len(), 1, "pending run is deduplicated");
    let mut agent = f.agent(KIND, 2_000);
    f.s.grant(agent.sid, 5, 2_000);
    let got = agent.assigned();
    f.complete(&agent, &got[0], 2_100);
    f.s.tick(3_000);
    assert_eq!(agent.assigned().len(), 1, "next period runs again");
}

fn validate_candidate() -> TaskSpec {
    TaskSpec {
        priority: Priority::High as i32,
        ..TaskSpec::routed(task_payload::Kind::ValidateCandidate(
            v1::ValidateCandidate::default(),
        ))
    }
}

fn with_follow_ups(follow_ups: Vec<TaskSpec>) -> task_result::Outcome {
    task_result::Outcome::Success(v1::Success {
        follow_ups,
        summary: String::new(),
    })
}

/// A noop task for the keyword-precision queue, leased to a new agent of
/// that kind; returns the agent and its task.
fn keyword_task(f: &mut Fixture) -> (Agent, v1::Task) {
    let mut spec = noop(Priority::Normal);
    spec.kind = AgentKind::KeywordPrecision as i32;
    f.submit(spec, 0);
    let mut agent = f.agent(AgentKind::KeywordPrecision, 0);
    f.s.grant(agent.sid, 1, 0);
    let task = agent.assigned().remove(0);
    (agent, task)
}

#[tokio::test]
async fn follow_ups_are_enqueued_with_the_result() {
    let mut f = Fixture::new(|_| {});
    let (agent, task) = keyword_task(&mut f);
    let mut validator = f.agent(AgentKind::DataQuality, 0);
    f.s.grant(validator.sid, 5, 0);
    let follow = with_follow_ups(vec![validate_candidate(), validate_candidate()]);
    assert!(
        f.result(&agent, task.id, task.lease_token, follow, 1)
            .is_empty()
    );
    assert_eq!(validator.assigned().len(), 2);
}

#[tokio::test]
async fn follow_ups_outside_the_role_are_dropped_and_the_task_still_completes() {
    let mut f = Fixture::new(|_| {});
    let (agent, task) = keyword_task(&mut f);
    let mut unrouted = validate_candidate();
    unrouted.kind = AgentKind::Unspecified as i32;
    let mut misrouted = validate_candidate();
    misrouted.kind = AgentKind::ScrapingSpecialist as i32;
    let fetch = TaskSpec::routed(task_payload::Kind::FetchSource(v1::FetchSource::default()));
    let analyze = TaskSpec::routed(task_payload::Kind::AnalyzeDocument(
        v1::AnalyzeDocument::default(),
    ));
    let alert = TaskSpec::routed(task_payload::Kind::DeliverAlert(v1::DeliverAlert::default()));
    let follow = with_follow_ups(vec![
        fetch,                    // a scraping task: not keyword-precision's to make
        validate_candidate(),     // its role
        noop(Priority::Critical), // diagnostics are no role's follow-up
        misrouted,                // the right payload sent to the wrong queue
        unrouted,                 // its role, routed by the queen
        analyze,                  // not its role
        alert,                    // not its role
        TaskSpec::default(),      // no payload at all
    ]);
    let rejected = f.result(&agent, task.id, task.lease_token, follow, 1);
    assert!(
        rejected.is_empty(),
        "the result itself counts: {rejected:?}"
    );
    assert_eq!(f.state(task.id), TaskState::Completed);
    assert_eq!(
        f.s.stats().submitted,
        3,
        "the task and its two valid follow-ups"
    );
    let live = f.s.list(TaskState::Unspecified, None, 100);
    assert_eq!(live.len(), 2);
    for info in &live {
        let spec = info.task.as_ref().and_then(|t| t.spec.as_ref()).unwrap();
        assert_eq!(spec.kind, AgentKind::DataQuality as i32);
        assert!(matches!(
            spec.payload.as_ref().and_then(|p| p.kind.as_ref()),
            Some(task_payload::Kind::ValidateCandidate(_))
        ));
    }
}

#[tokio::test]
async fn kinds_without_follow_ups_in_their_role_can_add_none() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0); // data-quality
    f.s.grant(agent.sid, 1, 0);
    let got = agent.assigned();
    let follow = with_follow_ups(vec![
        validate_candidate(),
        noop(Priority::High),
        TaskSpec::routed(task_payload::Kind::OptimizeSchedules(
            v1::OptimizeSchedules::default(),
        )),
    ]);
    assert!(
        f.result(&agent, id, got[0].lease_token, follow, 1)
            .is_empty()
    );
    assert_eq!(f.state(id), TaskState::Completed);
    assert_eq!(f.s.stats().submitted, 1);
    assert!(f.s.list(TaskState::Unspecified, None, 10).is_empty());
}

#[tokio::test]
async fn another_session_cannot_complete_fail_or_release_a_lease_even_with_its_token() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut holder = f.agent(KIND, 0);
    let intruder = f.agent(KIND, 0);
    f.s.grant(holder.sid, 1, 0);
    let lease = holder.assigned().remove(0);
    assert_eq!(lease.id, id);
    let release = task_result::Outcome::Release(v1::Release {
        reason: "not mine".into(),
    });
    for outcome in [success(), failure(false), failure(true), release] {
        let rejected = f.result(&intruder, id, lease.lease_token, outcome, 10);
        assert_eq!(rejected.len(), 1);
        assert_eq!(
            rejected[0].reason, "stale_lease",
            "the intruder learns nothing about the token"
        );
        assert_eq!(
            f.state(id),
            TaskState::Leased,
            "the intruder changed nothing"
        );
        assert_eq!(f.s.task(id).unwrap().agent_id, "agent-1");
    }
    assert_eq!(f.s.stats().rejected_results, 4);
    let info = f.s.agents();
    assert!(info.iter().all(|a| a.completed == 0 && a.failed == 0));
    // the holder's own result still counts
    assert!(f.complete(&holder, &lease, 20).is_empty());
    assert_eq!(f.state(id), TaskState::Completed);
    assert_eq!(f.s.stats().completed, 1);
}

#[tokio::test]
async fn another_sessions_heartbeat_does_not_extend_a_lease() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut holder = f.agent(KIND, 0);
    let intruder = f.agent(KIND, 0);
    f.s.grant(holder.sid, 1, 0);
    let lease = holder.assigned().remove(0);
    let lease_ref = v1::LeaseRef {
        task_id: id,
        lease_token: lease.lease_token,
    };
    f.s.heartbeat(intruder.sid, std::slice::from_ref(&lease_ref), 900);
    f.s.tick(1_500);
    assert_eq!(
        f.state(id),
        TaskState::Ready,
        "expired: only the holder's heartbeat extends"
    );
    // the same heartbeat from the holder of the next lease does extend it
    f.s.grant(holder.sid, 1, 1_500);
    let again = holder.assigned().into_iter().find(|t| t.id == id).unwrap();
    f.s.heartbeat(
        holder.sid,
        &[v1::LeaseRef {
            task_id: id,
            lease_token: again.lease_token,
        }],
        2_400,
    );
    f.s.tick(3_000);
    assert_eq!(f.state(id), TaskState::Leased);
}

#[tokio::test]
async fn lease_tokens_are_random_and_never_listed() {
    let mut f = Fixture::new(|_| {});
    for _ in 0..50 {
        f.submit(noop(Priority::Normal), 0);
    }
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 50, 0);
    let leased = agent.assigned();
    assert_eq!(leased.len(), 50);
    let tokens: Vec<u64> = leased.iter().map(|t| t.lease_token).collect();
    assert!(tokens.iter().all(|t| *t != 0));
    let unique: std::collections::HashSet<_> = tokens.iter().collect();
    assert_eq!(unique.len(), 50);
    let steps = tokens
        .windows(2)
        .filter(|w| w[1].abs_diff(w[0]) < 1 << 32)
        .count();
    assert_eq!(steps, 0, "tokens follow each other: {tokens:?}");
    // the operator views show none of them
    for info in f.s.list(TaskState::Leased, None, 100) {
        let task = info.task.unwrap();
        assert_eq!(task.lease_token, 0, "ListTasks shows a token");
        assert!(
            task.lease_deadline_unix_ms > 0,
            "the deadline is still shown"
        );
    }
    for task in &leased {
        let info = f.s.task(task.id).unwrap();
        assert_eq!(info.task.unwrap().lease_token, 0, "GetTask shows a token");
    }
    f.complete(&agent, &leased[0], 1);
    let done = f.s.list(TaskState::Completed, None, 10);
    assert_eq!(done[0].task.as_ref().unwrap().lease_token, 0);
}

#[tokio::test]
async fn agent_error_texts_are_bounded() {
    let mut f = Fixture::new(|_| {});
    let id = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 1, 0);
    let got = agent.assigned();
    let huge = task_result::Outcome::Failure(v1::Failure {
        error: format!("bad\0{}", "x".repeat(1 << 20)),
        retryable: false,
    });
    f.result(&agent, id, got[0].lease_token, huge, 1);
    let info = f.s.task(id).unwrap();
    assert!(info.last_error.len() <= 4_096, "{}", info.last_error.len());
    assert!(!info.last_error.contains('\0'));
}

#[tokio::test]
async fn poison_schedule_names_are_refused_at_the_door() {
    let mut f = Fixture::new(|_| {});
    let schedule = |name: String| v1::Schedule {
        name,
        task: Some(noop(Priority::Normal)),
        interval_ms: 1_000,
        paused: false,
        next_run_unix_ms: 0,
    };
    for name in [
        "poll\0feed".to_string(),
        "x".repeat(3_000),
        "two\nlines".to_string(),
        String::new(),
    ] {
        let err = f.s.upsert_schedule(schedule(name.clone()), 0).unwrap_err();
        assert!(
            matches!(err, SubmitError::Invalid { .. }),
            "{name:?}: {err:?}"
        );
    }
    f.s.upsert_schedule(schedule("source:fine".into()), 0)
        .unwrap();
    f.s.flush_durable().wait().await.unwrap();
    let stored = f.store.load().await.unwrap().schedules;
    assert_eq!(stored.len(), 1, "only the valid schedule reached the store");
    assert_eq!(stored[0].name, "source:fine");
}

#[tokio::test]
async fn nothing_is_leased_while_the_persister_is_backlogged() {
    use crate::store::test_stores::GatedStore;
    let store = Arc::new(GatedStore::default());
    let (persister, _task) = Persister::start_with_limit(store.clone(), 3);
    let mut s = Scheduler::new(Settings::from(&QueenConfig::default()), persister, 1, 0);
    for _ in 0..3 {
        s.submit(vec![noop(Priority::Normal)], 0).unwrap();
        s.flush();
    }
    store.wait_blocked().await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let hello = Hello {
        agent_id: "a".into(),
        kind: KIND,
        version: "test".into(),
        capacity: 10,
        peer: String::new(),
    };
    let sid = s.register(hello, tx, 0).unwrap();
    s.grant(sid, 10, 0);
    s.tick(10);
    let assigned = |rx: &mut mpsc::UnboundedReceiver<Result<QueenMessage, tonic::Status>>| {
        let mut n = 0;
        while let Ok(Ok(m)) = rx.try_recv() {
            if let Some(queen_message::Msg::Assign(a)) = m.msg {
                n += a.tasks.len();
            }
        }
        n
    };
    assert_eq!(assigned(&mut rx), 0, "backlog full: nothing leased");
    store.open();
    s.flush_durable().wait().await.unwrap();
    s.tick(20);
    assert_eq!(assigned(&mut rx), 3, "caught up: the kind is dispatched");
}

#[tokio::test]
async fn restore_makes_leased_tasks_ready_and_keeps_dead_ones() {
    let mut f = Fixture::new(|_| {});
    let leased = f.submit(noop(Priority::Normal), 0);
    let dead = f.submit(noop(Priority::Normal), 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 2, 0);
    let got = agent.assigned();
    let d = got.iter().find(|t| t.id == dead).unwrap();
    f.result(&agent, dead, d.lease_token, failure(false), 1);
    f.s.set_paused(KIND.index().unwrap(), true, 1);
    f.s.flush_durable().wait().await.unwrap();

    let snapshot = f.store.load().await.unwrap();
    let (persister, _task) = Persister::start(f.store.clone());
    let mut restored = Scheduler::new(Settings::from(&QueenConfig::default()), persister, 2, 10);
    restored.restore(snapshot, 10);
    assert_eq!(
        TaskState::try_from(restored.task(leased).unwrap().state),
        Ok(TaskState::Ready)
    );
    assert_eq!(
        TaskState::try_from(restored.task(dead).unwrap().state),
        Ok(TaskState::Dead)
    );
    assert!(restored.is_paused(KIND.index().unwrap()));
    let fresh = restored.submit(vec![noop(Priority::Normal)], 20).unwrap();
    assert!(fresh[0].id > leased, "ids of a new epoch are larger");
}

#[tokio::test]
async fn invalid_specs_reject_the_whole_request() {
    let mut f = Fixture::new(|_| {});
    let mut untyped = noop(Priority::Normal);
    untyped.kind = 0;
    let err =
        f.s.submit(vec![noop(Priority::Normal), untyped], 0)
            .unwrap_err();
    assert!(err.to_string().contains("task 1"), "{err}");
    assert!(err.to_string().contains("explicit kind"), "{err}");
    assert_eq!(f.s.stats().submitted, 0);
    let mut empty = noop(Priority::Normal);
    empty.payload = None;
    assert!(f.s.submit(vec![empty], 0).is_err());
    let mut nul = noop(Priority::Normal);
    nul.dedup_key = "poll\0feed".into();
    let err = f.s.submit(vec![nul], 0).unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    let huge = v1::Schedule {
        name: "forever".into(),
        task: Some(noop(Priority::Normal)),
        interval_ms: u64::MAX,
        paused: false,
        next_run_unix_ms: 0,
    };
    assert!(
        f.s.upsert_schedule(huge, 0).is_err(),
        "an interval that would overflow is refused"
    );
}

#[tokio::test]
async fn dead_rows_keep_their_dedup_key() {
    let mut f = Fixture::new(|_| {});
    let mut spec = noop(Priority::Normal);
    spec.dedup_key = "k".into();
    let id = f.submit(spec, 0);
    let mut agent = f.agent(KIND, 0);
    f.s.grant(agent.sid, 1, 0);
    let got = agent.assigned();
    f.result(&agent, id, got[0].lease_token, failure(false), 1);
    f.s.flush_durable().wait().await.unwrap();
    let snapshot = f.store.load().await.unwrap();
    let row = snapshot.tasks.iter().find(|r| r.id == id as i64).unwrap();
    assert_eq!(row.dedup_key.as_deref(), Some("k"));
}
