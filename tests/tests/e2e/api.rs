//! The query API (`queen --api-only`) against the real PostgreSQL, the
//! Redis Cluster memory and the real memory coordinator; and two replicas
//! behind a real HAProxy, one of them killed with SIGKILL.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use swarm_memory::{Memory, RedisMemory};
use swarm_tests::{
    ApiProc, CoordinatorProc, HaproxyProc, TestDb, bin, free_port, http_get, metric_value,
    redis_cluster_url, wait_until,
};
use swarm_types::finding::{Detection, Status};
use swarm_types::{Envelope, Finding};

/// An event row to insert directly (the coordinator's table layout).
struct Seed {
    project: &'static str,
    symbol: Option<&'static str>,
    status: &'static str,
    event_date: Option<&'static str>,
    confidence: f64,
    watchlist: bool,
    /// first seen = last seen = this many hours after 2027-01-01
    hour: i64,
    source_kind: &'static str,
}

const SEEDS: [Seed; 6] = [
    Seed {
        project: "Nova Labs",
        symbol: Some("NOVA"),
        status: "scheduled",
        event_date: Some("2027-03-05"),
        confidence: 0.91,
        watchlist: true,
        hour: 1,
        source_kind: "rss",
    },
    Seed {
        project: "Northwind",
        symbol: Some("NWD"),
        status: "announced",
        event_date: Some("2027-Q2"),
        confidence: 0.55,
        watchlist: false,
        hour: 2,
        source_kind: "exchange",
    },
    Seed {
        project: "Kestrune",
        symbol: None,
        status: "live",
        event_date: Some("2027-01"),
        confidence: 0.72,
        watchlist: false,
        hour: 3,
        source_kind: "rss",
    },
    Seed {
        project: "Veyra",
        symbol: Some("VEY"),
        status: "postponed",
        event_date: None,
        confidence: 0.35,
        watchlist: true,
        hour: 4,
        source_kind: "blog",
    },
    Seed {
        project: "Halvard Labs",
        symbol: Some("HAL"),
        status: "scheduled",
        event_date: Some("2027-06-30"),
        confidence: 0.83,
        watchlist: false,
        hour: 5,
        source_kind: "exchange",
    },
    Seed {
        project: "Novalis",
        symbol: Some("NVL"),
        status: "cancelled",
        event_date: Some("2027-04"),
        confidence: 0.6,
        watchlist: false,
        hour: 6,
        source_kind: "rss",
    },
];

async fn insert(db: &TestDb, s: &Seed) -> anyhow::Result<i64> {
    let mut conn = db.connect().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tge_events (project_key, symbol_key, project, symbol, status, event_date,
            date_precision, confidence, corroboration, watchlist, first_seen, last_seen, version)
         VALUES (lower($1), coalesce($2, ''), $1, $2, $3, $4, 'day', $5, 1, $6,
            TIMESTAMPTZ '2027-01-01 00:00Z' + $7 * INTERVAL '1 hour',
            TIMESTAMPTZ '2027-01-01 00:00Z' + $7 * INTERVAL '1 hour', 1)
         RETURNING id",
    )
    .bind(s.project)
    .bind(s.symbol)
    .bind(s.status)
    .bind(s.event_date)
    .bind(s.confidence)
    .bind(s.watchlist)
    .bind(s.hour)
    .fetch_one(&mut conn)
    .await?;
    sqlx::query(
        "INSERT INTO evidence (finding_id, event_id, document_id, source_id, source_kind, url,
            snippet, status, confidence, observed_at, language)
         VALUES ($1, $2, $1, 'src-' || $3, $3, 'https://news.example.test/' || $1,
            $4 || ' announces its token generation event', $5, $6, now(), 'en')",
    )
    .bind(format!("f-{id}"))
    .bind(id)
    .bind(s.source_kind)
    .bind(s.project)
    .bind(s.status)
    .bind(s.confidence)
    .execute(&mut conn)
    .await?;
    Ok(id)
}

