//! Feed to event, with real processes: a loopback feed server, the queen,
//! scraping-specialist, keyword-precision, data-quality and the memory
//! coordinator, over the Redis Cluster and PostgreSQL.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use swarm_memory::Memory;
use swarm_proto::v1::{SubmitTasksRequest, TaskSpec};
use swarm_proto::{AgentKind, TaskState};
use swarm_tests::{
    CoordinatorProc, QueenProc, TestDb, redis_cluster_url, rss, specialist, wait_until,
};

async fn feed_server() -> anyhow::Result<u16> {
    let outlet_a = rss(&[
        (
            "https://a.example.test/quillnet",
            "Quillnet announces TGE for March 14, 2027",
            "Quillnet confirmed its token generation event; $QLN claims open the same day. Quillnet \
             says the event follows a year of testnet growth and a community points program.",
        ),
        (
            "https://a.example.test/orrery",
            "Orrery Labs sets token launch",
            "Orrery Labs will launch its ORY token on April 2, 2027 with a community airdrop.",
        ),
        (
            "https://a.example.test/denial",
            "Brindlewood denies token rumours",
            "Brindlewood says it has no plans for a token and warns about fake airdrop sites.",
        ),
    ]);
    let outlet_b = rss(&[(
        "https://b.example.test/q",
        "Quillnet TGE date confirmed",
        "Quillnet's token generation event is set for March 14, 2027.",
    )]);
    // a syndicated copy of outlet A's story: evidence, not corroboration
    let outlet_d = rss(&[(
        "https://d.example.test/syndicated/quillnet",
        "Quillnet announces TGE for March 14, 2027",
        "Quillnet confirmed its token generation event; $QLN claims open the same day. Quillnet \
         says the event follows a year of testnet growth and a community points program.",
    )]);
    // later news: one event postponed; a project with no event cancels
    let outlet_e = rss(&[
        (
            "https://e.example.test/orrery-delay",
            "Orrery Labs postpones its token launch",
            "Orrery Labs postponed its token launch to give exchanges more time to prepare.",
        ),
        (
            "https://e.example.test/nimbleaf",
            "Nimbleaf cancels its TGE",
            "Nimbleaf cancels its token generation event, citing market conditions.",
        ),
    ]);
    let outlet_c = rss(&[(
        "https://c.example.test/q",
        "QLN claim portal",
        "The Quillnet airdrop claim portal opens on March 14, 2027, the day of its TGE.",
    )]);
    let app = Router::new()
        .route(
            "/a.xml",
            get(move || {
                let b = outlet_a.clone();
                async move { b }
            }),
        )
        .route(
            "/b.xml",
            get(move || {
                let b = outlet_b.clone();
                async move { b }
            }),
        )
        .route(
            "/c.xml",
            get(move || {
                let b = outlet_c.clone();
                async move { b }
            }),
        )
        .route(
            "/d.xml",
            get(move || {
                let b = outlet_d.clone();
                async move { b }
            }),
        )
        .route(
            "/e.xml",
            get(move || {
                let b = outlet_e.clone();
                async move { b }
            }),
        )
        .route(
            "/broken.xml",
            get(|| async { "<rss><channel><item><title>unterminated" }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(port)
}

fn fetch(source_id: &str, url: &str) -> TaskSpec {
    TaskSpec {
        max_attempts: 2,
        ..crate::reliability::fetch(source_id, url)
    }
}

#[tokio::test]
async fn three_outlets_become_events_in_postgres_and_a_broken_feed_is_recorded()
-> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let port = feed_server().await?;
    let stream = format!(
        "swarm:memory:{{detect-{:08x}}}:stream",
        rand::random::<u32>()
    );
    let queen =
        QueenProc::start(&db.url, &[("QUEEN__DEFAULT_POLICY__BACKOFF_BASE_MS", "50")]).await?;
    let coordinator =
        CoordinatorProc::start(&redis_cluster_url(), &db.url, &stream, "detect", 30_000)?;
    let _agents = [
        specialist("scraping-specialist", &queen.addr(), &stream, &[])?,
        specialist("keyword-precision", &queen.addr(), &stream, &[])?,
        specialist("data-quality", &queen.addr(), &stream, &[])?,
    ];
    let tag = format!("{:08x}", rand::random::<u32>());
    let base = format!("http://127.0.0.1:{port}");
    let mut admin = queen.admin().await?;
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![
                fetch(&format!("outlet-a-{tag}"), &format!("{base}/a.xml")),
                fetch(&format!("outlet-b-{tag}"), &format!("{base}/b.xml")),
                fetch(&format!("outlet-c-{tag}"), &format!("{base}/c.xml")),
                fetch(&format!("outlet-d-{tag}"), &format!("{base}/d.xml")),
                fetch(&format!("broken-{tag}"), &format!("{base}/broken.xml")),
            ],
        })
        .await?;

    let mut conn = db.connect().await?;
    let query = "SELECT project, symbol, corroboration, status, event_date FROM tge_events ORDER BY project";
    type Row = (String, Option<String>, i32, String, Option<String>);
    let waited = wait_until(Duration::from_secs(60), "two events", || {
        let db = &db;
        async move {
            let mut c = db.connect().await.ok()?;
            // evidence first: an event and its evidence commit together, so
            // events read after seeing all evidence are never older than it
            let evidence: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
                .fetch_one(&mut c)
                .await
                .ok()?;
            let rows: Vec<Row> = sqlx::query_as(query).fetch_all(&mut c).await.ok()?;
            (rows.len() == 2 && evidence == 5).then_some(rows)
        }
    })
    .await;
    let events = match waited {
        Ok(rows) => rows,
        Err(e) => {
            let rows: Vec<Row> = sqlx::query_as(query).fetch_all(&mut conn).await?;
            let docs: Vec<(String, String)> =
                sqlx::query_as("SELECT source_id, title FROM documents")
                    .fetch_all(&mut conn)
                    .await?;
            let cands: Vec<(String, String)> =
                sqlx::query_as("SELECT document_id, project FROM candidates")
                    .fetch_all(&mut conn)
                    .await?;
            anyhow::bail!(
                "{e}\nevents {rows:?}\ndocuments {docs:?}\ncandidates {cands:?}\ncoordinator:\n{}",
                coordinator.log_text()
            );
        }
    };
    assert_eq!(events[0].0, "Orrery Labs");
    assert_eq!(events[0].1.as_deref(), Some("ORY"));
    assert_eq!(events[0].2, 1);
    assert_eq!(events[1].0, "Quillnet");
    assert_eq!(events[1].1.as_deref(), Some("QLN"));
    assert_eq!(
        events[1].2, 3,
        "three outlets corroborate one event; the syndicated copy does not count"
    );
    assert_eq!(events[1].4.as_deref(), Some("2027-03-14"));
    let evidence: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(
        evidence, 5,
        "one evidence row per report (the copy too); the denial is none"
    );
    let copies: Vec<(String, String)> = sqlx::query_as(
        "SELECT source_id, duplicate_of FROM evidence WHERE duplicate_of IS NOT NULL",
    )
    .fetch_all(&mut conn)
    .await?;
    assert_eq!(copies.len(), 1, "{copies:?}");
    let sources = [format!("outlet-a-{tag}"), format!("outlet-d-{tag}")];
    assert!(
        sources.contains(&copies[0].0)
            && sources.contains(&copies[0].1)
            && copies[0].0 != copies[0].1,
        "A and D carry the same story: {copies:?}"
    );
    // the feeds state no language: it is detected from the text and kept
    let languages: Vec<Option<String>> =
        sqlx::query_scalar("SELECT language FROM evidence ORDER BY finding_id")
            .fetch_all(&mut conn)
            .await?;
    assert!(
        languages.iter().all(|l| l.as_deref() == Some("en")),
        "{languages:?}"
    );
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM documents")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(
        documents, 6,
        "every item of the good feeds is stored as a document"
    );

    // a postponement changes the event's status; a cancellation of a
    // project without an event creates none
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![fetch(&format!("outlet-e-{tag}"), &format!("{base}/e.xml"))],
        })
        .await?;
    let history = wait_until(Duration::from_secs(30), "the postponement", || {
        let db = &db;
        async move {
            let mut c = db.connect().await.ok()?;
            let rows: Vec<(i32, String)> = sqlx::query_as(
                "SELECT h.version, h.status FROM event_history h JOIN tge_events e ON e.id = h.event_id
                 WHERE e.project = 'Orrery Labs' ORDER BY h.version",
            )
            .fetch_all(&mut c)
            .await
            .ok()?;
            (rows.last()?.1 == "postponed").then_some(rows)
        }
    })
    .await?;
    assert_eq!(
        history.first().map(|r| r.1.as_str()),
        Some("scheduled"),
        "{history:?}"
    );
    let (corroboration, events_now): (i32, i64) = sqlx::query_as(
        "SELECT (SELECT corroboration FROM tge_events WHERE project = 'Orrery Labs'),
                (SELECT count(*) FROM tge_events)",
    )
    .fetch_one(&mut conn)
    .await?;
    assert_eq!(corroboration, 1, "a status report is not corroboration");
    assert_eq!(
        events_now, 2,
        "the cancellation of an unknown project made no event"
    );

    // the broken feed: its fetch is dead-lettered with the reason, recorded in memory
    let dead = crate::wait_tasks(
        &queen,
        TaskState::Dead,
        AgentKind::ScrapingSpecialist,
        "the broken fetch to be dead-lettered",
    )
    .await?;
    assert_eq!(dead.len(), 1, "only the broken source fails");
    assert!(
        dead[0].last_error.contains("malformed feed"),
        "{}",
        dead[0].last_error
    );
    let memory = swarm_memory::RedisMemory::connect(&redis_cluster_url()).await?;
    let recorded = memory
        .get(&swarm_memory::layout::source_error_key(&format!(
            "broken-{tag}"
        )))
        .await?;
    assert!(recorded.is_some_and(|e| e.contains("malformed feed")));

    // fetching the same feed again finds nothing new (first-seen dedup)
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![fetch(&format!("outlet-a-{tag}"), &format!("{base}/a.xml"))],
        })
        .await?;
    crate::wait_drained_kind(
        &queen,
        AgentKind::ScrapingSpecialist,
        Duration::from_secs(20),
    )
    .await?;
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM documents")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(documents, 8);
    drop(conn);
    db.drop_db().await;
    Ok(())
}
