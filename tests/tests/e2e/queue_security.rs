//! The queue's defences seen from outside: fenced leases (no session can
//! touch another's lease, tokens are random and never listed), follow-ups
//! limited to what an agent's kind produces, and strings PostgreSQL would
//! refuse kept away from the store — and, when one gets through anyway,
//! refused alone while every other write lands.

use std::time::Duration;

use queen::persister::{NotDurable, Persister, Write};
use queen::store::{PostgresStore, ScheduleRow, Store, TaskRow};
use swarm_proto::v1::{
    AgentMessage, Credit, GetStatsRequest, GetTaskRequest, ListSchedulesRequest, ListTasksRequest,
    QueenMessage, ResultBatch, Schedule, Success, Task, TaskResult, TaskSpec, agent_message,
    queen_message, task_payload, task_result,
};
use swarm_proto::{AgentKind, Priority, TaskState};
use swarm_tests::{QueenProc, TestDb};
use tokio::sync::mpsc;

use crate::{noop, submit, wait_task};

/// An agent speaking the gateway protocol by hand.
struct RawAgent {
    tx: mpsc::UnboundedSender<AgentMessage>,
    inbound: tonic::Streaming<QueenMessage>,
}

impl RawAgent {
    async fn connect(addr: &str, kind: AgentKind, agent_id: &str) -> anyhow::Result<Self> {
        let (tx, inbound) = crate::open_stream(&addr.into(), agent_id, kind, 100).await?;
        let mut inbound = inbound?;
        match next(&mut inbound).await? {
            queen_message::Msg::Welcome(_) => Ok(Self { tx, inbound }),
            other => anyhow::bail!("expected Welcome, got {other:?}"),
        }
    }

    fn grant(&self, credits: u32) -> anyhow::Result<()> {
        Ok(self.tx.send(AgentMessage {
            msg: Some(agent_message::Msg::Credit(Credit { credits })),
        })?)
    }

    /// Waits for assignments until `n` tasks came.
    async fn assigned(&mut self, n: usize) -> anyhow::Result<Vec<Task>> {
        let mut tasks = Vec::new();
        while tasks.len() < n {
            if let queen_message::Msg::Assign(a) = next(&mut self.inbound).await? {
                tasks.extend(a.tasks);
            }
        }
        Ok(tasks)
    }

    fn succeed(&self, id: u64, token: u64, follow_ups: Vec<TaskSpec>) -> anyhow::Result<()> {
        Ok(self.tx.send(AgentMessage {
            msg: Some(agent_message::Msg::Results(ResultBatch {
                results: vec![TaskResult {
                    task_id: id,
                    lease_token: token,
                    outcome: Some(task_result::Outcome::Success(Success {
                        follow_ups,
                        summary: String::new(),
                    })),
                    duration_ms: 1,
                }],
                credits: 0,
            })),
        })?)
    }

    /// The next rejection the queen sends.
    async fn rejected(&mut self) -> anyhow::Result<swarm_proto::v1::ResultRejected> {
        loop {
            if let queen_message::Msg::Rejected(r) = next(&mut self.inbound).await? {
                return Ok(r);
            }
        }
    }
}

async fn next(inbound: &mut tonic::Streaming<QueenMessage>) -> anyhow::Result<queen_message::Msg> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), inbound.message())
            .await
            .map_err(|_| anyhow::anyhow!("no message from the queen within 10 s"))??
            .ok_or_else(|| anyhow::anyhow!("the queen closed the stream"))?;
        if let Some(msg) = message.msg {
            return Ok(msg);
        }
    }
}

