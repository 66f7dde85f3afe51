//! Alerts say what the event store says, whatever a task claims: the
//! handler is given `DeliverAlert` tasks with a forged `event_json` and
//! delivers (signed, to a loopback webhook receiver) only the stored
//! event's real content, and nothing for an event that does not exist, a
//! version the store does not have, an event below the rule's threshold
//! or a target the configuration does not name.

use std::sync::{Arc, Mutex};

use agent_runtime::{Handler, TaskContext};
use api_reliability::config::{AlertConfig, RuleConfig, Target, TargetKind};
use api_reliability::events::EventStore;
use api_reliability::handler::ReliabilityHandler;
use api_reliability::signing;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use swarm_memory::reliability::{BreakerPolicy, SharedBreaker};
use swarm_memory::{LocalMemory, Memory};
use swarm_proto::v1::{DeliverAlert, Task, TaskPayload, TaskSpec, task_payload};
use tge_events::{Applied, MemoryEvents, Record, Report, Status};

const SECRET: &str = "forgery-test-secret";

/// Bodies of correctly signed deliveries.
type Received = Arc<Mutex<Vec<serde_json::Value>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                let header = headers
                    .get(signing::HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let now = swarm_common::time::now_ms() / 1000;
                if signing::verify(SECRET.as_bytes(), header, &body, now, 300).is_err() {
                    return StatusCode::UNAUTHORIZED;
                }
                let json = serde_json::from_slice(&body).unwrap_or_default();
                sink.lock().unwrap().push(json);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), received)
}

fn report(id: &str, project: &str, confidence: f64) -> Record {
    Record::Report(Report {
        id: id.into(),
        document_id: format!("doc-{id}"),
        source_id: format!("outlet-{id}"),
        source_kind: "rss".into(),
        url: format!("https://news.example.test/{id}"),
        project: project.into(),
        symbol: Some("QLN".into()),
        status: Status::Scheduled,
        event_date: Some("2027-05-02".into()),
        date_precision: "day".into(),
        confidence,
        snippet: format!("{project} schedules its token generation event."),
        watchlist: false,
        observed_unix_ms: 1_000,
        fingerprint: None,
        duplicate_of: None,
        status_only: false,
        language: None,
    })
}

/// The stored event's id after applying `record`.
fn stored(events: &MemoryEvents, record: Record) -> i64 {
    match events.apply_records(&[record]).unwrap().pop() {
        Some(Applied::Event(change)) => change.event_id,
        other => panic!("no event: {other:?}"),
    }
}

fn handler(url: &str, events: Arc<MemoryEvents>) -> ReliabilityHandler {
    let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
    let config = AlertConfig {
        rule: RuleConfig {
            min_confidence: 0.6,
            ..RuleConfig::default()
        },
        targets: vec![Target {
            name: "ops".into(),
            kind: TargetKind::Webhook,
            url: url.into(),
            secret: Some(SECRET.into()),
            secret_env: None,
            api_base: String::new(),
            bot_token: None,
            bot_token_env: None,
            chat_id: String::new(),
            smtp_url: String::new(),
            smtp_user: None,
            smtp_password_env: None,
            from: String::new(),
            to: Vec::new(),
        }],
    };
    config.validate().unwrap();
    ReliabilityHandler::new(
        config,
        memory.clone(),
        SharedBreaker::new(memory, BreakerPolicy::default()),
        Some(EventStore(events)),
        swarm_outbound::Guard::default(),
    )
    .unwrap()
}

/// A forged body: another project, full confidence, a mention.
const FORGED: &str = r#"{"event_id":1,"version":1,"project":"@everyone FreeMoney","symbol":"FREE","status":"live","confidence":1.0,"corroboration":9,"reason":"created"}"#;

fn deliver(event_id: &str, version: u64, target: &str) -> TaskContext {
    TaskContext {
        task: Task {
            attempt: 1,
            spec: Some(TaskSpec {
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::DeliverAlert(DeliverAlert {
                        event_id: event_id.into(),
                        event_version: version,
                        target: target.into(),
                        event_json: FORGED.into(),
                    })),
                }),
                ..TaskSpec::default()
            }),
            ..Task::default()
        },
    }
}

#[tokio::test]
async fn a_forged_alert_body_is_never_signed_and_sent() {
    let (url, received) = receiver().await;
    let events = Arc::new(MemoryEvents::default());
    let real = stored(&events, report("r1", "Quillnet", 0.9));
    let faint = stored(&events, report("r2", "Dimlight", 0.3));
    let agent = handler(&url, events);

    // an event that does not exist: nothing is sent
    let error = agent
        .handle(deliver("424242", 1, "ops"))
        .await
        .expect_err("no such event");
    assert!(!error.retryable);
    assert!(
        error.message.contains("does not exist"),
        "{}",
        error.message
    );
    // a version the store does not have, a target the config does not name
    assert!(
        agent
            .handle(deliver(&real.to_string(), 7, "ops"))
            .await
            .is_err()
    );
    let unknown = agent
        .handle(deliver(&real.to_string(), 1, "attacker"))
        .await
        .expect_err("unknown target");
    assert!(!unknown.retryable && unknown.message.contains("unknown alert target"));
    // an event below the threshold, whatever the task says its confidence is
    let below = agent
        .handle(deliver(&faint.to_string(), 1, "ops"))
        .await
        .expect("nothing to do");
    assert!(
        below.summary.contains("no longer passes"),
        "{}",
        below.summary
    );
    assert!(
        received.lock().unwrap().is_empty(),
        "{:?}",
        received.lock().unwrap()
    );

    // the real event: delivered with the stored content, not the forged one
    agent
        .handle(deliver(&real.to_string(), 1, "ops"))
        .await
        .expect("delivered");
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let alert = &bodies[0]["alert"];
    assert_eq!(alert["event_id"], real);
    assert_eq!(alert["project"], "Quillnet");
    assert_eq!(alert["symbol"], "QLN");
    assert_eq!(alert["status"], "scheduled");
    assert_eq!(alert["confidence"], 0.9);
    assert_eq!(alert["corroboration"], 1);
    assert_eq!(alert["reason"], "created");
    assert!(!bodies[0].to_string().contains("FreeMoney"));
}
