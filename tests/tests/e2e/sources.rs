//! Configured sources of every kind, end to end with real processes: the
//! queen reads `[sources.*]` from its environment and polls them; the
//! scraper reads RSS, an HTML page (CSS selectors), a JSON API (pointer
//! mapping), X recent search (bearer token, `since_id` cursor) and a
//! WebSocket push stream; robots.txt is honoured. A headline-only feed item
//! is read from the page it links to (robots.txt honoured there too). A new
//! feed item becomes an event in PostgreSQL within two poll intervals.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use futures_util::SinkExt;
use swarm_tests::{
    CoordinatorProc, QueenProc, TestDb, redis_cluster_url, rss, specialist, wait_until,
};
use tokio_tungstenite::tungstenite::Message;

/// Poll interval of the configured sources.
const INTERVAL_MS: u64 = 3_000;

#[derive(Default)]
struct Site {
    /// RSS items (link, title, text) published so far.
    news: Mutex<Vec<(String, String, String)>>,
    /// (`since_id`, `pagination_token`) of each request to the fake X API.
    x_since: Mutex<Vec<(Option<String>, Option<String>)>>,
    /// Requests to the robots-disallowed paths (must stay 0).
    private_hits: Mutex<u32>,
}

const EXCHANGE_PAGE: &str = r#"<html><body><ul>
  <li class="notice"><a href="/notices/88"><h3>Will list Kestrel Finance (KSTL) at its token launch</h3></a>
    <p class="lede">Kestrel Finance's KSTL token goes live at TGE on May 20, 2027, with deposits opening an hour before.</p></li>
  <li class="notice"><a href="/notices/87"><h3>Scheduled wallet maintenance</h3></a><p class="lede">Withdrawals pause for two hours.</p></li>
</ul></body></html>"#;

/// The page a headline-only feed item links to: the project is named only here.
const ARTICLE: &str = r#"<html><body><nav><a href="/">Home</a> <a href="/airdrops">Airdrops</a></nav>
<article><h1>This week in launches</h1>
<p>Fernhollow Protocol will hold its token generation event on August 12, 2027; FHW claims open the same day.</p>
</article><footer>Newsletter</footer></body></html>"#;

const NEWS_API: &str = r#"{"data":{"articles":[
  {"code":"br-1","title":"Brackenridge Protocol TGE scheduled","web":"https://api-news.example.test/br-1",
   "body":"The Brackenridge Protocol token generation event is scheduled for July 8, 2027, and BRK will be claimable by early users.",
   "released":"2026-11-30T08:00:00Z"},
  {"code":"mw-1","title":"Market wrap","body":"Bitcoin steady as traders watch macro data."}
]}}"#;

async fn x_search(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> (StatusCode, String) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer test-token") {
        return (
            StatusCode::UNAUTHORIZED,
            r#"{"title":"Unauthorized"}"#.into(),
        );
    }
    site.x_since.lock().unwrap().push((
        q.get("since_id").cloned(),
        q.get("pagination_token").cloned(),
    ));
    if q.contains_key("since_id") {
        return (StatusCode::OK, r#"{"meta":{"result_count":0}}"#.into());
    }
    if q.get("pagination_token").map(String::as_str) == Some("older-1") {
        // the second page: older posts of the same burst
        let body = r#"{"data":[
          {"id":"1865999999999999990","text":"The Marshlight airdrop claim is live now: $MRSH token generation event happening today.","created_at":"2026-12-01T10:00:00.000Z"}
        ],"meta":{"result_count":1}}"#;
        return (StatusCode::OK, body.into());
    }
    let body = r#"{"data":[
      {"id":"1866000000000000002","text":"The Tollgate Network airdrop claim is live now: $TOLL token generation event happening today.","created_at":"2026-12-01T12:00:00.000Z"},
      {"id":"1866000000000000001","text":"gm to everyone building this week","created_at":"2026-12-01T11:00:00.000Z"}
    ],"meta":{"newest_id":"1866000000000000002","next_token":"older-1"}}"#;
    (StatusCode::OK, body.into())
}

async fn site_server(site: Arc<Site>) -> anyhow::Result<u16> {
    let app = Router::new()
        .route(
            "/news.xml",
            get(|State(site): State<Arc<Site>>| async move { rss(&site.news.lock().unwrap()) }),
        )
        .route("/exchange/announcements", get(|| async { EXCHANGE_PAGE }))
        .route(
            "/articles/launches",
            get(|| async { ([("content-type", "text/html")], ARTICLE) }),
        )
        .route("/api/news", get(|| async { NEWS_API }))
        .route("/2/tweets/search/recent", get(x_search))
        .route(
            "/robots.txt",
            get(|| async { "User-agent: *\nDisallow: /private/\n" }),
        )
        .route(
            "/private/article",
            get(|State(site): State<Arc<Site>>| async move {
                *site.private_hits.lock().unwrap() += 1;
                ([("content-type", "text/html")], ARTICLE)
            }),
        )
        .route(
            "/private/feed.xml",
            get(|State(site): State<Arc<Site>>| async move {
                *site.private_hits.lock().unwrap() += 1;
                rss::<&str>(&[])
            }),
        )
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(port)
}