#[tokio::test]
async fn another_session_cannot_complete_a_lease_even_with_its_token() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let addr = queen.addr();
    let mut holder = RawAgent::connect(&addr, AgentKind::DataQuality, "holder").await?;
    let mut intruder = RawAgent::connect(&addr, AgentKind::DataQuality, "intruder").await?;
    let id = submit(&queen, vec![noop(Priority::Normal, 0, "fenced")]).await?[0];
    holder.grant(1)?;
    let lease = holder.assigned(1).await?.remove(0);
    assert_eq!(lease.id, id);
    assert_ne!(lease.lease_token, 0);

    // the token is not in any operator view
    let mut admin = queen.admin().await?;
    let info = admin.get_task(GetTaskRequest { id }).await?.into_inner();
    assert_eq!(info.state, TaskState::Leased as i32);
    assert_eq!(info.agent_id, "holder");
    assert_eq!(info.task.as_ref().map(|t| t.lease_token), Some(0));
    let listed = admin
        .list_tasks(ListTasksRequest {
            state: TaskState::Leased as i32,
            kind: AgentKind::DataQuality as i32,
            limit: 10,
        })
        .await?
        .into_inner()
        .tasks;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].task.as_ref().map(|t| t.lease_token), Some(0));

    // another session quoting the right token changes nothing
    intruder.succeed(id, lease.lease_token, Vec::new())?;
    let rejection = intruder.rejected().await?;
    assert_eq!(rejection.task_id, id);
    assert_eq!(rejection.reason, "stale_lease");
    let info = admin.get_task(GetTaskRequest { id }).await?.into_inner();
    assert_eq!(info.state, TaskState::Leased as i32, "still the holder's");
    let stats = admin.get_stats(GetStatsRequest {}).await?.into_inner();
    assert_eq!((stats.completed, stats.rejected_results), (0, 1));

    // the holder's result counts
    holder.succeed(id, lease.lease_token, Vec::new())?;
    wait_task(&queen, id, "the holder's completion", |i| {
        i.state == TaskState::Completed as i32
    })
    .await?;

    // tokens are not a sequence: nothing to guess from one's own
    let more = submit(
        &queen,
        (0..20).map(|_| noop(Priority::Normal, 0, "")).collect(),
    )
    .await?;
    holder.grant(20)?;
    let leased = holder.assigned(more.len()).await?;
    let mut tokens: Vec<u64> = leased.iter().map(|t| t.lease_token).collect();
    tokens.push(lease.lease_token);
    assert!(tokens.iter().all(|t| *t != 0));
    let close = tokens
        .iter()
        .enumerate()
        .flat_map(|(i, a)| tokens[i + 1..].iter().map(move |b| a.abs_diff(*b)))
        .filter(|d| *d < 1 << 32)
        .count();
    assert_eq!(close, 0, "tokens close to each other: {tokens:?}");
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn follow_ups_outside_an_agents_role_are_dropped() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let mut agent =
        RawAgent::connect(&queen.addr(), AgentKind::KeywordPrecision, "compromised").await?;
    let mut spec = noop(Priority::Normal, 0, "classify");
    spec.kind = AgentKind::KeywordPrecision as i32;
    let id = submit(&queen, vec![spec]).await?[0];
    agent.grant(1)?;
    let lease = agent.assigned(1).await?.remove(0);
    let validate = || {
        TaskSpec::routed(task_payload::Kind::ValidateCandidate(
            swarm_proto::v1::ValidateCandidate {
                candidate_id: "c-1".into(),
                ..Default::default()
            },
        ))
    };
    let mut misrouted = validate();
    misrouted.kind = AgentKind::ScrapingSpecialist as i32;
    let follow_ups = vec![
        validate(), // what keyword-precision produces
        TaskSpec::routed(task_payload::Kind::FetchSource(Default::default())),
        TaskSpec::routed(task_payload::Kind::DeliverAlert(Default::default())),
        noop(Priority::Critical, 60_000, "occupy data-quality"),
        misrouted,
    ];
    agent.succeed(id, lease.lease_token, follow_ups)?;
    wait_task(&queen, id, "the task to complete", |i| {
        i.state == TaskState::Completed as i32
    })
    .await?;
    let mut admin = queen.admin().await?;
    let stats = admin.get_stats(GetStatsRequest {}).await?.into_inner();
    assert_eq!(stats.submitted, 2, "the task and its one valid follow-up");
    let live = admin
        .list_tasks(ListTasksRequest {
            state: TaskState::Unspecified as i32,
            kind: AgentKind::Unspecified as i32,
            limit: 10,
        })
        .await?
        .into_inner()
        .tasks;
    assert_eq!(live.len(), 1, "{live:?}");
    let spec = live[0].task.as_ref().and_then(|t| t.spec.as_ref());
    assert_eq!(spec.map(|s| s.kind), Some(AgentKind::DataQuality as i32));
    assert!(matches!(
        spec.and_then(|s| s.payload.as_ref()).and_then(|p| p.kind.as_ref()),
        Some(task_payload::Kind::ValidateCandidate(v)) if v.candidate_id == "c-1"
    ));
    db.drop_db().await;
    Ok(())
}

