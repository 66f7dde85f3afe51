//! The performance optimizer with real processes: it reads poll samples
//! from the Redis Cluster and the queen's stats, and sets intervals and
//! replica recommendations through the queen's admin RPCs (also called
//! here directly: acknowledged, and an interval survives a restart).

use std::sync::atomic::Ordering;
use std::time::Duration;

use swarm_proto::AgentKind;
use swarm_proto::v1::set_schedule_interval_request::Target;
use swarm_proto::v1::{
    GetStatsRequest, ListSchedulesRequest, Noop, OptimizeSchedules, RecommendReplicasRequest,
    Schedule, SetScheduleIntervalRequest, SubmitTasksRequest, TaskPayload, TaskSpec, task_payload,
};
use swarm_tests::{
    QueenProc, TestDb, bin, free_port, http_get, metric_value, queenctl, redis_cluster_url,
    wait_until,
};
use tokio::process::{Child, Command};

use crate::reliability::{Source, scraper, source_schedule, start_queen};

/// The findings stream of one test's optimizer (hot spots).
fn findings_stream(tag: &str) -> String {
    format!("swarm:memory:{{e2e-{tag}}}:findings")
}

/// A performance-optimizer agent; returns it and its metrics URL.
fn optimizer(queen: &str, tag: &str, extra: &[&str]) -> anyhow::Result<(Child, String)> {
    let log = std::env::temp_dir().join(format!("optimizer-{:08x}.log", rand::random::<u32>()));
    let port = free_port();
    let child = Command::new(bin("performance-optimizer"))
        .args(["run", "--queen", queen, "--redis-url", &redis_cluster_url()])
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .env("SWARM_FINDINGS_STREAM", findings_stream(tag))
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .kill_on_drop(true)
        .spawn()?;
    Ok((child, format!("http://127.0.0.1:{port}/metrics")))
}

fn optimize() -> TaskSpec {
    TaskSpec {
        payload: Some(TaskPayload {
            kind: Some(task_payload::Kind::OptimizeSchedules(OptimizeSchedules {
                window_secs: 0,
            })),
        }),
        ..TaskSpec::default()
    }
}

async fn intervals(queen: &QueenProc, names: &[&str]) -> Option<Vec<u64>> {
    let mut admin = queen.admin().await.ok()?;
    let schedules = admin
        .list_schedules(ListSchedulesRequest {})
        .await
        .ok()?
        .into_inner()
        .schedules;
    names
        .iter()
        .map(|n| {
            schedules
                .iter()
                .find(|s| s.name == *n)
                .map(|s| s.interval_ms)
        })
        .collect()
}

