//! Crashes and shutdowns: agents and the queen killed with SIGKILL, agents
//! drained with SIGTERM.

use std::collections::HashSet;
use std::time::Duration;

use swarm_proto::v1::{
    AgentMessage, GetTaskRequest, ResultBatch, Success, TaskResult, agent_message, queen_message,
    task_result,
};
use swarm_proto::{AgentKind, Priority, TaskState};
use swarm_tests::{AgentProc, QueenProc, TestDb, wait_until};

use crate::{KIND, noop, open_stream, submit, wait_drained, wait_task};

#[tokio::test]
async fn a_lost_agents_task_is_redelivered_and_its_late_result_rejected() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let mut admin = queen.admin().await?;
    // the victim is a raw stream, so the test knows its lease token (the
    // queen lists tokens to nobody); dropping it is what a SIGKILL does to
    // the connection
    let id = submit(&queen, vec![noop(Priority::Normal, 3_000, "slow")]).await?[0];
    let (victim, stale_token) = lease_one(&queen.addr(), "victim").await?;
    assert_ne!(stale_token, 0);
    let first = admin.get_task(GetTaskRequest { id }).await?.into_inner();
    assert_eq!(first.agent_id, "victim");
    assert_eq!(
        first.task.map(|t| t.lease_token),
        Some(0),
        "tokens are not listed"
    );
    drop(victim);

    let survivor = AgentProc::start(&queen.addr(), KIND, "survivor", 1, &[])?;
    let second = wait_task(&queen, id, "redelivery to the survivor", |t| {
        t.agent_id == "survivor"
    })
    .await?;
    let task = second.task.unwrap_or_default();
    assert_eq!(task.attempt, 2, "the killed delivery counted as an attempt");
    assert_ne!(task.lease_token, stale_token);

    // The killed holder "comes back" with its old lease token.
    let rejection = late_result(&queen.addr(), id, stale_token).await?;
    assert_eq!(rejection, "stale_lease");
    let info = admin.get_task(GetTaskRequest { id }).await?.into_inner();
    assert_eq!(
        info.state,
        TaskState::Leased as i32,
        "the stale result changed nothing"
    );

    wait_drained(&queen, Duration::from_secs(20)).await?;
    assert_eq!(survivor.completed(), vec![id]);
    let info = admin.get_task(GetTaskRequest { id }).await?.into_inner();
    assert_eq!(info.state, TaskState::Completed as i32);
    let stats = admin
        .get_stats(swarm_proto::v1::GetStatsRequest {})
        .await?
        .into_inner();
    assert_eq!(stats.completed, 1, "completed exactly once");
    assert_eq!(stats.rejected_results, 1);
    db.drop_db().await;
    Ok(())
}

/// Connects as an agent with one credit and waits for one assignment;
/// returns the open stream (drop it to "kill" the agent) and the lease
/// token.
async fn lease_one(
    addr: &str,
    agent_id: &str,
) -> anyhow::Result<(
    (
        tokio::sync::mpsc::UnboundedSender<AgentMessage>,
        tonic::Streaming<swarm_proto::v1::QueenMessage>,
    ),
    u64,
)> {
    let (tx, inbound) = open_stream(&addr.into(), agent_id, AgentKind::DataQuality, 1).await?;
    let mut inbound = inbound?;
    tx.send(AgentMessage {
        msg: Some(agent_message::Msg::Credit(swarm_proto::v1::Credit {
            credits: 1,
        })),
    })?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), inbound.message())
            .await??
            .ok_or_else(|| anyhow::anyhow!("stream ended before an assignment"))?;
        if let Some(queen_message::Msg::Assign(assign)) = msg.msg
            && let Some(task) = assign.tasks.first()
        {
            let token = task.lease_token;
            return Ok(((tx, inbound), token));
        }
    }
}

/// Connects as an agent with no credits and reports a success for `id`
/// under `token`; returns the queen's rejection reason.
async fn late_result(addr: &str, id: u64, token: u64) -> anyhow::Result<String> {
    let (tx, inbound) = open_stream(&addr.into(), "victim", AgentKind::DataQuality, 1).await?;
    let mut inbound = inbound?;
    let send = |msg| tx.send(AgentMessage { msg: Some(msg) });
    send(agent_message::Msg::Results(ResultBatch {
        results: vec![TaskResult {
            task_id: id,
            lease_token: token,
            outcome: Some(task_result::Outcome::Success(Success::default())),
            duration_ms: 1,
        }],
        credits: 0,
    }))?;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), inbound.message())
            .await??
            .ok_or_else(|| anyhow::anyhow!("stream ended without a rejection"))?;
        if let Some(queen_message::Msg::Rejected(r)) = msg.msg {
            assert_eq!(r.task_id, id);
            return Ok(r.reason);
        }
    }
}

