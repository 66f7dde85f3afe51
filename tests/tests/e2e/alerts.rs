//! Alert delivery with real processes: the api-reliability agent watches
//! event notices on the Redis Cluster, submits delivery tasks to the queen
//! and posts signed webhooks to loopback receivers. The events are real:
//! reports applied to the test database's event store (what the
//! coordinator does), which the agent reads to render each alert.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use swarm_memory::{Memory, RedisMemory};
use swarm_proto::{AgentKind, TaskState};
use swarm_tests::{QueenProc, TestDb, bin, free_port, queenctl, redis_cluster_url, wait_until};
use swarm_types::Envelope;
use swarm_types::EventChange;
use swarm_types::Notice;
use tokio::process::{Child, Command};

const SECRET: &str = "e2e-webhook-secret";

/// What a receiver saw.
#[derive(Default)]
struct Seen {
    requests: usize,
    /// (idempotency key, body) of accepted deliveries.
    accepted: Vec<(String, String)>,
    bad_signatures: usize,
}

/// A webhook receiver answering 500 to the first `fail_first` requests.
struct Receiver {
    port: u16,
    seen: Arc<Mutex<Seen>>,
    fail_first: Arc<Mutex<usize>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> anyhow::Result<Self> {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let fail = Arc::new(Mutex::new(fail_first));
        let (s, f) = (seen.clone(), fail.clone());
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let (s, f) = (s.clone(), f.clone());
                async move {
                    let mut seen = s.lock().unwrap();
                    seen.requests += 1;
                    if seen.requests <= *f.lock().unwrap() {
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    let now = swarm_common::time::now_ms() / 1000;
                    let signed = api_reliability::signing::verify(
                        SECRET.as_bytes(),
                        &header(api_reliability::signing::HEADER),
                        &body,
                        now,
                        300,
                    );
                    if signed.is_err() {
                        seen.bad_signatures += 1;
                        return StatusCode::UNAUTHORIZED;
                    }
                    let key = header(api_reliability::signing::IDEMPOTENCY_HEADER);
                    seen.accepted
                        .push((key, String::from_utf8_lossy(&body).into_owned()));
                    StatusCode::OK
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
            seen,
            fail_first: fail,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().requests
    }

    fn accepted(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().accepted.clone()
    }
}

/// `[[targets]]` TOML of signed webhooks (name, url).
fn webhooks(targets: &[(&str, String)]) -> String {
    targets
        .iter()
        .map(|(name, url)| {
            format!("\n[[targets]]\nname = \"{name}\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret_env = \"E2E_HOOK_SECRET\"\n")
        })
        .collect()
}

/// An api-reliability agent watching `channel` with the given targets.
pub fn alert_agent(
    queen: &str,
    channel: &str,
    targets: &str,
    extra: &[&str],
) -> anyhow::Result<(Child, std::path::PathBuf)> {
    let tag = format!("{:08x}", rand::random::<u32>());
    let toml =
        format!("[rule]\nmin_confidence = 0.6\non = [\"created\", \"status_change\"]\n{targets}");
    let config = std::env::temp_dir().join(format!("alerts-{tag}.toml"));
    std::fs::write(&config, toml)?;
    let log = std::env::temp_dir().join(format!("api-reliability-{tag}.log"));
    let child = Command::new(bin("api-reliability"))
        .args(["run", "--queen", queen, "--redis-url", &redis_cluster_url()])
        .arg("--alerts")
        .arg(&config)
        .args(extra)
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .env("E2E_HOOK_SECRET", SECRET)
        // probed sources are on loopback: allow-listed (refused by default)
        .env("SWARM_OUTBOUND_ALLOW", "127.0.0.1/32")
        .env("SWARM_MEMORY_SYNC_CHANNEL", channel)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .kill_on_drop(true)
        .spawn()?;
    Ok((child, log))
}

/// Applies a report of Quillnet from `source` with `status` to the events
/// in the test database (as the coordinator does); returns the change it
/// announces.
async fn report(
    events: &tge_events::PgEvents,
    source: &str,
    status: tge_events::Status,
) -> anyhow::Result<EventChange> {
    let id = format!("{source}-{:08x}", rand::random::<u32>());
    let record = tge_events::Record::Report(tge_events::Report {
        id: id.clone(),
        document_id: id.clone(),
        source_id: source.into(),
        source_kind: "rss".into(),
        url: format!("https://{source}.example.test/{id}"),
        project: "Quillnet".into(),
        symbol: Some("QLN".into()),
        status,
        event_date: None,
        date_precision: "unknown".into(),
        confidence: 0.9,
        snippet: "Quillnet opens its token generation event.".into(),
        watchlist: false,
        observed_unix_ms: swarm_common::time::now_ms(),
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: None,
    });
    match events.apply_records(&[record]).await?.pop() {
        Some(tge_events::Applied::Event(change)) => Ok(change),
        other => anyhow::bail!("the report made no event change: {other:?}"),
    }
}

async fn publish(memory: &RedisMemory, channel: &str, change: EventChange) -> anyhow::Result<()> {
    let notice = if change.created {
        Notice::EventCreated(change)
    } else {
        Notice::EventUpdated(change)
    };
    memory
        .publish(channel, &Envelope::new("e2e", notice).to_bytes())
        .await?;
    Ok(())
}

async fn watching(log: &std::path::Path) -> anyhow::Result<()> {
    wait_until(
        Duration::from_secs(60),
        "the agent to watch events",
        || async {
            std::fs::read_to_string(log)
                .ok()?
                .contains("watching events for alerts")
                .then_some(())
        },
    )
    .await
}

async fn completed(queen: &QueenProc) -> Option<u64> {
    let mut admin = queen.admin().await.ok()?;
    let stats = admin
        .get_stats(swarm_proto::v1::GetStatsRequest {})
        .await
        .ok()?
        .into_inner();
    Some(
        stats
            .kinds
            .iter()
            .find(|k| k.kind == AgentKind::ApiReliability as i32)?
            .completed,
    )
}

#[tokio::test]
async fn a_flaky_webhook_gets_exactly_one_signed_delivery_per_event_update() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let receiver = Receiver::start(2).await?;
    let queen = QueenProc::start(
        &db.url,
        &[("QUEEN__KINDS__API_RELIABILITY__BACKOFF_BASE_MS", "50")],
    )
    .await?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let channel = format!("swarm:channels:memory-sync:e2e-{tag}");
    let target = format!("ops-{tag}");
    let (_agent, log) = alert_agent(
        &queen.addr(),
        &channel,
        &webhooks(&[(&target, receiver.url())]),
        &["--events-database-url", &db.url],
    )?;
    watching(&log).await?;
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    let events = tge_events::PgEvents::connect(&db.url, 2).await?;
    let created = report(&events, "outlet-a", tge_events::Status::Announced).await?;
    let event = created.event_id;

    publish(&memory, &channel, created.clone()).await?;
    wait_until(
        Duration::from_secs(60),
        "the delivery to succeed",
        || async { (!receiver.accepted().is_empty()).then_some(()) },
    )
    .await?;
    assert_eq!(receiver.requests(), 3, "two failures, then the delivery");

    // the same notice again (a second watcher, a replay): nothing new is sent
    publish(&memory, &channel, created).await?;
    wait_until(
        Duration::from_secs(60),
        "the duplicate task to complete",
        || async { (completed(&queen).await? >= 2).then_some(()) },
    )
    .await?;
    // an update with the same status does not pass the rule; a status change does
    let same = report(&events, "outlet-b", tge_events::Status::Announced).await?;
    assert_eq!(same.version, 2);
    publish(&memory, &channel, same).await?;
    let live = report(&events, "outlet-c", tge_events::Status::Live).await?;
    assert_eq!((live.version, live.status.as_str()), (3, "live"));
    publish(&memory, &channel, live).await?;
    wait_until(
        Duration::from_secs(60),
        "the status change to be delivered",
        || async { (receiver.accepted().len() >= 2).then_some(()) },
    )
    .await?;
    crate::wait_drained_kind(&queen, AgentKind::ApiReliability, Duration::from_secs(10)).await?;
    let accepted = receiver.accepted();
    assert_eq!(receiver.seen.lock().unwrap().bad_signatures, 0);
    let keys: Vec<&str> = accepted.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            format!("alert:{target}:{event}:1"),
            format!("alert:{target}:{event}:3")
        ]
    );
    let first: serde_json::Value = serde_json::from_str(&accepted[0].1)?;
    assert_eq!(first["alert"]["project"], "Quillnet");
    assert_eq!(first["alert"]["reason"], "created");
    let second: serde_json::Value = serde_json::from_str(&accepted[1].1)?;
    assert_eq!(second["alert"]["reason"], "status_change");
    assert_eq!(
        receiver.requests(),
        4,
        "exactly one request per delivered update"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn a_dead_target_ends_in_the_dead_letter_list_and_replays_from_queenctl() -> anyhow::Result<()>
{
    let db = TestDb::create().await?;
    let receiver = Receiver::start(usize::MAX).await?;
    let queen = QueenProc::start(
        &db.url,
        &[
            ("QUEEN__KINDS__API_RELIABILITY__BACKOFF_BASE_MS", "50"),
            ("QUEEN__KINDS__API_RELIABILITY__MAX_ATTEMPTS", "3"),
        ],
    )
    .await?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let channel = format!("swarm:channels:memory-sync:e2e-{tag}");
    let target = format!("pager-{tag}");
    let (_agent, log) = alert_agent(
        &queen.addr(),
        &channel,
        &webhooks(&[(&target, receiver.url())]),
        &["--events-database-url", &db.url],
    )?;
    watching(&log).await?;
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    let events = tge_events::PgEvents::connect(&db.url, 2).await?;
    let created = report(&events, "outlet-a", tge_events::Status::Announced).await?;
    let event = created.event_id;
    publish(&memory, &channel, created).await?;

    let dead = crate::wait_tasks(
        &queen,
        TaskState::Dead,
        AgentKind::ApiReliability,
        "the delivery to be dead-lettered",
    )
    .await?;
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].last_error.contains("HTTP 503"),
        "{}",
        dead[0].last_error
    );
    assert_eq!(receiver.requests(), 3, "one request per attempt");
    let (code, out, err) =
        queenctl(&queen.addr(), &["dlq", "list", "--kind", "api-reliability"]).await?;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("deliver_alert") && out.contains("HTTP 503"),
        "{out}"
    );

    // the target is fixed; the operator replays the dead letter
    *receiver.fail_first.lock().unwrap() = 0;
    let id = dead[0]
        .task
        .as_ref()
        .map(|t| t.id)
        .unwrap_or_default()
        .to_string();
    let (code, _, err) = queenctl(&queen.addr(), &["dlq", "replay", &id]).await?;
    assert_eq!(code, 0, "{err}");
    wait_until(Duration::from_secs(60), "the replayed delivery", || async {
        (receiver.accepted().len() == 1).then_some(())
    })
    .await?;
    assert_eq!(
        receiver.accepted()[0].0,
        format!("alert:{target}:{event}:1")
    );
    db.drop_db().await;
    Ok(())
}