/// Inserts `n` plain events whose last_seen grows from `from_hour`.
async fn insert_many(db: &TestDb, prefix: &str, n: i64, from_hour: i64) -> anyhow::Result<()> {
    let mut conn = db.connect().await?;
    sqlx::query(
        "INSERT INTO tge_events (project_key, symbol_key, project, symbol, status, event_date,
            date_precision, confidence, corroboration, watchlist, first_seen, last_seen, version)
         SELECT lower($1 || g), '', $1 || g, NULL, 'announced', NULL, 'unknown', (g % 97) / 100.0,
            1, false, TIMESTAMPTZ '2027-01-01 00:00Z' + ($3 + g) * INTERVAL '1 hour',
            TIMESTAMPTZ '2027-01-01 00:00Z' + ($3 + g) * INTERVAL '1 hour', 1
         FROM generate_series(1, $2) g",
    )
    .bind(prefix)
    .bind(n)
    .bind(from_hour)
    .execute(&mut conn)
    .await?;
    Ok(())
}

/// The JSON body of a response.
async fn json(r: reqwest::Response) -> anyhow::Result<Value> {
    Ok(serde_json::from_slice(&r.bytes().await?)?)
}

/// GET returning (status, content-type, JSON body or Null).
async fn get(url: &str, key: Option<&str>) -> anyhow::Result<(StatusCode, String, Value)> {
    let mut req = reqwest::Client::new().get(url);
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let r = req.send().await?;
    let status = r.status();
    let ctype = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = json(r).await.unwrap_or(Value::Null);
    Ok((status, ctype, body))
}