/// A WebSocket announcement stream: on each connection, a bad message,
/// then one listing announcement, then silence.
async fn push_server() -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = ws.send(Message::text("{not json")).await;
                let announcement = r#"{"event":"listing","payload":{"uid":"opw-1","headline":"New listing: Opalwave (OPW)","detail":"Opalwave's token generation event is today; OPW trading opens at 12:00 UTC.","ts":1796126400}}"#;
                let _ = ws.send(Message::text(announcement)).await;
                tokio::time::sleep(Duration::from_secs(120)).await;
            });
        }
    });
    Ok(port)
}

type Event = (String, Option<String>, String);

async fn events(db: &TestDb) -> Vec<Event> {
    let Ok(mut c) = db.connect().await else {
        return Vec::new();
    };
    sqlx::query_as("SELECT project, symbol, event_date FROM tge_events ORDER BY project")
        .fetch_all(&mut c)
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn configured_sources_of_every_kind_become_events() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let site = Arc::new(Site::default());
    site.news.lock().unwrap().push((
        "https://velmora-news.example.test/weekly".into(),
        "Weekly ecosystem digest".into(),
        "Grants, hackathons and a new documentation site.".into(),
    ));
    let port = site_server(site.clone()).await?;
    let ws_port = push_server().await?;
    let base = format!("http://127.0.0.1:{port}");
    // headlines only: the first links to its story, the second to a page
    // robots.txt forbids (its project must not be found)
    site.news.lock().unwrap().extend([
        (
            format!("{base}/articles/launches"),
            "This week in launches".to_string(),
            String::new(),
        ),
        (
            format!("{base}/private/article"),
            "Members-only briefing".to_string(),
            String::new(),
        ),
    ]);
    let tag = format!("{:08x}", rand::random::<u32>());
    let stream = format!("swarm:memory:{{sources-{tag}}}:stream");
    let interval = INTERVAL_MS.to_string();
    let src = |id: &str, key: &str| format!("QUEEN__SOURCES__{id}-{tag}__{key}");
    let mut env: Vec<(String, String)> = vec![
        (src("NEWS", "KIND"), "rss".into()),
        (src("NEWS", "URL"), format!("{base}/news.xml")),
        (src("NEWS", "INTERVAL_MS"), interval.clone()),
        (src("EXCHANGE", "KIND"), "html".into()),
        (
            src("EXCHANGE", "URL"),
            format!("{base}/exchange/announcements"),
        ),
        (src("EXCHANGE", "HTML__ITEM"), "li.notice".into()),
        (src("EXCHANGE", "HTML__TITLE"), "h3".into()),
        (src("EXCHANGE", "HTML__TEXT"), "p.lede".into()),
        (src("API", "KIND"), "json_api".into()),
        (src("API", "URL"), format!("{base}/api/news")),
        (src("API", "JSON__ITEMS"), "/data/articles".into()),
        (src("API", "JSON__ID"), "/code".into()),
        (src("API", "JSON__TITLE"), "/title".into()),
        (src("API", "JSON__URL"), "/web".into()),
        (src("API", "JSON__TEXT"), "/body".into()),
        (src("API", "JSON__PUBLISHED"), "/released".into()),
        (src("X", "KIND"), "x_search".into()),
        (src("X", "URL"), format!("{base}/2/tweets/search/recent")),
        (src("X", "QUERY"), "\"claim is live\" OR TGE".into()),
        (src("X", "INTERVAL_MS"), interval.clone()),
        (src("PUSH", "KIND"), "websocket".into()),
        (
            src("PUSH", "URL"),
            format!("ws://127.0.0.1:{ws_port}/stream"),
        ),
        (src("PUSH", "JSON__ITEMS"), "/payload".into()),
        (src("PUSH", "JSON__ID"), "/uid".into()),
        (src("PUSH", "JSON__TITLE"), "/headline".into()),
        (src("PUSH", "JSON__TEXT"), "/detail".into()),
        (src("PUSH", "JSON__PUBLISHED"), "/ts".into()),
        (src("PRIVATE", "KIND"), "rss".into()),
        (src("PRIVATE", "URL"), format!("{base}/private/feed.xml")),
        ("QUEEN__DEFAULT_POLICY__BACKOFF_BASE_MS".into(), "50".into()),
    ];
    for id in ["EXCHANGE", "API", "PUSH", "PRIVATE"] {
        env.push((src(id, "INTERVAL_MS"), "60000".into()));
    }
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let queen = QueenProc::start(&db.url, &env_refs).await?;
    let coordinator = CoordinatorProc::start(
        &redis_cluster_url(),
        &db.url,
        &stream,
        &format!("src-{tag}"),
        30_000,
    )?;
    let _agents = [
        specialist(
            "scraping-specialist",
            &queen.addr(),
            &stream,
            // the X fake is on the same loopback site: it is the X API here
            &["--host-rate", "50", "--x-api-base", &base],
        )?,
        specialist("keyword-precision", &queen.addr(), &stream, &[])?,
        specialist("data-quality", &queen.addr(), &stream, &[])?,
    ];

    // every kind of source yields its event (X: both pages of the burst)
    let expected = [
        "Brackenridge",
        "Fernhollow",
        "Kestrel Finance",
        "Marshlight",
        "Opalwave",
        "Tollgate",
    ];
    let found = wait_until(Duration::from_secs(40), "an event per source kind", || {
        let db = &db;
        async move {
            let events = events(db).await;
            expected
                .iter()
                .all(|p| events.iter().any(|e| e.0.starts_with(p)))
                .then_some(events)
        }
    })
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "{e}\nqueen:\n{}\ncoordinator:\n{}",
            queen.log_text(),
            coordinator.log_text()
        )
    })?;
    let symbol = |p: &str| {
        found
            .iter()
            .find(|e| e.0.starts_with(p))
            .and_then(|e| e.1.clone())
    };
    assert_eq!(symbol("Kestrel").as_deref(), Some("KSTL"), "{found:?}");
    assert_eq!(symbol("Opalwave").as_deref(), Some("OPW"), "{found:?}");
    assert_eq!(symbol("Tollgate").as_deref(), Some("TOLL"), "{found:?}");
    assert_eq!(
        found.len(),
        6,
        "the digest, maintenance notice, market wrap and gm post are no events: {found:?}"
    );

    // a new feed item becomes an event within two poll intervals
    site.news.lock().unwrap().push((
        "https://velmora-news.example.test/tge".into(),
        "Velmora Network sets TGE date".into(),
        "Velmora Network will hold its token generation event on June 3, 2027; VLM claims open the same day.".into(),
    ));
    let published = Instant::now();
    wait_until(
        Duration::from_millis(2 * INTERVAL_MS + 5_000),
        "the new item's event",
        || {
            let db = &db;
            async move {
                events(db)
                    .await
                    .iter()
                    .any(|e| e.0.starts_with("Velmora"))
                    .then_some(())
            }
        },
    )
    .await?;
    let took = published.elapsed();
    eprintln!("published → event in PostgreSQL: {took:?} (poll interval {INTERVAL_MS} ms)");
    assert!(
        took < Duration::from_millis(2 * INTERVAL_MS),
        "published → event took {took:?}, more than two poll intervals"
    );
    let mut conn = db.connect().await?;
    let evidence: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM evidence v JOIN tge_events e ON e.id = v.event_id WHERE e.project LIKE 'Velmora%'",
    )
    .fetch_one(&mut conn)
    .await?;
    assert_eq!(evidence, 1, "the event carries its evidence");

    // the X cursor: later polls ask only for newer posts
    wait_until(Duration::from_secs(10), "a second X poll", || {
        let site = site.clone();
        async move { (site.x_since.lock().unwrap().len() >= 3).then_some(()) }
    })
    .await?;
    let since = site.x_since.lock().unwrap().clone();
    assert_eq!(since[0], (None, None));
    assert_eq!(
        since[1],
        (None, Some("older-1".to_string())),
        "the next page"
    );
    assert_eq!(
        since[2],
        (Some("1866000000000000002".to_string()), None),
        "the next poll starts after the newest post"
    );

    // robots.txt: the disallowed source and page are never fetched, the
    // source's error is recorded
    assert_eq!(*site.private_hits.lock().unwrap(), 0);
    let memory = swarm_memory::RedisMemory::connect(&redis_cluster_url()).await?;
    let recorded = swarm_memory::Memory::get(
        &memory,
        &swarm_memory::layout::source_error_key(&format!("private-{tag}")),
    )
    .await?;
    assert!(recorded.is_some_and(|e| e.contains("robots.txt")));
    drop(conn);
    db.drop_db().await;
    Ok(())
}