/// `n` random hex digits: text PostgreSQL cannot compress below `n / 2` bytes.
fn random_hex(n: usize) -> String {
    (0..n.div_ceil(16))
        .map(|_| format!("{:016x}", rand::random::<u64>()))
        .collect::<String>()[..n]
        .to_string()
}

#[tokio::test]
async fn a_poison_schedule_name_is_refused_and_the_queue_keeps_committing() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let mut admin = queen.admin().await?;
    let schedule = |name: String| Schedule {
        name,
        task: Some(noop(Priority::Normal, 0, "scheduled")),
        interval_ms: 60_000,
        paused: true,
        next_run_unix_ms: 0,
    };
    for name in ["poll\0feed".to_string(), random_hex(8_000)] {
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            admin.upsert_schedule(schedule(name)),
        )
        .await
        .map_err(|_| anyhow::anyhow!("the upsert hangs: the write reached the persister"))?;
        let status = answer.expect_err("a poison name is refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    }
    // the queue still commits
    let submitted = tokio::time::timeout(
        Duration::from_secs(10),
        submit(&queen, vec![noop(Priority::Normal, 0, "after")]),
    )
    .await
    .map_err(|_| anyhow::anyhow!("submits hang after a poison name"))??;
    assert_eq!(submitted.len(), 1);
    admin
        .upsert_schedule(schedule("source:fine".into()))
        .await?;
    let names: Vec<String> = admin
        .list_schedules(ListSchedulesRequest {})
        .await?
        .into_inner()
        .schedules
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["source:fine".to_string()]);
    db.drop_db().await;
    Ok(())
}

fn task_row(id: i64) -> TaskRow {
    TaskRow {
        id,
        kind: AgentKind::DataQuality as i16,
        priority: Priority::Normal as i16,
        state: 0,
        attempts: 0,
        max_attempts: 3,
        run_at_ms: 0,
        created_ms: 0,
        dedup_key: None,
        spec: vec![0x0a, 0x00],
        last_error: None,
    }
}

fn schedule_row(name: String) -> Write {
    Write::ScheduleUpsert(ScheduleRow {
        name,
        spec: vec![],
        interval_ms: 1_000,
        paused: false,
        next_run_ms: 0,
    })
}

#[tokio::test]
async fn writes_postgres_refuses_are_dropped_alone_and_the_rest_lands() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let store = std::sync::Arc::new(PostgresStore::connect(&db.url).await?);
    let (persister, _writer) = Persister::start(store.clone());
    // queued before the writer runs: one batch; two writes past validation
    // that PostgreSQL refuses (a NUL in text, a key too long for its index)
    let first = persister.send_durable(vec![
        Write::Insert(task_row(1)),
        schedule_row("ok-a".into()),
    ]);
    let nul = persister.send_durable(vec![schedule_row("bad\0name".into())]);
    let long = persister.send_durable(vec![
        Write::Insert(task_row(2)),
        schedule_row(random_hex(8_000)),
    ]);
    let last = persister.send_durable(vec![
        Write::Insert(task_row(3)),
        Write::Delete(1),
        schedule_row("ok-b".into()),
    ]);
    let (first, nul, long, last) = tokio::time::timeout(Duration::from_secs(30), async {
        (
            first.wait().await,
            nul.wait().await,
            long.wait().await,
            last.wait().await,
        )
    })
    .await
    .map_err(|_| anyhow::anyhow!("a refused write blocks the persister"))?;
    assert_eq!(first, Ok(()));
    assert!(matches!(nul, Err(NotDurable::Refused(_))), "{nul:?}");
    assert!(matches!(long, Err(NotDurable::Refused(_))), "{long:?}");
    assert_eq!(last, Ok(()));
    let snapshot = store.load().await?;
    let ids: Vec<i64> = snapshot.tasks.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![2, 3], "the refused envelope's other write landed");
    let names: Vec<&str> = snapshot.schedules.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["ok-a", "ok-b"]);
    // and the next write is not held up
    let next = persister.send_durable(vec![Write::Delete(2)]);
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), next.wait()).await?,
        Ok(())
    );
    assert_eq!(store.load().await?.tasks.len(), 1);
    assert_eq!(persister.backlog().queued(), 0);
    drop(persister);
    db.drop_db().await;
    Ok(())
}