fn projects(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["project"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

const OPEN: [(&str, &str); 2] = [
    ("QUEEN__API__ANONYMOUS_READ", "true"),
    ("QUEEN__API__ANONYMOUS_RATE_PER_SEC", "100000"),
];

#[tokio::test]
async fn the_list_filters_sorts_and_explains_bad_parameters() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[OPEN[0], OPEN[1], ("QUEEN__API__BURST", "10000")]).await?;
    let mut ids = Vec::new();
    for s in &SEEDS {
        ids.push(insert(&db, s).await?);
    }
    let list = |query: &str| {
        let url = format!("{}/api/v1/tges?{query}", api.url());
        let query = query.to_string();
        async move {
            let (status, _, body) = get(&url, None).await?;
            anyhow::ensure!(status == StatusCode::OK, "{query}: {status} {body}");
            Ok::<_, anyhow::Error>(projects(&body))
        }
    };
    // newest first by default
    assert_eq!(
        list("").await?,
        [
            "Novalis",
            "Halvard Labs",
            "Veyra",
            "Kestrune",
            "Northwind",
            "Nova Labs"
        ]
    );
    assert_eq!(
        list("project=nova%20%20LABS").await?,
        ["Nova Labs"],
        "exact, normalized"
    );
    assert_eq!(list("project_prefix=NOV").await?, ["Novalis", "Nova Labs"]);
    assert_eq!(
        list("project_prefix=n%25").await?,
        Vec::<String>::new(),
        "% is literal"
    );
    assert_eq!(list("symbol=%24hal").await?, ["Halvard Labs"]);
    assert_eq!(list("status=live,postponed").await?, ["Veyra", "Kestrune"]);
    assert_eq!(
        list("min_confidence=0.8").await?,
        ["Halvard Labs", "Nova Labs"]
    );
    assert_eq!(list("watchlist=true").await?, ["Veyra", "Nova Labs"]);
    assert_eq!(
        list("source_kind=exchange").await?,
        ["Halvard Labs", "Northwind"]
    );
    // periods start on their first day: Q2 = April 1st, 2027-04 = April 1st
    assert_eq!(
        list("date_from=2027-03-01&date_to=2027-04-01&sort=event_date").await?,
        ["Nova Labs", "Northwind", "Novalis"]
    );
    assert_eq!(
        list("since=2027-01-01T02:00:00Z&until=2027-01-01T04:00:00%2B00:00").await?,
        ["Kestrune", "Northwind"]
    );
    assert_eq!(
        list("sort=confidence&limit=3").await?,
        ["Veyra", "Northwind", "Novalis"]
    );
    assert_eq!(
        list("sort=-event_date&limit=2").await?,
        ["Veyra", "Halvard Labs"],
        "unknown dates last"
    );

    // the detail, and problem+json for every bad input
    let (status, _, detail) = get(&format!("{}/api/v1/tges/{}", api.url(), ids[0]), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["project"], "Nova Labs");
    assert_eq!(detail["evidence"][0]["source_kind"], "rss");
    assert_eq!(
        detail["evidence"][0]["duplicate_of"],
        serde_json::Value::Null
    );
    assert_eq!(detail["evidence"][0]["status_only"], false);
    assert_eq!(detail["evidence"][0]["language"], "en");
    assert!(
        detail["first_seen"]
            .as_str()
            .unwrap_or("")
            .starts_with("2027-01-01T01:00:00")
    );
    for (path, param) in [
        ("/api/v1/tges?limit=0", "limit"),
        ("/api/v1/tges?min_confidence=high", "min_confidence"),
        ("/api/v1/tges?status=rumoured", "status"),
        ("/api/v1/tges?since=yesterday", "since"),
        ("/api/v1/tges?sort=price", "sort"),
        ("/api/v1/tges?cursor=nonsense", "cursor"),
        ("/api/v1/tges?colour=red", "colour"),
        ("/api/v1/tges/abc", "id"),
    ] {
        let (status, ctype, body) = get(&format!("{}{path}", api.url()), None).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(ctype, "application/problem+json", "{path}");
        assert_eq!(body["param"], param, "{path}: {body}");
        assert_eq!(body["status"], 400);
        assert!(
            body["detail"].as_str().is_some_and(|d| d.len() > 10),
            "{body}"
        );
    }
    let (status, ctype, _) = get(&format!("{}/api/v1/tges/999999", api.url()), None).await?;
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );

    let (_, _, projects_page) =
        get(&format!("{}/api/v1/projects?prefix=nova", api.url()), None).await?;
    assert_eq!(projects(&projects_page), ["Novalis", "Nova Labs"]);
    let (status, _, doc) = get(&format!("{}/api/v1/openapi.json", api.url()), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["paths"]["/api/v1/tges/{id}"]["get"].is_object());
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn pages_neither_repeat_nor_skip_while_events_are_inserted() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[OPEN[0], OPEN[1], ("QUEEN__API__BURST", "10000")]).await?;
    insert_many(&db, "Existing ", 240, 0).await?;
    let inserter = {
        let url = db.url.clone();
        tokio::spawn(async move {
            let db = TestDb {
                name: String::new(),
                url,
            };
            for round in 0..40 {
                insert_many(&db, &format!("New {round} "), 5, 1000 + round * 10).await?;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            anyhow::Ok(())
        })
    };
    for sort in ["-last_seen", "confidence", "-first_seen"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/api/v1/tges?limit=17&sort={sort}", api.url());
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let (status, _, page) = get(&url, None).await?;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(projects(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let existing: Vec<&String> = seen.iter().filter(|p| p.starts_with("Existing ")).collect();
        let unique: std::collections::HashSet<&String> = seen.iter().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{sort}: an event was listed twice"
        );
        assert_eq!(existing.len(), 240, "{sort}: every existing event once");
    }
    inserter.await??;
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn etags_answer_304_until_the_event_changes() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[OPEN[0], OPEN[1], ("QUEEN__API__BURST", "10000")]).await?;
    let id = insert(&db, &SEEDS[0]).await?;
    let client = reqwest::Client::new();
    for path in ["/api/v1/tges?symbol=NOVA", &format!("/api/v1/tges/{id}")] {
        let url = format!("{}{path}", api.url());
        let first = client.get(&url).send().await?;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()["etag"].to_str()?.to_string();
        let again = client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await?;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()["etag"].to_str()?, etag);
        let other = client
            .get(&url)
            .header("if-none-match", "\"other\"")
            .send()
            .await?;
        assert_eq!(other.status(), StatusCode::OK);
        let confidence = if path.contains('?') { 0.95 } else { 0.97 };
        sqlx::query("UPDATE tge_events SET confidence = $1 WHERE id = $2")
            .bind(confidence)
            .bind(id)
            .execute(&mut db.connect().await?)
            .await?;
        // the change is found (no notice: the refresh bound) and the ETag moves on
        let body = wait_until(Duration::from_secs(10), "a fresh response", || {
            let (client, url, etag) = (client.clone(), url.clone(), etag.clone());
            async move {
                let r = client
                    .get(&url)
                    .header("if-none-match", &etag)
                    .send()
                    .await
                    .ok()?;
                (r.status() == StatusCode::OK).then_some(())?;
                json(r).await.ok()
            }
        })
        .await?;
        assert!(body.to_string().contains(&confidence.to_string()), "{body}");
    }
    db.drop_db().await;
    Ok(())
}