/// Captures every POST: (path, body).
async fn capture() -> anyhow::Result<(u16, Arc<Mutex<Vec<(String, serde_json::Value)>>>)> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let app = Router::new().fallback(post(move |uri: axum::http::Uri, body: Bytes| {
        let s = s.clone();
        async move {
            let json = serde_json::from_slice(&body).unwrap_or_default();
            s.lock().unwrap().push((uri.path().to_string(), json));
            StatusCode::OK
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((port, seen))
}

/// A minimal SMTP server on loopback: accepts every mail and keeps its
/// DATA (enough of RFC 5321 for one client session at a time).
async fn smtp_sink() -> anyhow::Result<(u16, Arc<Mutex<Vec<String>>>)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mails = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let sink = mails.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sink = sink.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            sink.lock().unwrap().push(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-sink.test\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 end with .\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    Ok((port, mails))
}

#[tokio::test]
async fn slack_discord_telegram_and_email_targets_get_their_own_message_shapes()
-> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let (port, seen) = capture().await?;
    let (smtp_port, mails) = smtp_sink().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let channel = format!("swarm:channels:memory-sync:e2e-{tag}");
    let base = format!("http://127.0.0.1:{port}");
    let targets = format!(
        "\n[[targets]]\nname = \"slack-{tag}\"\nkind = \"slack\"\nurl = \"{base}/slack\"\n\
         \n[[targets]]\nname = \"discord-{tag}\"\nkind = \"discord\"\nurl = \"{base}/discord\"\n\
         \n[[targets]]\nname = \"tg-{tag}\"\nkind = \"telegram\"\napi_base = \"{base}\"\nbot_token = \"123:abc\"\nchat_id = \"-100777\"\n\
         \n[[targets]]\nname = \"mail-{tag}\"\nkind = \"email\"\nsmtp_url = \"smtp://127.0.0.1:{smtp_port}\"\nfrom = \"TGE Swarm <swarm@example.test>\"\nto = [\"desk@example.test\"]\n"
    );
    let (_agent, log) = alert_agent(
        &queen.addr(),
        &channel,
        &targets,
        &["--events-database-url", &db.url],
    )?;
    watching(&log).await?;
    let memory = RedisMemory::connect(&redis_cluster_url()).await?;
    let events = tge_events::PgEvents::connect(&db.url, 2).await?;
    let created = report(&events, "outlet-a", tge_events::Status::Announced).await?;
    let event = created.event_id;
    publish(&memory, &channel, created).await?;
    wait_until(Duration::from_secs(60), "three deliveries", || async {
        (seen.lock().unwrap().len() >= 3).then_some(())
    })
    .await?;
    crate::wait_drained_kind(&queen, AgentKind::ApiReliability, Duration::from_secs(10)).await?;
    let mut got = seen.lock().unwrap().clone();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, vec!["/bot123:abc/sendMessage", "/discord", "/slack"]);
    let text = got[2].1["text"].as_str().unwrap_or_default().to_string();
    assert!(text.contains("Quillnet ($QLN) is announced"), "{text}");
    assert_eq!(got[1].1["content"], text.as_str());
    assert_eq!(got[0].1["chat_id"], "-100777");
    assert_eq!(got[0].1["text"], text.as_str());
    let mail = wait_until(Duration::from_secs(60), "the email", || async {
        mails.lock().unwrap().first().cloned()
    })
    .await?;
    assert!(
        mail.contains("Subject: TGE created: Quillnet is announced"),
        "{mail}"
    );
    assert!(mail.contains("To: desk@example.test"), "{mail}");
    assert!(
        mail.contains(&format!(
            "Message-ID: <alert.mail-{tag}.{event}.1@tge-swarm>"
        )),
        "{mail}"
    );
    assert!(mail.contains("Quillnet ($QLN) is announced"), "{mail}");
    db.drop_db().await;
    Ok(())
}
