//! Source circuit breakers with real processes: a loopback source that
//! fails, the queen (honouring breakers through the Redis Cluster) and
//! scraping-specialist replicas sharing one breaker per source.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use swarm_memory::RedisMemory;
use swarm_memory::reliability::{Phase, shared};
use swarm_proto::AgentKind;
use swarm_proto::TaskState;
use swarm_proto::v1::{
    FetchSource, ProbeSource, Schedule, SubmitTasksRequest, TaskPayload, TaskSpec, task_payload,
};
use swarm_tests::{
    QueenProc, TestDb, bin, free_port, http_get, metric_value, redis_cluster_url, wait_until,
};
use tokio::process::{Child, Command};

/// A loopback feed: answers 500 while unhealthy, counts every request;
/// a busy feed has a new item on every request, a quiet one always the same.
pub struct Source {
    pub port: u16,
    pub hits: Arc<AtomicUsize>,
    pub healthy: Arc<AtomicBool>,
    pub quiet: Arc<AtomicBool>,
}

impl Source {
    pub async fn start(healthy: bool) -> anyhow::Result<Self> {
        let hits = Arc::new(AtomicUsize::new(0));
        let up = Arc::new(AtomicBool::new(healthy));
        let quiet = Arc::new(AtomicBool::new(false));
        let (h, u, q) = (hits.clone(), up.clone(), quiet.clone());
        let app = Router::new().route(
            "/feed.xml",
            get(move || {
                let (h, u, q) = (h.clone(), u.clone(), q.clone());
                async move {
                    let mut n = h.fetch_add(1, Ordering::SeqCst);
                    if q.load(Ordering::SeqCst) {
                        n = 0;
                    }
                    if !u.load(Ordering::SeqCst) {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "upstream down".to_string());
                    }
                    let item = format!(
                        "<item><guid>https://flaky.example.test/{n}</guid><link>https://flaky.example.test/{n}</link><title>Post {n}</title><description>Weekly notes {n}</description></item>"
                    );
                    (
                        StatusCode::OK,
                        format!(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>flaky</title>{item}</channel></rss>"#),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            port,
            hits,
            healthy: up,
            quiet,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/feed.xml", self.port)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A scraping-specialist replica on the test cluster; returns it and its
/// metrics URL.
pub fn scraper(queen: &str, id: &str, extra: &[&str]) -> anyhow::Result<(Child, String)> {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("scraper-{id}-{:08x}.log", rand::random::<u32>()));
    let child = Command::new(bin("scraping-specialist"))
        .args([
            "run",
            "--queen",
            queen,
            "--redis-url",
            &redis_cluster_url(),
            "--id",
            id,
        ])
        .args(["--capacity", "1", "--host-rate", "200"])
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .env(
            "SWARM_FINDINGS_STREAM",
            format!("swarm:memory:{{rel-{id}}}:stream"),
        )
        // the sources are on loopback: allow-listed (refused by default)
        .env("SWARM_OUTBOUND_ALLOW", "127.0.0.1/32")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .kill_on_drop(true)
        .spawn()?;
    Ok((child, format!("http://127.0.0.1:{port}/metrics")))
}

/// A `FetchSource` task for `source_id` at `url`.
pub fn fetch(source_id: &str, url: &str) -> TaskSpec {
    TaskSpec {
        payload: Some(TaskPayload {
            kind: Some(task_payload::Kind::FetchSource(FetchSource {
                source_id: source_id.into(),
                url: url.into(),
                source_kind: "rss".into(),
                ..FetchSource::default()
            })),
        }),
        ..TaskSpec::default()
    }
}

/// The poll schedule of a source, by the `source:<id>` convention.
pub fn source_schedule(source_id: &str, url: &str, interval_ms: u64) -> Schedule {
    Schedule {
        name: format!("source:{source_id}"),
        task: Some(fetch(source_id, url)),
        interval_ms,
        ..Schedule::default()
    }
}

/// Queen settings: breakers and commands through the test cluster, one
/// attempt per fetch (each poll is one request to the source).
pub fn queen_env(redis: &str) -> Vec<(&'static str, String)> {
    vec![
        ("QUEEN__MEMORY_URL", redis.to_string()),
        ("QUEEN__BREAKER_REFRESH_MS", "50".into()),
        (
            "QUEEN__KINDS__SCRAPING_SPECIALIST__MAX_ATTEMPTS",
            "1".into(),
        ),
    ]
}

pub async fn start_queen(db: &TestDb, extra: &[(&str, &str)]) -> anyhow::Result<QueenProc> {
    let redis = redis_cluster_url();
    let env = queen_env(&redis);
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra);
    QueenProc::start(&db.url, &all).await
}

async fn breaker_phase(memory: &RedisMemory, source: &str) -> Option<(Phase, u64)> {
    let (_, state) = shared::read(memory, source).await.ok()?;
    Some((state.phase_at(swarm_common::time::now_ms()), state.opened))
}

#[tokio::test]
async fn a_failing_source_opens_its_breaker_polls_stop_and_a_probe_closes_it() -> anyhow::Result<()>
{
    let db = TestDb::create().await?;
    let source = Source::start(false).await?;
    let id = format!("flaky-{:08x}", rand::random::<u32>());
    let queen = start_queen(&db, &[]).await?;
    let breaker = [
        "--breaker-failures",
        "3",
        "--breaker-cooldown-ms",
        "2000",
        "--breaker-min-calls",
        "100",
    ];
    let (_a, _) = scraper(&queen.addr(), &format!("{id}-a"), &breaker)?;
    let (_b, _) = scraper(&queen.addr(), &format!("{id}-b"), &breaker)?;
    let mut admin = queen.admin().await?;
    admin
        .upsert_schedule(source_schedule(&id, &source.url(), 150))
        .await?;
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;

    wait_until(Duration::from_secs(20), "the breaker to open", || async {
        (breaker_phase(&memory, &id).await? == (Phase::Open, 1)).then_some(())
    })
    .await?;
    assert_eq!(source.hits(), 3, "three failures in a row open the breaker");

    // open: the queen holds the polls (it skips several), nothing reaches the source
    let metrics_url = format!("http://127.0.0.1:{}/metrics", queen.metrics_port);
    let skipped = wait_until(Duration::from_secs(10), "three skipped polls", || async {
        let metrics = http_get(&metrics_url).await.ok()?;
        metric_value(
            &metrics,
            r#"swarm_polls_skipped_total{reason="breaker_open"}"#,
        )
        .filter(|n| *n >= 3.0)
    })
    .await?;
    assert!(skipped >= 3.0, "the queen skipped the schedule ({skipped})");
    assert_eq!(source.hits(), 3, "no poll while the breaker is open");

    // the source recovers; after the cool-down one probe closes the breaker
    source.healthy.store(true, Ordering::SeqCst);
    wait_until(
        Duration::from_secs(10),
        "the probe to close the breaker",
        || async { (breaker_phase(&memory, &id).await? == (Phase::Closed, 1)).then_some(()) },
    )
    .await?;
    // the first request after the cool-down (the probe) closed it: the
    // breaker never reopened (a second probe would only follow a failure)
    let after_probe = source.hits();
    assert!(after_probe >= 4, "{after_probe}");
    wait_until(Duration::from_secs(10), "polls to resume", || async {
        (source.hits() >= after_probe + 3).then_some(())
    })
    .await?;
    let log = queen.log_text();
    for line in [
        "source breaker open: polls held",
        "source breaker half-open",
        "source breaker closed: polls resume",
    ] {
        assert!(log.contains(line), "queen log lacks `{line}`:\n{log}");
    }
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn two_scraper_replicas_share_one_breaker() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let source = Source::start(false).await?;
    let id = format!("down-{:08x}", rand::random::<u32>());
    let queen = start_queen(&db, &[]).await?;
    let breaker = [
        "--breaker-failures",
        "4",
        "--breaker-cooldown-ms",
        "60000",
        "--breaker-min-calls",
        "100",
    ];
    let (_a, metrics_a) = scraper(&queen.addr(), &format!("{id}-a"), &breaker)?;
    let (_b, metrics_b) = scraper(&queen.addr(), &format!("{id}-b"), &breaker)?;
    wait_until(
        Duration::from_secs(20),
        "both replicas to connect",
        || async {
            let mut admin = queen.admin().await.ok()?;
            let stats = admin
                .get_stats(swarm_proto::v1::GetStatsRequest {})
                .await
                .ok()?
                .into_inner();
            let k = stats
                .kinds
                .iter()
                .find(|k| k.kind == AgentKind::ScrapingSpecialist as i32)?;
            (k.agents == 2).then_some(())
        },
    )
    .await?;
    let tasks: Vec<TaskSpec> = (0..16)
        .map(|i| TaskSpec {
            dedup_key: format!("{id}-{i}"),
            ..fetch(&id, &source.url())
        })
        .collect();
    queen
        .admin()
        .await?
        .submit_tasks(SubmitTasksRequest { tasks })
        .await?;
    crate::wait_drained_kind(
        &queen,
        AgentKind::ScrapingSpecialist,
        Duration::from_secs(30),
    )
    .await?;

    // four failures in total open it, whichever replica saw them; at most
    // one more request was already in flight on the other replica
    let hits = source.hits();
    assert!(
        (4..=5).contains(&hits),
        "{hits} requests reached the failing source"
    );
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    assert_eq!(breaker_phase(&memory, &id).await, Some((Phase::Open, 1)));
    let mut skips = 0.0;
    let mut fetched = 0.0;
    for url in [&metrics_a, &metrics_b] {
        let m = http_get(url).await?;
        let s = metric_value(&m, "swarm_scrape_breaker_skips_total").unwrap_or(0.0);
        let f = metric_value(
            &m,
            r#"swarm_scrape_fetch_outcomes_total{outcome="failure"}"#,
        )
        .unwrap_or(0.0);
        assert!(s + f > 0.0, "each replica ran some of the tasks");
        skips += s;
        fetched += f;
    }
    assert_eq!(fetched as usize, hits);
    assert_eq!(
        (skips + fetched) as usize,
        16,
        "every task either fetched or skipped"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn source_probes_track_latency_and_feed_the_shared_breaker() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let source = Source::start(false).await?;
    let id = format!("probed-{:08x}", rand::random::<u32>());
    let queen = QueenProc::start(&db.url, &[]).await?;
    let breaker = ["--breaker-failures", "2", "--breaker-cooldown-ms", "60000"];
    let (_agent, _) = crate::alerts::alert_agent(&queen.addr(), "unused", "", &breaker)?;
    let mut admin = queen.admin().await?;
    for i in 0..3 {
        let spec = TaskSpec {
            payload: Some(TaskPayload {
                kind: Some(task_payload::Kind::ProbeSource(ProbeSource {
                    source_id: id.clone(),
                    url: source.url(),
                })),
            }),
            dedup_key: format!("{id}-probe-{i}"),
            ..TaskSpec::default()
        };
        let task = admin
            .submit_tasks(SubmitTasksRequest { tasks: vec![spec] })
            .await?
            .into_inner()
            .tasks[0]
            .id;
        crate::wait_task(&queen, task, "the probe", |t| {
            t.state == TaskState::Completed as i32
        })
        .await?;
    }
    // two failing probes open the breaker; the third is not made
    assert_eq!(source.hits(), 2);
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    assert_eq!(breaker_phase(&memory, &id).await, Some((Phase::Open, 1)));
    let recorded = swarm_memory::reliability::samples::recent(&memory, &id, 10).await?;
    assert_eq!(recorded.len(), 2, "one latency sample per probe made");
    assert!(recorded.iter().all(|s| !s.success));
    db.drop_db().await;
    Ok(())
}
