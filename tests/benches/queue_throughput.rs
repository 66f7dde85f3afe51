//! End-to-end queue benchmark: a durable queen (PostgreSQL) and five agent
//! processes (one per kind) on loopback running no-op tasks.
//!
//! Phases:
//! 1. bulk — `BENCH_TASKS` (default 100,000) tasks submitted in batches of
//!    5,000 by 4 concurrent clients; reports enqueue and processed tasks/s;
//! 2. trickle — 2,000 tasks submitted one per request at 500/s on an idle
//!    system; reports p50/p99 from the start of the submit call to the
//!    agent finishing the task;
//! 3. memory — peak RSS (VmHWM) of the queen and of the agents.
//!
//! Run: `infra/dev/bench.sh` (builds release binaries first).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use swarm_proto::names::AGENT_KINDS;
use swarm_proto::v1::{
    GetStatsRequest, ListAgentsRequest, Noop, SubmitTasksRequest, TaskPayload, TaskSpec,
    task_payload,
};
use swarm_proto::{AgentKind, Priority};
use swarm_tests::{AgentProc, QueenProc, TestDb, http_get, metric_value, wait_until};

fn spec(kind: AgentKind) -> TaskSpec {
    TaskSpec {
        kind: kind as i32,
        payload: Some(TaskPayload {
            kind: Some(task_payload::Kind::Noop(Noop::default())),
        }),
        priority: Priority::Normal as i32,
        ..Default::default()
    }
}

fn unix_micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

fn peak_rss_mib(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return 0.0 };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn completed(queen: &QueenProc) -> anyhow::Result<u64> {
    Ok(queen
        .admin()
        .await?
        .get_stats(GetStatsRequest {})
        .await?
        .into_inner()
        .completed)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total: usize = std::env::var("BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let capacity: u32 = std::env::var("BENCH_CAPACITY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[("RUST_LOG", "warn")]).await?;
    let agents: Vec<AgentProc> = AGENT_KINDS
        .iter()
        .map(|k| {
            AgentProc::start(
                &queen.addr(),
                k.name(),
                &format!("bench-{}", k.name()),
                capacity,
                &[],
            )
        })
        .collect::<Result<_, _>>()?;
    let mut admin = queen.admin().await?;
    wait_until(Duration::from_secs(20), "five agents", || {
        let mut admin = admin.clone();
        async move {
            (admin
                .list_agents(ListAgentsRequest {})
                .await
                .ok()?
                .into_inner()
                .agents
                .len()
                == 5)
                .then_some(())
        }
    })
    .await?;

    // 1. bulk
    let started = Instant::now();
    let clients = 4;
    let mut handles = Vec::new();
    for c in 0..clients {
        let addr = queen.addr();
        let share = total / clients + usize::from(c < total % clients);
        handles.push(tokio::spawn(async move {
            let mut admin = queen::client::admin(&addr).await?;
            let mut left = share;
            let mut k = c;
            while left > 0 {
                let n = left.min(5_000);
                let tasks = (0..n).map(|i| spec(AGENT_KINDS[(k + i) % 5])).collect();
                admin.submit_tasks(SubmitTasksRequest { tasks }).await?;
                left -= n;
                k += 1;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let enqueued_in = started.elapsed();
    loop {
        if completed(&queen).await? >= total as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let processed_in = started.elapsed();
    let exposition = http_get(&format!("http://127.0.0.1:{}/metrics", queen.metrics_port)).await?;
    let writes = metric_value(&exposition, "swarm_persist_writes_total").unwrap_or(0.0);
    let rows = metric_value(&exposition, "swarm_persist_batch_rows_sum").unwrap_or(0.0);
    let commits = metric_value(&exposition, "swarm_persist_batch_rows_count").unwrap_or(0.0);

    // 2. trickle
    let before = completed(&queen).await?;
    let mut submitted_at: HashMap<u64, u128> = HashMap::new();
    let mut ack_ms: Vec<f64> = Vec::new();
    let trickle = 2_000;
    let trickle_started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    for i in 0..trickle {
        tick.tick().await;
        let t = unix_micros();
        let asked = Instant::now();
        let r = admin
            .submit_tasks(SubmitTasksRequest {
                tasks: vec![spec(AGENT_KINDS[i % 5])],
            })
            .await?
            .into_inner();
        ack_ms.push(asked.elapsed().as_secs_f64() * 1000.0);
        submitted_at.insert(r.tasks[0].id, t);
    }
    wait_until(Duration::from_secs(60), "trickle tasks", || {
        let queen = &queen;
        async move { (completed(queen).await.ok()? >= before + trickle as u64).then_some(()) }
    })
    .await?;
    let mut latencies: Vec<f64> = agents
        .iter()
        .flat_map(AgentProc::completions)
        .filter_map(|(id, done)| {
            submitted_at
                .get(&id)
                .map(|s| (done.saturating_sub(*s)) as f64 / 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    ack_ms.sort_by(f64::total_cmp);

    let trickle_rate = trickle as f64 / trickle_started.elapsed().as_secs_f64();

    // 3. memory
    let queen_rss = peak_rss_mib(queen.child.id());
    let agents_rss: f64 = agents.iter().map(|a| peak_rss_mib(a.child.id())).sum();

    println!(
        "queue_throughput: durable queen (PostgreSQL), 5 agent processes (capacity {capacity}), no-op tasks, loopback"
    );
    println!("  bulk tasks               {total}");
    println!(
        "  enqueue                  {:>10.0} tasks/s ({:.2} s)",
        total as f64 / enqueued_in.as_secs_f64(),
        enqueued_in.as_secs_f64()
    );
    println!(
        "  processed                {:>10.0} tasks/s ({:.2} s, submit start -> last completion)",
        total as f64 / processed_in.as_secs_f64(),
        processed_in.as_secs_f64()
    );
    let folded = if writes > 0.0 {
        100.0 * (1.0 - rows / writes)
    } else {
        0.0
    };
    println!(
        "  group commit             {commits:.0} commits, {writes:.0} state changes -> {rows:.0} row writes ({folded:.0}% folded away)"
    );
    println!(
        "  trickle 500/s, {} tasks latency submit -> agent done: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    println!(
        "  trickle durable submit ack: p50 {:.2} ms  p99 {:.2} ms  (achieved {trickle_rate:.0} submits/s)",
        percentile(&ack_ms, 0.5),
        percentile(&ack_ms, 0.99)
    );
    println!(
        "  peak RSS                 queen {queen_rss:.1} MiB, five agents {agents_rss:.1} MiB, together {:.1} MiB",
        queen_rss + agents_rss
    );
    drop(agents);
    drop(queen);
    db.drop_db().await;
    Ok(())
}