fn detection(id: &str, project: &str, source: &str, confidence: f64) -> Finding {
    Finding::Detection(Detection {
        id: id.into(),
        document_id: format!("doc-{id}"),
        source_id: source.into(),
        source_kind: "rss".into(),
        url: format!("https://news.example.test/{id}"),
        project: project.into(),
        symbol: Some("ORB".into()),
        status: Status::Scheduled,
        event_date: Some("2027-05-20".into()),
        date_precision: "day".into(),
        confidence,
        snippet: format!("{project} schedules its token generation event for May 20"),
        watchlist: false,
        observed_unix_ms: swarm_common::time::now_ms(),
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: Some("en".into()),
    })
}

/// Reads an SSE response until `until` matches the text so far.
async fn read_sse(
    response: &mut reqwest::Response,
    text: &mut String,
    until: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    tokio::time::timeout(Duration::from_secs(20), async {
        while !until(text) {
            let chunk = response
                .chunk()
                .await?
                .ok_or_else(|| anyhow::anyhow!("stream ended: {text}"))?;
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        anyhow::Ok(())
    })
    .await
    .map_err(|_| anyhow::anyhow!("no matching SSE data in time; got: {text}"))?
}

#[tokio::test]
async fn the_stream_delivers_an_event_created_after_subscribing_and_resumes() -> anyhow::Result<()>
{
    let db = TestDb::create().await?;
    // a long refresh: only the coordinator's notice can bring the change in time
    let api = ApiProc::start(
        &db.url,
        &[OPEN[0], OPEN[1], ("QUEEN__API__REFRESH_MS", "600000")],
    )
    .await?;
    let stream = format!(
        "swarm:memory:{{api-sse-{:x}}}:stream",
        rand::random::<u32>()
    );
    let memory: Arc<dyn Memory> = Arc::new(RedisMemory::connect(&redis_cluster_url()).await?);
    let _coordinator =
        CoordinatorProc::start(&redis_cluster_url(), &db.url, &stream, "api-sse", 30_000)?;
    let client = reqwest::Client::new();
    let mut sse = client
        .get(format!("{}/api/v1/stream", api.url()))
        .send()
        .await?;
    assert_eq!(sse.status(), StatusCode::OK);
    assert!(
        sse.headers()["content-type"]
            .to_str()?
            .starts_with("text/event-stream")
    );
    let mut text = String::new();
    read_sse(&mut sse, &mut text, |t| t.contains(": subscribed")).await?;

    let project = format!("Orbitra {:x}", rand::random::<u32>());
    let env = Envelope::new("test", detection("sse-1", &project, "src-a", 0.6));
    memory.append(&stream, &env.to_bytes(), 10_000).await?;
    read_sse(&mut sse, &mut text, |t| t.contains(&project)).await?;
    assert!(text.contains("event: created"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("data:") && l.contains(&project))
        .unwrap_or_default();
    let event: Value = serde_json::from_str(line.trim_start_matches("data:").trim())?;
    let id = event["id"].as_i64().unwrap_or_default();

    // a second source: an update on the stream, evidence and history in the detail
    let env = Envelope::new("test", detection("sse-2", &project, "src-b", 0.5));
    memory.append(&stream, &env.to_bytes(), 10_000).await?;
    read_sse(&mut sse, &mut text, |t| t.contains("event: updated")).await?;
    let (status, _, detail) = get(&format!("{}/api/v1/tges/{id}", api.url()), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["corroboration"], 2);
    assert_eq!(
        detail["evidence"].as_array().map(Vec::len),
        Some(2),
        "{detail}"
    );
    assert!(
        detail["evidence"][0]["snippet"]
            .as_str()
            .unwrap_or("")
            .contains("May 20")
    );
    assert_eq!(
        detail["history"].as_array().map(Vec::len),
        Some(2),
        "{detail}"
    );

    // resuming after the first change replays the latest state of the event
    let first_id = event["change_seq"].as_i64().unwrap_or_default();
    let mut resumed = client
        .get(format!("{}/api/v1/stream", api.url()))
        .header("last-event-id", first_id.to_string())
        .send()
        .await?;
    let mut replay = String::new();
    read_sse(&mut resumed, &mut replay, |t| {
        t.contains(&project) && t.contains("\"corroboration\":2")
    })
    .await?;
    let (status, ctype, body) = {
        let r = client
            .get(format!("{}/api/v1/stream", api.url()))
            .header("last-event-id", "yesterday")
            .send()
            .await?;
        let ctype = r.headers()["content-type"].to_str()?.to_string();
        (r.status(), ctype, json(r).await?)
    };
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::BAD_REQUEST, "application/problem+json")
    );
    assert_eq!(body["param"], "Last-Event-ID");
    db.drop_db().await;
    Ok(())
}

