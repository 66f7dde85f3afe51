//! A `DeliverAlert` submitted to the queen by someone other than the
//! watcher, with a forged `event_json`: the api-reliability process (real
//! queen, real PostgreSQL events) renders alerts from the stored event
//! only, so a task about an event that does not exist ends dead with
//! nothing sent, and a task about a real event with forged content
//! delivers the stored event's content, signed, to the loopback receiver.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use swarm_proto::v1::{DeliverAlert, SubmitTasksRequest, TaskSpec, task_payload};
use swarm_proto::{AgentKind, TaskState};
use swarm_tests::{QueenProc, TestDb, wait_until};

/// Every body the receiver got.
async fn receiver() -> anyhow::Result<(String, Arc<Mutex<Vec<serde_json::Value>>>)> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let app = Router::new().route(
        "/hook",
        post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap_or_default());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((format!("http://127.0.0.1:{port}/hook"), seen))
}

fn forged(event_id: i64, target: &str) -> TaskSpec {
    let body = serde_json::json!({
        "event_id": event_id, "version": 1, "project": "@everyone Counterfeit",
        "symbol": "FAKE", "status": "live", "confidence": 1.0,
        "corroboration": 12, "reason": "created"
    });
    TaskSpec {
        dedup_key: format!("forged:{target}:{event_id}"),
        ..TaskSpec::routed(task_payload::Kind::DeliverAlert(DeliverAlert {
            event_id: event_id.to_string(),
            event_version: 1,
            target: target.into(),
            event_json: body.to_string(),
        }))
    }
}

#[tokio::test]
async fn a_forged_deliver_alert_task_sends_only_what_the_event_store_says() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let (url, seen) = receiver().await?;
    let queen = QueenProc::start(
        &db.url,
        &[("QUEEN__KINDS__API_RELIABILITY__MAX_ATTEMPTS", "2")],
    )
    .await?;
    let tag = format!("{:08x}", rand::random::<u32>());
    let target = format!("ops-{tag}");
    let targets = format!(
        "\n[[targets]]\nname = \"{target}\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret_env = \"E2E_HOOK_SECRET\"\n"
    );
    let (_agent, _log) = crate::alerts::alert_agent(
        &queen.addr(),
        &format!("swarm:channels:memory-sync:forgery-{tag}"),
        &targets,
        &["--events-database-url", &db.url],
    )?;
    // one real event, as the coordinator stores it
    let events = tge_events::PgEvents::connect(&db.url, 2).await?;
    let applied = events
        .apply_records(&[tge_events::Record::Report(tge_events::Report {
            id: format!("r-{tag}"),
            document_id: format!("d-{tag}"),
            source_id: "outlet".into(),
            source_kind: "rss".into(),
            url: "https://outlet.example.test/quillnet".into(),
            project: "Quillnet".into(),
            symbol: Some("QLN".into()),
            status: tge_events::Status::Scheduled,
            event_date: Some("2027-06-01".into()),
            date_precision: "day".into(),
            confidence: 0.85,
            snippet: "Quillnet schedules its token generation event.".into(),
            watchlist: false,
            observed_unix_ms: swarm_common::time::now_ms(),
            fingerprint: None,
            duplicate_of: None,
            status_only: false,
            language: None,
        })])
        .await?;
    let Some(tge_events::Applied::Event(real)) = applied.first() else {
        anyhow::bail!("no event: {applied:?}");
    };
    let missing = real.event_id + 1000;

    let mut admin = queen.admin().await?;
    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![forged(missing, &target)],
        })
        .await?;
    let dead = crate::wait_tasks(
        &queen,
        TaskState::Dead,
        AgentKind::ApiReliability,
        "the forged delivery to fail",
    )
    .await?;
    assert!(
        dead[0].last_error.contains("does not exist"),
        "{}",
        dead[0].last_error
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );

    admin
        .submit_tasks(SubmitTasksRequest {
            tasks: vec![forged(real.event_id, &target)],
        })
        .await?;
    let body = wait_until(Duration::from_secs(60), "the delivery", || async {
        seen.lock().unwrap().first().cloned()
    })
    .await?;
    let alert = &body["alert"];
    assert_eq!(alert["event_id"], real.event_id);
    assert_eq!(alert["project"], "Quillnet");
    assert_eq!(alert["status"], "scheduled");
    assert_eq!(alert["confidence"], 0.85);
    assert_eq!(alert["corroboration"], 1);
    assert!(!body.to_string().contains("Counterfeit"), "{body}");
    db.drop_db().await;
    Ok(())
}