#[tokio::test]
async fn queen_killed_and_restarted_loses_no_acknowledged_task() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let mut queen = QueenProc::start(&db.url, &[]).await?;
    let agents: Vec<AgentProc> = (0..2)
        .map(|i| AgentProc::start(&queen.addr(), KIND, &format!("crash-{i}"), 8, &[]))
        .collect::<Result<_, _>>()?;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.extend(
            submit(
                &queen,
                (0..500).map(|_| noop(Priority::Normal, 2, "")).collect(),
            )
            .await?,
        );
    }
    // crash while work is in flight
    wait_until(Duration::from_secs(20), "some progress", || async {
        let done: usize = agents.iter().map(|a| a.completed().len()).sum();
        (done >= 200).then_some(())
    })
    .await?;
    let (grpc, metrics) = (queen.grpc_port, queen.metrics_port);
    queen.kill().await;
    let done_at_crash: usize = agents.iter().map(|a| a.completed().len()).sum();
    assert!(
        done_at_crash < ids.len(),
        "the crash must interrupt the work"
    );

    let queen = QueenProc::start_on(&db.url, grpc, metrics, &[]).await?;
    // acknowledged after the restart too
    ids.extend(
        submit(
            &queen,
            (0..100).map(|_| noop(Priority::High, 0, "")).collect(),
        )
        .await?,
    );
    wait_drained(&queen, Duration::from_secs(90)).await?;
    let done: HashSet<u64> = agents.iter().flat_map(AgentProc::completed).collect();
    let missing: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| !done.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged tasks never completed: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let mut conn = db.connect().await?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(rows, 0, "every completed task left the durable queue");
    drop(conn);
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn sigterm_drains_an_agent_finish_in_flight_take_nothing_new_exit_zero() -> anyhow::Result<()>
{
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let mut admin = queen.admin().await?;
    let mut agent = AgentProc::start(&queen.addr(), KIND, "drainer", 2, &[])?;
    let running = submit(&queen, vec![noop(Priority::Normal, 1_500, "in-flight")]).await?[0];
    wait_task(&queen, running, "the task to be leased", |t| {
        t.state == TaskState::Leased as i32
    })
    .await?;
    agent.terminate();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let later = submit(&queen, vec![noop(Priority::Critical, 0, "after-sigterm")]).await?[0];
    let status = tokio::time::timeout(Duration::from_secs(15), agent.child.wait()).await??;
    assert_eq!(
        status.code(),
        Some(0),
        "drained agent exits 0; log:\n{}",
        agent.log_text()
    );
    assert_eq!(
        agent.completed(),
        vec![running],
        "finished in-flight work, took nothing new"
    );
    let info = admin
        .get_task(GetTaskRequest { id: later })
        .await?
        .into_inner();
    assert_eq!(
        info.state,
        TaskState::Ready as i32,
        "new work waits for another agent"
    );
    let info = admin
        .get_task(GetTaskRequest { id: running })
        .await?
        .into_inner();
    assert_eq!(info.state, TaskState::Completed as i32);
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn queen_sigterm_is_graceful_and_restart_resumes() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let mut queen = QueenProc::start(&db.url, &[]).await?;
    let ids = submit(
        &queen,
        (0..50).map(|_| noop(Priority::Normal, 0, "")).collect(),
    )
    .await?;
    queen.terminate();
    let status = tokio::time::timeout(Duration::from_secs(20), queen.child.wait()).await??;
    assert_eq!(status.code(), Some(0), "queen log:\n{}", queen.log_text());
    let queen = QueenProc::start_on(&db.url, queen.grpc_port, queen.metrics_port, &[]).await?;
    let agent = AgentProc::start(&queen.addr(), KIND, "after-restart", 8, &[])?;
    wait_drained(&queen, Duration::from_secs(20)).await?;
    let done: HashSet<u64> = agent.completed().into_iter().collect();
    assert!(ids.iter().all(|id| done.contains(id)));
    db.drop_db().await;
    Ok(())
}
