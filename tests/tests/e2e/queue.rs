//! Scheduling order and queue semantics seen from outside.

use std::time::Duration;

use swarm_proto::Priority;
use swarm_proto::v1::{GetTaskRequest, KindRequest, SubmitTasksRequest};
use swarm_proto::{AgentKind, TaskState};
use swarm_tests::{AgentProc, QueenProc, TestDb, wait_until};

use crate::{KIND, noop, submit, wait_drained};

#[tokio::test]
async fn priority_order_holds_under_load() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    // aging far away: this test is about strict priority
    let queen = QueenProc::start(&db.url, &[("QUEEN__AGING_MS", "600000")]).await?;
    let mut admin = queen.admin().await?;
    admin
        .pause_kind(KindRequest {
            kind: AgentKind::DataQuality as i32,
        })
        .await?;
    let levels = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Critical,
    ];
    let mut specs = Vec::new();
    for i in 0..400 {
        specs.push(noop(levels[i % 4], 0, ""));
    }
    let ids = submit(&queen, specs).await?;
    let agent = AgentProc::start(&queen.addr(), KIND, "prio-1", 1, &[])?;
    admin
        .resume_kind(KindRequest {
            kind: AgentKind::DataQuality as i32,
        })
        .await?;
    // more work keeps arriving while the agent is busy
    let late = submit(
        &queen,
        (0..40).map(|_| noop(Priority::Critical, 0, "")).collect(),
    )
    .await?;
    wait_drained(&queen, Duration::from_secs(60)).await?;

    let rank_of = |id: u64| -> usize {
        if late.contains(&id) {
            return 0;
        }
        let i = ids.iter().position(|x| *x == id).expect("known id");
        3 - (i % 4)
    };
    let done = agent.completed();
    assert_eq!(done.len(), 440);
    let ranks: Vec<usize> = done.iter().map(|id| rank_of(*id)).collect();
    // The late critical tasks overtake everything not yet started, so after
    // the first few completions the ranks never go back up.
    let inversions = ranks.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(
        inversions <= 1,
        "priority inversions: {inversions}; ranks {ranks:?}"
    );
    // FIFO within a level
    let lows: Vec<u64> = done
        .iter()
        .copied()
        .filter(|id| rank_of(*id) == 3)
        .collect();
    let mut sorted = lows.clone();
    sorted.sort_unstable();
    assert_eq!(lows, sorted, "low tasks ran first-in first-out");
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn aging_lets_low_work_through_sustained_high_load() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[("QUEEN__AGING_MS", "100")]).await?;
    let agent = AgentProc::start(&queen.addr(), KIND, "aging-1", 1, &[])?;
    // warm up: the agent is connected and working
    submit(&queen, vec![noop(Priority::High, 0, "warm")]).await?;
    wait_until(Duration::from_secs(10), "warm-up task", || async {
        (!agent.completed().is_empty()).then_some(())
    })
    .await?;

    // high work arrives faster (500/s) than the agent serves it (< 400/s)
    let addr = queen.addr();
    let generator = tokio::spawn(async move {
        let mut admin = queen::client::admin(&addr).await?;
        for _ in 0..300 {
            let tasks = (0..5).map(|_| noop(Priority::High, 2, "high")).collect();
            admin.submit_tasks(SubmitTasksRequest { tasks }).await?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        anyhow::Ok(())
    });
    // the low task joins once a high backlog has built up
    tokio::time::sleep(Duration::from_millis(200)).await;
    let low = submit(&queen, vec![noop(Priority::Low, 2, "low")]).await?[0];
    wait_until(
        Duration::from_secs(20),
        "the low task to complete",
        || async { agent.completed().contains(&low).then_some(()) },
    )
    .await?;
    assert!(
        !generator.is_finished(),
        "the low task must get through while high load is still arriving"
    );
    let before_low = agent
        .completed()
        .iter()
        .position(|id| *id == low)
        .unwrap_or(0);
    assert!(
        before_low > 1,
        "high work did run first for a while ({before_low} tasks)"
    );
    generator.abort();
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn dedup_returns_the_pending_task() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let mut admin = queen.admin().await?;
    let mut spec = noop(Priority::Normal, 0, "");
    spec.dedup_key = "poll:exchange-announcements".into();
    let first = admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![spec.clone()],
        })
        .await?
        .into_inner()
        .tasks;
    let second = admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![spec.clone()],
        })
        .await?
        .into_inner()
        .tasks;
    assert!(!first[0].deduplicated);
    assert!(second[0].deduplicated);
    assert_eq!(first[0].id, second[0].id);
    let agent = AgentProc::start(&queen.addr(), KIND, "dedup-1", 2, &[])?;
    wait_drained(&queen, Duration::from_secs(20)).await?;
    assert_eq!(agent.completed(), vec![first[0].id], "ran once");
    let third = admin
        .submit_tasks(SubmitTasksRequest { tasks: vec![spec] })
        .await?
        .into_inner()
        .tasks;
    assert!(!third[0].deduplicated, "a finished task no longer dedups");
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn pause_holds_a_kind_and_resume_releases_it() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let agent = AgentProc::start(&queen.addr(), KIND, "pause-1", 4, &[])?;
    let (code, out, _) = swarm_tests::queenctl(&queen.addr(), &["pause", KIND]).await?;
    assert_eq!(code, 0);
    assert!(out.contains("paused"), "{out}");
    let id = submit(&queen, vec![noop(Priority::Critical, 0, "")]).await?[0];
    let mut admin = queen.admin().await?;
    // wait until the agent is connected so that "not leased" means "paused"
    wait_until(Duration::from_secs(10), "agent connected", || {
        let mut admin = admin.clone();
        async move {
            let agents = admin
                .list_agents(swarm_proto::v1::ListAgentsRequest {})
                .await
                .ok()?
                .into_inner();
            (!agents.agents.is_empty()).then_some(())
        }
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = admin.get_task(GetTaskRequest { id }).await?.into_inner();
    assert_eq!(
        info.state,
        TaskState::Ready as i32,
        "paused kind leases nothing"
    );
    let (code, out, _) = swarm_tests::queenctl(&queen.addr(), &["resume", KIND]).await?;
    assert_eq!(code, 0, "{out}");
    wait_drained(&queen, Duration::from_secs(10)).await?;
    assert_eq!(agent.completed(), vec![id]);
    db.drop_db().await;
    Ok(())
}