#[tokio::test]
async fn a_busy_source_is_polled_faster_and_a_quiet_one_slower_within_bounds() -> anyhow::Result<()>
{
    let db = TestDb::create().await?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let queen = start_queen(&db, &[]).await?;
    let busy = Source::start(true).await?;
    let quiet = Source::start(true).await?;
    quiet.quiet.store(true, Ordering::SeqCst);
    let (_scraper, _) = scraper(&queen.addr(), &format!("opt-{tag}"), &[])?;
    let (_optimizer, optimizer_metrics) = optimizer(
        &queen.addr(),
        &tag,
        &[
            "--min-interval-ms",
            "200",
            "--max-interval-ms",
            "1600",
            "--min-samples",
            "3",
        ],
    )?;
    let (busy_id, quiet_id) = (format!("busy-{tag}"), format!("quiet-{tag}"));
    let mut admin = queen.admin().await?;
    admin
        .upsert_schedule(source_schedule(&busy_id, &busy.url(), 400))
        .await?;
    admin
        .upsert_schedule(source_schedule(&quiet_id, &quiet.url(), 400))
        .await?;
    admin
        .upsert_schedule(Schedule {
            name: "optimizer".into(),
            task: Some(optimize()),
            interval_ms: 700,
            ..Schedule::default()
        })
        .await?;

    let names = [format!("source:{busy_id}"), format!("source:{quiet_id}")];
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let seen = std::sync::Mutex::new(Vec::new());
    let adapted = wait_until(
        Duration::from_secs(40),
        "intervals to reach their bounds",
        || {
            let (queen, names, seen) = (&queen, &names, &seen);
            async move {
                let now = intervals(queen, names).await?;
                seen.lock().unwrap().push(now.clone());
                (now == [200, 1600]).then_some(now)
            }
        },
    )
    .await;
    let seen = seen.into_inner().unwrap();
    if let Err(e) = adapted {
        anyhow::bail!(
            "{e}; intervals seen {:?}\nqueen log:\n{}",
            seen.last(),
            queen.log_text()
        );
    }
    // on the way: the busy interval only shrank, the quiet one only grew
    assert!(
        seen.windows(2)
            .all(|w| w[1][0] <= w[0][0] && w[1][1] >= w[0][1]),
        "{seen:?}"
    );
    // and stays within the bounds on later runs
    let runs = optimizer_runs(&queen).await.unwrap_or(0);
    wait_until(
        Duration::from_secs(20),
        "two more optimizer runs",
        || async { (optimizer_runs(&queen).await? >= runs + 2).then_some(()) },
    )
    .await?;
    assert_eq!(intervals(&queen, &names).await, Some(vec![200, 1600]));
    assert!(queen.log_text().contains("poll interval adapted"));
    // hot-spot and interval gauges on the optimizer
    let m = http_get(&optimizer_metrics).await?;
    let gauge = |name: &str, id: &str| metric_value(&m, &format!(r#"{name}{{source="{id}"}}"#));
    assert_eq!(
        gauge("swarm_source_poll_interval_seconds", &busy_id),
        Some(0.2)
    );
    assert_eq!(
        gauge("swarm_source_poll_interval_seconds", &quiet_id),
        Some(1.6)
    );
    assert!(
        gauge("swarm_source_latency_p99_seconds", &busy_id).is_some_and(|s| s >= 0.0),
        "{m}"
    );
    // hot spots reported as findings: slowest sources and task kinds
    let memory = swarm_memory::RedisMemory::connect(&redis_cluster_url()).await?;
    let reports = swarm_memory::Memory::recent(&memory, &findings_stream(&tag), 50).await?;
    let hot = reports
        .iter()
        .filter_map(|d| swarm_types::Envelope::<swarm_types::Finding>::from_bytes(&d.payload).ok())
        .find_map(|e| match e.body {
            swarm_types::Finding::HotSpots(h) if !h.kinds.is_empty() => Some(h),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no hot-spot report with task kinds"))?;
    assert!(
        hot.sources
            .iter()
            .any(|(s, _)| *s == busy_id || *s == quiet_id),
        "{hot:?}"
    );
    assert!(
        hot.kinds
            .iter()
            .any(|(k, ms)| k == "scraping-specialist" && *ms >= 0.0),
        "{hot:?}"
    );
    let (code, out, err) = queenctl(&queen.addr(), &["stats"]).await?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("MS P50/P99"), "{out}");
    db.drop_db().await;
    Ok(())
}

/// Optimizer tasks completed so far.
async fn optimizer_runs(queen: &QueenProc) -> Option<u64> {
    let mut admin = queen.admin().await.ok()?;
    let stats = admin.get_stats(GetStatsRequest {}).await.ok()?.into_inner();
    stats
        .kinds
        .iter()
        .find(|k| k.kind == AgentKind::PerformanceOptimizer as i32)
        .map(|k| k.completed)
}

fn noops(n: usize) -> Vec<TaskSpec> {
    (0..n)
        .map(|i| TaskSpec {
            kind: AgentKind::KeywordPrecision as i32,
            payload: Some(TaskPayload {
                kind: Some(task_payload::Kind::Noop(Noop {
                    label: format!("backlog-{i}"),
                    ..Noop::default()
                })),
            }),
            ..TaskSpec::default()
        })
        .collect()
}

async fn recommended(queen: &QueenProc, kind: AgentKind) -> Option<u32> {
    let mut admin = queen.admin().await.ok()?;
    let stats = admin.get_stats(GetStatsRequest {}).await.ok()?.into_inner();
    Some(
        stats
            .kinds
            .iter()
            .find(|k| k.kind == kind as i32)?
            .recommended_replicas,
    )
}

#[tokio::test]
async fn a_growing_backlog_raises_the_replica_recommendation() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let queen = start_queen(&db, &[]).await?;
    let (_optimizer, _) = optimizer(
        &queen.addr(),
        &tag,
        &[
            "--drain-secs",
            "5",
            "--default-capacity",
            "4",
            "--default-service-secs",
            "1",
        ],
    )?;
    let mut admin = queen.admin().await?;
    // no keyword-precision agent runs: the backlog only grows
    admin
        .submit_tasks(SubmitTasksRequest { tasks: noops(20) })
        .await?;
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![optimize()],
        })
        .await?;
    let first = wait_until(
        Duration::from_secs(20),
        "a first recommendation",
        || async {
            recommended(&queen, AgentKind::KeywordPrecision)
                .await
                .filter(|n| *n > 0)
        },
    )
    .await?;
    // 20 tasks of 1 s to clear in 5 s = 4 busy slots × 1.25 headroom / 4 per replica
    assert_eq!(first, 2);

    admin
        .submit_tasks(SubmitTasksRequest { tasks: noops(400) })
        .await?;
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![optimize()],
        })
        .await?;
    let second = wait_until(
        Duration::from_secs(20),
        "a higher recommendation",
        || async {
            recommended(&queen, AgentKind::KeywordPrecision)
                .await
                .filter(|n| *n > first)
        },
    )
    .await?;
    assert!(
        second >= 27,
        "420 waiting tasks need at least 27 replicas, got {second}"
    );

    let gauge = r#"swarm_recommended_replicas{kind="keyword-precision"}"#;
    let url = format!("http://127.0.0.1:{}/metrics", queen.metrics_port);
    wait_until(Duration::from_secs(5), "the gauge", || async {
        let m = http_get(&url).await.ok()?;
        (metric_value(&m, gauge)? == f64::from(second)).then_some(())
    })
    .await?;
    let (code, out, err) = queenctl(&queen.addr(), &["stats"]).await?;
    assert_eq!(code, 0, "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("keyword-precision"))
        .ok_or_else(|| anyhow::anyhow!("no keyword-precision row:\n{out}"))?;
    assert!(out.contains("RECOMMENDED"), "{out}");
    assert_eq!(
        row.split_whitespace().last(),
        Some(second.to_string().as_str()),
        "{out}"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn an_interval_set_over_rpc_survives_a_restart_and_a_recommendation_is_exported()
-> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let mut queen = QueenProc::start(&db.url, &[]).await?;
    let mut admin = queen.admin().await?;
    let name = format!("nightly-{:08x}", rand::random::<u32>());
    admin
        .upsert_schedule(Schedule {
            name: name.clone(),
            task: Some(optimize()),
            interval_ms: 60_000,
            paused: true,
            ..Schedule::default()
        })
        .await?;
    let set = |target: Target, interval_ms: u64| SetScheduleIntervalRequest {
        target: Some(target),
        interval_ms,
    };
    let r = admin
        .set_schedule_interval(set(Target::Name(name.clone()), 5_000))
        .await?
        .into_inner();
    assert!(r.found, "{r:?}");
    assert_eq!((r.previous_interval_ms, r.interval_ms), (60_000, 5_000));
    assert_eq!(r.name, name);
    // by source: `source:<id>`; an unknown schedule is answered, not an error
    let r = admin
        .set_schedule_interval(set(Target::SourceId("nowhere".into()), 5_000))
        .await?
        .into_inner();
    assert!(!r.found, "{r:?}");
    assert_eq!(r.name, "source:nowhere");
    let r = admin
        .recommend_replicas(RecommendReplicasRequest {
            kind: AgentKind::DataQuality as i32,
            replicas: 3,
        })
        .await?
        .into_inner();
    assert_eq!((r.previous, r.replicas), (0, 3));
    let refused = admin
        .recommend_replicas(RecommendReplicasRequest {
            kind: AgentKind::Unspecified as i32,
            replicas: 3,
        })
        .await
        .err()
        .map(|s| s.code());
    assert_eq!(refused, Some(tonic::Code::InvalidArgument));
    assert_eq!(recommended(&queen, AgentKind::DataQuality).await, Some(3));
    let metrics = http_get(&format!("http://127.0.0.1:{}/metrics", queen.metrics_port)).await?;
    assert_eq!(
        metric_value(
            &metrics,
            r#"swarm_recommended_replicas{kind="data-quality"}"#
        ),
        Some(3.0),
        "{metrics}"
    );

    // the interval was persisted like an upsert: a new queen on the same
    // database restores it
    queen.terminate();
    queen.child.wait().await?;
    let restarted = QueenProc::start(&db.url, &[]).await?;
    let interval = intervals(&restarted, &[&name]).await;
    assert_eq!(interval, Some(vec![5_000]), "{}", restarted.log_text());
    db.drop_db().await;
    Ok(())
}
