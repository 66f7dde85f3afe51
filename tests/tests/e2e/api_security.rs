//! The query API's security fixes, end to end: `queen --api-only` on the
//! real PostgreSQL behind the real HAProxy (`infra/haproxy/haproxy.cfg`).
//! Clients on different loopback addresses (127.0.0.2, 127.0.0.3, …) stand
//! for different people behind the same proxy.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use swarm_memory::{Memory, RedisMemory};
use swarm_tests::{ApiProc, HaproxyProc, TestDb, redis_cluster_url, wait_until};
use tge_api::keys::Scope;
use tge_events::{Record, Synthesis};

/// A client whose connections come from `127.0.0.<last>`.
fn client_from(last: u8) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// A key of `scope` created in the replicas' database (what `queenctl keys
/// create` has the queen do).
async fn key(db: &TestDb, scope: Scope) -> anyhow::Result<String> {
    let pool = sqlx::PgPool::connect(&db.url).await?;
    let (key, _) = tge_api::keys::create(&pool, "security-e2e", scope, None).await?;
    pool.close().await;
    Ok(key)
}

async fn status_of(req: reqwest::RequestBuilder) -> anyhow::Result<StatusCode> {
    Ok(req.send().await?.status())
}

/// Whether `client`, right after an unknown key of its was refused with
/// 429, is refused with the good key too (tried a few times: the bucket
/// gives a token back every second).
async fn locked_out(client: &reqwest::Client, url: &str, good: &str) -> anyhow::Result<bool> {
    for _ in 0..5 {
        let guess = status_of(client.get(url).bearer_auth("tge_one_more_guess")).await?;
        if guess == StatusCode::TOO_MANY_REQUESTS
            && status_of(client.get(url).bearer_auth(good)).await? == StatusCode::TOO_MANY_REQUESTS
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[tokio::test]
async fn api_bad_keys_from_one_client_behind_haproxy_do_not_lock_out_another() -> anyhow::Result<()>
{
    let db = TestDb::create().await?;
    let api = ApiProc::start(
        &db.url,
        &[
            ("QUEEN__API__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]"),
            ("QUEEN__API__BURST", "10000"),
            ("QUEEN__API__RATE_PER_SEC", "10000"),
        ],
    )
    .await?;
    let good = key(&db, Scope::Read).await?;
    let server = format!("127.0.0.1:{}", api.port);
    let proxy = HaproxyProc::start([&server, &server]).await?;
    let list = format!("{}/api/v1/tges", proxy.url());

    // 127.0.0.2 guesses keys, each time claiming another address: HAProxy
    // drops the claim, the API counts every guess against 127.0.0.2
    let guesser = client_from(2)?;
    let mut statuses = Vec::new();
    for n in 0..30 {
        let req = guesser
            .get(&list)
            .bearer_auth(format!("tge_guess{n:04}"))
            .header("x-forwarded-for", format!("198.51.100.{n}"));
        statuses.push(status_of(req).await?);
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    // (a token comes back every second: one late guess may still be looked up)
    let refused = statuses[20..]
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(refused >= 8, "{statuses:?}");
    assert!(
        locked_out(&guesser, &list, &good).await?,
        "the guessing address waits, whatever key it shows"
    );

    // another client behind the same proxy, with a good key, is served
    let other = client_from(3)?;
    for _ in 0..10 {
        let r = other.get(&list).bearer_auth(&good).send().await?;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // a client reaching the API directly (not a trusted proxy) cannot pose
    // as someone else either: its X-Forwarded-For is ignored
    let direct = client_from(4)?;
    for n in 0..25 {
        let req = direct
            .get(format!("{}/api/v1/tges", api.url()))
            .bearer_auth(format!("tge_direct{n:04}"))
            .header("x-forwarded-for", "127.0.0.3");
        let _ = status_of(req).await?;
    }
    let direct_url = format!("{}/api/v1/tges", api.url());
    assert!(locked_out(&direct, &direct_url, &good).await?);
    assert_eq!(
        status_of(other.get(&list).bearer_auth(&good)).await?,
        StatusCode::OK,
        "still served after the direct client's guesses"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn api_sources_hide_query_strings_and_userinfo_from_read_keys() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = swarm_tests::QueenProc::start(&db.url, &[]).await?;
    let source = format!("secret-feed-{:x}", rand::random::<u32>());
    let url = "https://reader:hunter2@feeds.example.test/v1/news?api_key=sk-live-123&lang=en";
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
            url,
        ],
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let api = ApiProc::start(
        &db.url,
        &[
            ("QUEEN__API__QUEEN_URL", &queen.addr()),
            ("QUEEN__API__ANONYMOUS_READ", "true"),
        ],
    )
    .await?;
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    memory
        .set(
            &swarm_memory::layout::source_error_key(&source),
            "error sending request for url (https://feeds.example.test/v1/news?api_key=sk-live-123): timed out",
            Duration::from_secs(600),
        )
        .await?;
    let (reader, admin) = (key(&db, Scope::Read).await?, key(&db, Scope::Admin).await?);
    let client = reqwest::Client::new();
    let listed = |key: Option<String>| {
        let (client, url, source) = (
            client.clone(),
            format!("{}/api/v1/sources", api.url()),
            source.clone(),
        );
        async move {
            let mut req = client.get(&url);
            if let Some(key) = &key {
                req = req.bearer_auth(key);
            }
            let body: Value = req.send().await?.json().await?;
            body["items"]
                .as_array()
                .and_then(|items| items.iter().find(|s| s["source_id"] == source.as_str()))
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("{source} not listed: {body}"))
        }
    };
    for who in [Some(reader), None] {
        let shown = listed(who).await?;
        assert_eq!(
            shown["url"], "https://…@feeds.example.test/v1/news?…",
            "{shown}"
        );
        assert_eq!(
            shown["last_error"],
            "error sending request for url (https://feeds.example.test/v1/news?…): timed out"
        );
        assert!(!shown.to_string().contains("sk-live-123"), "{shown}");
        assert!(!shown.to_string().contains("hunter2"), "{shown}");
    }
    let whole = listed(Some(admin)).await?;
    assert_eq!(whole["url"], url, "admins see the URL as configured");
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn api_evidence_links_are_only_http_or_https() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[("QUEEN__API__ANONYMOUS_READ", "true")]).await?;
    // ingestion: the coordinator's synthesis into PostgreSQL
    let events = tge_events::PgEvents::connect(&db.url, 2).await?;
    let report = |id: &str, url: &str| swarm_types::finding::Detection {
        id: id.into(),
        document_id: format!("doc-{id}"),
        source_id: format!("src-{id}"),
        source_kind: "rss".into(),
        url: url.into(),
        project: "Quillmarsh".into(),
        symbol: Some("QMR".into()),
        status: swarm_types::finding::Status::Scheduled,
        event_date: Some("2027-08-02".into()),
        date_precision: "day".into(),
        confidence: 0.8,
        snippet: "Quillmarsh schedules its token generation event for August 2".into(),
        watchlist: false,
        observed_unix_ms: swarm_common::time::now_ms(),
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: Some("en".into()),
    };
    let hostile = [
        "javascript:alert(document.cookie)",
        " JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
    ];
    let mut records: Vec<Record> = hostile
        .iter()
        .enumerate()
        .map(|(n, url)| Record::Report(report(&format!("bad{n}"), url)))
        .collect();
    records.push(Record::Report(report(
        "good",
        "https://news.example.test/quillmarsh",
    )));
    events.apply_batch(&records).await?;
    let stored: Vec<String> = sqlx::query_scalar("SELECT url FROM evidence ORDER BY finding_id")
        .fetch_all(&mut db.connect().await?)
        .await?;
    assert_eq!(
        stored,
        ["", "", "", "", "https://news.example.test/quillmarsh"],
        "bad0..bad3 kept without their links, good with it"
    );
    // a row stored before the check (written directly) is not served either
    let id: i64 = sqlx::query_scalar("SELECT event_id FROM evidence LIMIT 1")
        .fetch_one(&mut db.connect().await?)
        .await?;
    sqlx::query(
        "INSERT INTO evidence (finding_id, event_id, document_id, source_id, source_kind, url,
            snippet, status, confidence, observed_at)
         VALUES ('legacy', $1, 'doc-legacy', 'src-legacy', 'rss', 'javascript:alert(2)',
            'an old row', 'scheduled', 0.5, now())",
    )
    .bind(id)
    .execute(&mut db.connect().await?)
    .await?;
    let body: Value = reqwest::get(format!("{}/api/v1/tges/{id}", api.url()))
        .await?
        .json()
        .await?;
    let urls: Vec<&str> = body["evidence"]
        .as_array()
        .map(|e| e.iter().filter_map(|v| v["url"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(urls.len(), 6, "{body}");
    assert!(
        urls.iter()
            .all(|u| u.is_empty() || u.starts_with("https://")),
        "{urls:?}"
    );
    let text = body.to_string().to_lowercase();
    for scheme in ["javascript:", "data:", "vbscript:"] {
        assert!(!text.contains(scheme), "{scheme} served: {body}");
    }
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn api_ready_says_only_whether_is_limited_and_is_not_public_behind_haproxy()
-> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[]).await?;
    let server = format!("127.0.0.1:{}", api.port);
    let proxy = HaproxyProc::start([&server, &server]).await?;
    // HAProxy's own checks reach /ready (the servers are UP), the public does not
    let public = client_from(2)?;
    let r = public.get(format!("{}/ready", proxy.url())).send().await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = public.get(format!("{}/health", proxy.url())).send().await?;
    assert_eq!(r.status(), StatusCode::OK);

    // directly: a JSON yes/no, and limited per address
    let direct = client_from(5)?;
    let ready = format!("{}/ready", api.url());
    let r = direct.get(&ready).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await?, serde_json::json!({"ready": true}));
    let mut limited = false;
    for _ in 0..40 {
        if direct.get(&ready).send().await?.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "/ready is rate limited");
    // HAProxy's checks have their own bucket: its servers stay UP
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.wait_up(2).await?;

    // the database gone: 503 with no word of why (that goes to the log)
    db.drop_db().await;
    let fresh = client_from(6)?;
    let body = wait_until(Duration::from_secs(20), "/ready to fail", || {
        let (fresh, ready) = (fresh.clone(), ready.clone());
        async move {
            let r = fresh.get(&ready).send().await.ok()?;
            (r.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(())?;
            r.text().await.ok()
        }
    })
    .await?;
    assert_eq!(body, r#"{"ready":false}"#, "no backend error text");
    let logged = wait_until(Duration::from_secs(5), "the reason logged", || async {
        api.log_text().contains("not ready").then_some(())
    })
    .await;
    assert!(logged.is_ok(), "{}", api.log_text());
    Ok(())
}

#[tokio::test]
async fn api_haproxy_serves_prometheus_to_internal_networks_only() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[("QUEEN__API__ANONYMOUS_READ", "true")]).await?;
    let server = format!("127.0.0.1:{}", api.port);
    let proxy = HaproxyProc::start([&server, &server]).await?;
    let path = format!("{}/prometheus/api/v1/query?query=up", proxy.url());
    // 127.0.0.2 is not in INTERNAL_NETS (default: 127.0.0.1/32, ::1)
    let outside = client_from(2)?;
    assert_eq!(
        outside.get(&path).send().await?.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        outside
            .get(format!("{}/prometheus", proxy.url()))
            .send()
            .await?
            .status(),
        StatusCode::FORBIDDEN
    );
    // from loopback the request is passed on (no Prometheus runs in the
    // test: HAProxy answers 503 for the backend, not 403)
    let inside = client_from(1)?;
    assert_eq!(
        inside.get(&path).send().await?.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // the API is unaffected
    assert_eq!(
        outside
            .get(format!("{}/api/v1/tges", proxy.url()))
            .send()
            .await?
            .status(),
        StatusCode::OK
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn api_bad_parameters_get_problems_never_a_database_error() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(
        &db.url,
        &[
            ("QUEEN__API__ANONYMOUS_READ", "true"),
            ("QUEEN__API__ANONYMOUS_RATE_PER_SEC", "1000"),
        ],
    )
    .await?;
    for (path, param) in [
        ("/api/v1/tges?project_prefix=nova%00", "project_prefix"),
        ("/api/v1/tges?project=%00", "project"),
        ("/api/v1/tges?source_kind=rss%00x", "source_kind"),
        ("/api/v1/projects?prefix=%00", "prefix"),
        ("/api/v1/tges/%FF%FE", "id"),
    ] {
        let r = reqwest::get(format!("{}{path}", api.url())).await?;
        let status = r.status();
        let ctype = r.headers()["content-type"].to_str()?.to_string();
        let body: Value = r.json().await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(ctype, "application/problem+json", "{path}");
        assert_eq!(body["param"], param, "{path}: {body}");
    }
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn api_haproxy_with_tls_redirects_plain_http_and_sends_hsts() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let api = ApiProc::start(&db.url, &[("QUEEN__API__ANONYMOUS_READ", "true")]).await?;
    let tls = swarm_tests::tls::self_signed_loopback().await?;
    let (dir, cert, pem) = (tls.dir, tls.cert_pem, tls.bundle);
    let server = format!("127.0.0.1:{}", api.port);
    let proxy = HaproxyProc::start_with_tls([&server, &server], Some(&pem)).await?;
    let tls_port = proxy.tls_port.unwrap_or_default();
    let plain = client_from(1)?;
    for path in ["/api/v1/tges?limit=1", "/api/v1/openapi.json", "/health"] {
        let r = plain.get(format!("{}{path}", proxy.url())).send().await?;
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
        let location = r.headers()["location"].to_str()?.to_string();
        assert_eq!(location, format!("https://127.0.0.1:{tls_port}{path}"));
        let body = r.text().await?;
        assert!(
            !body.contains("items") && !body.contains("openapi"),
            "{body}"
        );
    }
    let post = plain
        .post(format!("{}/api/v1/admin/cache/refresh", proxy.url()))
        .send()
        .await?;
    assert_eq!(post.status(), StatusCode::PERMANENT_REDIRECT);
    let secure = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&cert)?])
        .build()?;
    let r = secure
        .get(format!("https://127.0.0.1:{tls_port}/api/v1/tges"))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    let hsts = r
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        hsts.starts_with("max-age=") && hsts != "max-age=0",
        "{hsts}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    db.drop_db().await;
    Ok(())
}