/// `queenctl keys …` through the queen at `queen` (the queen keeps them in
/// its PostgreSQL, where the API replicas look them up).
async fn keys(queen: &str, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    swarm_tests::queenctl(queen, &all).await
}

#[tokio::test]
async fn keys_scopes_rate_limits_and_request_limits() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(
        &db.url,
        &[
            ("QUEEN__API__RATE_PER_SEC", "1"),
            ("QUEEN__API__BURST", "5"),
            ("QUEEN__API__KEY_CACHE_MS", "200"),
            ("QUEEN__API__CORS_ORIGINS", "[\"https://app.example\"]"),
        ],
    )
    .await?;
    // keys go through a queen on the same database (no API of its own)
    let queen = swarm_tests::QueenProc::start(&db.url, &[]).await?;
    let queen = queen.addr();
    let (code, out, err) = keys(
        &queen,
        &["--json", "create", "--scope", "read", "--name", "reader"],
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let created: Value = serde_json::from_str(&out)?;
    let reader = created["key"].as_str().unwrap_or_default().to_string();
    let reader_id = created["info"]["id"].as_i64().unwrap_or_default();
    assert!(reader.starts_with("tge_") && reader.len() > 40);
    let (code, out, err) = keys(
        &queen,
        &["--json", "create", "--scope", "admin", "--rate", "1000"],
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let admin = serde_json::from_str::<Value>(&out)?["key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (code, _, err) = keys(&queen, &["create", "--scope", "root"]).await?;
    assert_ne!(code, 0);
    assert!(err.contains("expected read or admin"), "{err}");
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_all(&mut db.connect().await?)
        .await?;
    assert!(
        stored.iter().all(|h| h.len() == 32
            && !h
                .windows(8)
                .any(|w| reader.as_bytes().windows(8).any(|r| r == w))),
        "only hashes are stored"
    );

    let url = |p: &str| format!("{}{p}", api.url());
    let (status, ctype, body) = get(&url("/api/v1/tges"), None).await?;
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::UNAUTHORIZED, "application/problem+json")
    );
    assert!(body["detail"].as_str().unwrap_or("").contains("API key"));
    assert_eq!(
        get(&url("/api/v1/tges"), Some("tge_wrong")).await?.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&url("/api/v1/admin/keys"), Some(&reader)).await?.0,
        StatusCode::FORBIDDEN
    );
    let (status, _, listed) = get(&url("/api/v1/admin/keys"), Some(&admin)).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));
    assert!(
        !listed.to_string().contains(&reader),
        "keys are never shown again"
    );
    let refreshed = reqwest::Client::new()
        .post(url("/api/v1/admin/cache/refresh"))
        .header("x-api-key", &admin)
        .send()
        .await?;
    assert_eq!(refreshed.status(), StatusCode::OK);

    // the reader's bucket: 5 at once (+1 a second), then 429 with Retry-After
    let client = reqwest::Client::new();
    let mut limited = None;
    for _ in 0..50 {
        let r = client
            .get(url("/api/v1/tges"))
            .bearer_auth(&reader)
            .send()
            .await?;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let limited = limited.ok_or_else(|| anyhow::anyhow!("never rate limited"))?;
    let retry: u64 = limited.headers()["retry-after"].to_str()?.parse()?;
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let problem: Value = json(limited).await?;
    assert_eq!(problem["status"], 429);
    // the admin key has its own bucket
    assert_eq!(
        get(&url("/api/v1/tges"), Some(&admin)).await?.0,
        StatusCode::OK
    );

    // a body over the limit (refused unread: the server then closes the
    // connection, so it goes on a client of its own)
    let big = reqwest::Client::new()
        .post(url("/api/v1/admin/cache/refresh"))
        .bearer_auth(&admin)
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await?;
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // CORS preflight for the configured origin only
    let preflight = client
        .request(reqwest::Method::OPTIONS, url("/api/v1/tges"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await?;
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let foreign = client
        .request(reqwest::Method::OPTIONS, url("/api/v1/tges"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await?;
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // revoked: refused once the short key cache expires
    let (code, out, err) = keys(&queen, &["revoke", &reader_id.to_string()]).await?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("revoked"));
    wait_until(
        Duration::from_secs(10),
        "the revoked key to be refused",
        || {
            let (url, reader) = (url("/api/v1/tges"), reader.clone());
            async move {
                (get(&url, Some(&reader)).await.ok()?.0 == StatusCode::UNAUTHORIZED).then_some(())
            }
        },
    )
    .await?;
    let (code, out, _) = keys(&queen, &["list"]).await?;
    assert_eq!(code, 0);
    assert!(out.contains("reader") && out.contains("REVOKED"), "{out}");

    // guessing keys: after a burst of unknown keys the address must wait
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(
            get(&url("/api/v1/tges"), Some(&format!("tge_guess{i:04}")))
                .await?
                .0,
        );
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert!(
        statuses[20..].contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn a_full_queen_serves_the_api_when_enabled() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let cluster = redis_cluster_url();
    let queen = swarm_tests::QueenProc::start(
        &db.url,
        &[
            ("QUEEN__API__ENABLED", "true"),
            ("QUEEN__API__ADDR", &addr),
            ("QUEEN__API__MEMORY_URL", &cluster),
        ],
    )
    .await?;
    let base = format!("http://{addr}");
    wait_until(Duration::from_secs(20), "the queen's API", || {
        let ready = format!("{base}/ready");
        async move { (get(&ready, None).await.ok()?.0 == StatusCode::OK).then_some(()) }
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}; log:\n{}", queen.log_text()))?;
    assert_eq!(
        get(&format!("{base}/api/v1/tges"), None).await?.0,
        StatusCode::UNAUTHORIZED
    );
    let (code, out, err) = keys(&queen.addr(), &["--json", "create", "--scope", "read"]).await?;
    assert_eq!(code, 0, "{err}");
    let key = serde_json::from_str::<Value>(&out)?["key"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    insert(&db, &SEEDS[1]).await?;
    let (status, _, page) = get(&format!("{base}/api/v1/tges"), Some(&key)).await?;
    assert_eq!(status, StatusCode::OK, "{}", queen.log_text());
    assert_eq!(projects(&page), ["Northwind"]);

    // a source: its schedule from the queen, its health from the memory
    let source = format!("probe-{:x}", rand::random::<u32>());
    let (code, _, err) = swarm_tests::queenctl(
        &queen.addr(),
        &[
            "schedules",
            "set",
            &format!("source:{source}"),
            "--every-ms",
            "60000",
            "fetch-source",
            "--source-id",
            &source,
            "--url",
            "http://127.0.0.1:9/feed.xml",
        ],
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let memory = RedisMemory::connect(&cluster).await?;
    let open = swarm_memory::reliability::BreakerState {
        phase: swarm_memory::reliability::Phase::Open,
        open_until_ms: swarm_common::time::now_ms() + 600_000,
        ..Default::default()
    };
    let ttl = Duration::from_secs(600);
    memory
        .set(
            &swarm_memory::layout::breaker_key(&source),
            &serde_json::to_string(&open)?,
            ttl,
        )
        .await?;
    memory
        .set(
            &swarm_memory::layout::source_error_key(&source),
            "HTTP 503",
            ttl,
        )
        .await?;
    let listed = wait_until(Duration::from_secs(10), "the source listed", || {
        let (url, key, source) = (
            format!("{base}/api/v1/sources"),
            key.clone(),
            source.clone(),
        );
        async move {
            let (_, _, body) = get(&url, Some(&key)).await.ok()?;
            body["items"]
                .as_array()?
                .iter()
                .find(|s| s["source_id"] == source.as_str())
                .cloned()
        }
    })
    .await?;
    assert_eq!(listed["health"], "open", "{listed}");
    assert_eq!(listed["breaker"], "open");
    assert_eq!(listed["last_error"], "HTTP 503");
    assert_eq!(listed["interval_ms"], 60000);
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn an_api_replica_lists_sources_with_schedules_from_the_queen() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let mut queen = swarm_tests::QueenProc::start(&db.url, &[]).await?;
    let source = format!("replica-{:x}", rand::random::<u32>());
    let (code, _, err) = swarm_tests::queenctl(
        &queen.addr(),
        &[
            "schedules",
            "set",
            &format!("source:{source}"),
            "--every-ms",
            "45000",
            "fetch-source",
            "--source-id",
            &source,
            "--url",
            "http://127.0.0.1:9/feed.xml",
        ],
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let replica = ApiProc::start(
        &db.url,
        &[OPEN[0], OPEN[1], ("QUEEN__API__QUEEN_URL", &queen.addr())],
    )
    .await?;
    let url = format!("{}/api/v1/sources", replica.url());
    let (status, _, body) = get(&url, None).await?;
    assert_eq!(status, StatusCode::OK, "{body}\n{}", replica.log_text());
    let listed = body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|s| s["source_id"] == source.as_str()))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("{source} not listed: {body}"))?;
    assert_eq!(listed["schedule"], format!("source:{source}"), "{listed}");
    assert_eq!(listed["interval_ms"], 45000);
    assert_eq!(listed["url"], "http://127.0.0.1:9/feed.xml");
    assert_eq!(listed["documents"], 0);

    // without a queen to ask, no source has a schedule: none is listed
    let alone = ApiProc::start(&db.url, &OPEN).await?;
    let (status, _, body) = get(&format!("{}/api/v1/sources", alone.url()), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "{body}");
    // the queen gone: the replica says so instead of listing nothing
    queen.kill().await;
    let (status, ctype, body) = get(&url, None).await?;
    assert_eq!(
        (status, ctype.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "application/problem+json"),
        "{body}"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn requests_through_haproxy_keep_succeeding_when_a_replica_is_killed() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let env = [
        OPEN[0],
        OPEN[1],
        ("QUEEN__API__BURST", "100000"),
        ("QUEEN__API__TRUST_FORWARDED_FOR", "true"),
    ];
    let mut first = ApiProc::start(&db.url, &env).await?;
    let second = ApiProc::start(&db.url, &env).await?;
    for s in &SEEDS {
        insert(&db, s).await?;
    }
    let proxy = HaproxyProc::start([
        &format!("127.0.0.1:{}", first.port),
        &format!("127.0.0.1:{}", second.port),
    ])
    .await?;
    let client = reqwest::Client::new();
    let list = format!("{}/api/v1/tges?min_confidence=0.5", proxy.url());
    for _ in 0..20 {
        let r = client.get(&list).send().await?;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(projects(&json(r).await?).len(), 5);
    }
    for replica in [&first, &second] {
        let metrics = http_get(&format!(
            "http://127.0.0.1:{}/metrics",
            replica.metrics_port
        ))
        .await?;
        let served = metric_value(
            &metrics,
            "tge_api_requests_total{route=\"tges\",status=\"200\"}",
        );
        assert!(
            served.unwrap_or(0.0) >= 5.0,
            "round robin: each replica serves ({served:?})"
        );
    }
    first.kill().await;
    let mut failures = Vec::new();
    for i in 0..200 {
        match client.get(&list).send().await {
            Ok(r) if r.status() == StatusCode::OK => {}
            Ok(r) => failures.push(format!("#{i}: {}", r.status())),
            Err(e) => failures.push(format!("#{i}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "requests failed after the kill: {failures:?}"
    );
    let stats = client
        .get(format!("http://127.0.0.1:{}/stats;csv", proxy.stats_port))
        .send()
        .await?
        .text()
        .await?;
    wait_until(
        Duration::from_secs(10),
        "the killed replica marked down",
        || {
            let (client, stats_url) = (
                client.clone(),
                format!("http://127.0.0.1:{}/stats;csv", proxy.stats_port),
            );
            let proxy = &proxy;
            async move {
                let csv = client
                    .get(&stats_url)
                    .send()
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                (proxy.servers_up(&csv) == 1).then_some(())
            }
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}; stats:\n{stats}"))?;
    // other routes do not reach the API; HAProxy exports its own metrics
    let grafana = client
        .get(format!("{}/grafana/", proxy.url()))
        .send()
        .await?;
    assert_eq!(
        grafana.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "no Grafana in this test"
    );
    let exporter = client
        .get(format!("http://127.0.0.1:{}/metrics", proxy.stats_port))
        .send()
        .await?
        .text()
        .await?;
    assert!(
        exporter.contains("haproxy_backend_active_servers"),
        "prometheus exporter"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn haproxy_terminates_tls_with_the_certificate_from_the_environment() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &OPEN).await?;
    let tls = swarm_tests::tls::self_signed_loopback().await?;
    let (dir, pem) = (tls.dir.clone(), tls.bundle.clone());
    let server = format!("127.0.0.1:{}", api.port);
    let proxy = HaproxyProc::start_with_tls([&server, &server], Some(&pem)).await?;
    let tls_port = proxy.tls_port.unwrap_or_default();
    let trusted = reqwest::Certificate::from_pem(&tls.cert_pem)?;
    let client = reqwest::Client::builder()
        .tls_certs_only([trusted])
        .build()?;
    let r = client
        .get(format!("https://127.0.0.1:{tls_port}/api/v1/tges"))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(json(r).await?["items"].is_array());
    // a client that does not trust the certificate is refused
    let untrusting = reqwest::Client::new();
    assert!(
        untrusting
            .get(format!("https://127.0.0.1:{tls_port}/health"))
            .send()
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&dir);
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn the_one_process_run_serves_its_detections_on_the_api() -> anyhow::Result<()> {
    let api_port = free_port();
    let _swarm = tokio::process::Command::new(bin("swarm"))
        .arg("--grpc-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--coordinator-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--api-addr")
        .arg(format!("127.0.0.1:{api_port}"))
        // nothing journaled: a run before this one must not answer for it
        .args(["--demo-every-secs", "1", "--in-memory"])
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = format!("http://127.0.0.1:{api_port}/api/v1/tges?project=kestrune");
    let event = wait_until(
        Duration::from_secs(60),
        "Kestrune on the embedded API",
        || {
            let url = url.clone();
            async move {
                let (status, _, page) = get(&url, None).await.ok()?;
                (status == StatusCode::OK).then_some(())?;
                page["items"].as_array()?.first().cloned()
            }
        },
    )
    .await?;
    let id = event["id"].as_i64().unwrap_or_default();
    let (status, _, detail) = get(
        &format!("http://127.0.0.1:{api_port}/api/v1/tges/{id}"),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !detail["evidence"].as_array().is_none_or(Vec::is_empty),
        "{detail}"
    );
    let (status, _, sources) =
        get(&format!("http://127.0.0.1:{api_port}/api/v1/sources"), None).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sources["items"][0]["source_id"], "demo-feed", "{sources}");
    assert!(
        sources["items"][0]["documents"].as_i64().unwrap_or(0) > 0,
        "{sources}"
    );
    Ok(())
}
