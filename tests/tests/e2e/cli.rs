//! The operator's view: queenctl against a live queen (dead letters,
//! replay, stats, errors and exit codes, API keys over gRPC) and the
//! /metrics endpoint.

use std::time::Duration;

use swarm_proto::{Priority, TaskState};
use swarm_tests::{AgentProc, QueenProc, TestDb, http_get, queenctl, wait_until};

use crate::{KIND, noop, submit, wait_drained};

#[tokio::test]
async fn dead_letter_after_max_attempts_then_replay_from_the_cli() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen =
        QueenProc::start(&db.url, &[("QUEEN__DEFAULT_POLICY__BACKOFF_BASE_MS", "20")]).await?;
    let addr = queen.addr();
    // a broken deployment: this agent fails every "flaky" task
    let mut broken = AgentProc::start(&addr, KIND, "broken", 2, &["--fail-noop-label", "flaky"])?;
    let mut spec = noop(Priority::Normal, 0, "flaky");
    spec.max_attempts = 3;
    let id = submit(&queen, vec![spec]).await?[0];
    let dead = wait_until(
        Duration::from_secs(20),
        "the task to be dead-lettered",
        || {
            let addr = addr.clone();
            async move {
                let (code, out, _) = queenctl(&addr, &["--json", "dlq", "list"]).await.ok()?;
                let list: serde_json::Value = serde_json::from_str(&out).ok()?;
                (code == 0 && list.as_array()?.len() == 1).then_some(list)
            }
        },
    )
    .await?;
    assert_eq!(dead[0]["id"], id);
    assert_eq!(dead[0]["attempt"], 3);
    assert_eq!(dead[0]["state"], "dead");
    assert!(
        dead[0]["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("fault injected")
    );
    let (_, table, _) = queenctl(&addr, &["dlq", "list"]).await?;
    assert!(table.starts_with("ID"), "human table:\n{table}");
    assert!(table.contains(&id.to_string()));

    // the fix is deployed, then the dead letter is replayed
    broken.kill().await;
    let fixed = AgentProc::start(&addr, KIND, "fixed", 2, &[])?;
    let (code, out, err) = queenctl(&addr, &["dlq", "replay", &id.to_string()]).await?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("replayed 1"), "{out}");
    wait_drained(&queen, Duration::from_secs(20)).await?;
    assert_eq!(fixed.completed(), vec![id]);
    let (_, out, _) = queenctl(&addr, &["--json", "tasks", "get", &id.to_string()]).await?;
    let task: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(task[0]["state"], TaskState::Completed.name());
    let (_, out, _) = queenctl(&addr, &["--json", "dlq", "list"]).await?;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out)?,
        serde_json::json!([])
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn cli_reports_errors_with_non_zero_exit_codes() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let addr = queen.addr();
    let (code, _, err) = queenctl(&addr, &["tasks", "get", "424242"]).await?;
    assert_ne!(code, 0);
    assert!(err.contains("not found"), "{err}");
    let (code, _, err) = queenctl(&addr, &["pause", "astrologer"]).await?;
    assert_eq!(code, 2, "usage error");
    assert!(err.contains("unknown kind"), "{err}");
    let (code, _, err) = queenctl(&addr, &["tasks", "submit", "noop"]).await?;
    assert_ne!(code, 0);
    assert!(err.contains("explicit kind"), "{err}");
    let (code, _, err) = queenctl("http://127.0.0.1:1", &["stats"]).await?;
    assert_ne!(code, 0);
    assert!(err.contains("cannot reach the queen"), "{err}");

    let (code, out, _) = queenctl(
        &addr,
        &["tasks", "submit", "--kind", KIND, "--count", "3", "noop"],
    )
    .await?;
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = queenctl(&addr, &["--json", "stats"]).await?;
    assert_eq!(code, 0);
    let stats: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(stats["submitted"], 3);
    let dq = stats["kinds"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["kind"] == KIND))
        .cloned();
    assert_eq!(
        dq.map(|k| k["ready"]["normal"].clone()),
        Some(serde_json::json!(3))
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn metrics_endpoint_exports_queue_and_agent_metrics() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let _agent = AgentProc::start(&queen.addr(), KIND, "metered", 2, &[])?;
    submit(&queen, vec![noop(Priority::Normal, 0, ""); 5]).await?;
    wait_drained(&queen, Duration::from_secs(20)).await?;
    let url = format!("http://127.0.0.1:{}/metrics", queen.metrics_port);
    let text = wait_until(Duration::from_secs(10), "gauges to refresh", || {
        let url = url.clone();
        async move {
            let text = http_get(&url).await.ok()?;
            text.contains("swarm_agents_connected{kind=\"data-quality\"} 1")
                .then_some(text)
        }
    })
    .await?;
    for name in [
        "swarm_queue_depth{kind=\"data-quality\",priority=\"normal\"}",
        "swarm_leases_outstanding",
        "swarm_task_outcomes_total{kind=\"data-quality\",outcome=\"completed\"} 5",
        "swarm_dispatch_latency_seconds_bucket",
        "swarm_persist_commit_seconds",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
    let ready = http_get(&format!("http://127.0.0.1:{}/ready", queen.metrics_port)).await?;
    assert!(ready.contains("ready"));
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn keys_are_created_listed_and_revoked_through_the_queen() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[]).await?;
    let addr = queen.addr();
    let (code, out, err) = queenctl(
        &addr,
        &[
            "--json", "keys", "create", "--scope", "admin", "--name", "ops", "--rate", "5",
        ],
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out)?;
    let key = created["key"].as_str().unwrap_or_default();
    let id = created["info"]["id"].as_i64().unwrap_or_default();
    assert!(key.starts_with("tge_") && key.len() == 52, "{out}");
    assert_eq!(created["info"]["scope"], "admin");
    assert_eq!(created["info"]["rate_per_sec"], 5.0);
    assert!(key.starts_with(created["info"]["key_prefix"].as_str().unwrap_or("-")));
    // kept hashed in the queen's database
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_all(&mut db.connect().await?)
        .await?;
    assert_eq!(hashes.len(), 1);

    let (code, out, _) = queenctl(&addr, &["--json", "keys", "list"]).await?;
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(listed[0]["id"], id, "{listed}");
    assert_eq!(listed[0]["revoked_at"], serde_json::Value::Null);
    assert!(!out.contains(key), "the key is never shown again");
    let (code, out, err) = queenctl(&addr, &["keys", "revoke", &id.to_string()]).await?;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("revoked key {id}")), "{out}");
    let (code, _, err) = queenctl(&addr, &["keys", "revoke", &id.to_string()]).await?;
    assert_ne!(code, 0);
    assert!(
        err.contains("no live key") && err.contains("NotFound"),
        "{err}"
    );
    let (_, table, _) = queenctl(&addr, &["keys", "list"]).await?;
    assert!(table.starts_with("ID") && table.contains("ops"), "{table}");
    let row = table.lines().nth(1).unwrap_or_default();
    assert!(
        row.starts_with(&id.to_string()) && !row.ends_with(" -"),
        "revoked: {table}"
    );

    // the database option is gone: it points at --queen
    let (code, _, err) = queenctl(&addr, &["keys", "--database-url", &db.url, "list"]).await?;
    assert_ne!(code, 0);
    assert!(err.contains("--queen"), "{err}");
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn a_queen_on_the_memory_store_refuses_keys() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let queen = QueenProc::start(&db.url, &[("QUEEN__STORE", "memory")]).await?;
    let (code, _, err) = queenctl(&queen.addr(), &["keys", "create", "--scope", "read"]).await?;
    assert_ne!(code, 0);
    assert!(
        err.contains("FailedPrecondition") && err.contains("store = \"postgres\""),
        "{err}"
    );
    let (code, _, err) = queenctl(&queen.addr(), &["keys", "list"]).await?;
    assert_ne!(code, 0);
    assert!(err.contains("no API keys"), "{err}");
    db.drop_db().await;
    Ok(())
}
