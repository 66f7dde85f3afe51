//! One trace from the submitter through the queen to the agent, and from
//! an agent's handler back into the queen (the optimizer's admin RPCs),
//! exported over OTLP to a real collector (`infra/dev/otlp-sink.sh`, which
//! logs every span it receives).

use std::collections::HashMap;
use std::time::Duration;

use swarm_tests::{AgentProc, QueenProc, TestDb, queenctl_env, wait_until};

use crate::{KIND, wait_drained};

/// A received span: (service, name, trace id, parent id, `task` attribute).
#[derive(Debug, Clone, Default)]
struct Span {
    service: String,
    name: String,
    trace_id: String,
    parent_id: String,
    task: String,
}

/// Parses the collector's detailed debug log.
fn spans(log: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut service = String::new();
    let mut current: Option<Span> = None;
    let mut in_resource = false;
    for line in log.lines() {
        let line = line.trim();
        let value = |prefix: &str| line.strip_prefix(prefix).map(|v| v.trim().to_string());
        if line.starts_with("ResourceSpans #") {
            out.extend(current.take());
            in_resource = true;
        } else if line.starts_with("ScopeSpans #") {
            in_resource = false;
        } else if let Some(v) = value("-> service.name: Str(").filter(|_| in_resource) {
            service = v.trim_end_matches(')').to_string();
        } else if line.starts_with("Span #") {
            out.extend(current.take());
            current = Some(Span {
                service: service.clone(),
                ..Span::default()
            });
        } else if let Some(span) = current.as_mut() {
            if let Some(v) = value("Trace ID       :") {
                span.trace_id = v;
            } else if let Some(v) = value("Parent ID      :") {
                span.parent_id = v;
            } else if let Some(v) = value("Name           :") {
                span.name = v;
            } else if let Some(v) = value("-> task: Str(") {
                span.task = v.trim_end_matches(')').to_string();
            }
        }
    }
    out.extend(current);
    out
}

#[tokio::test]
async fn a_submit_is_one_trace_from_queenctl_through_the_queen_to_the_agent() -> anyhow::Result<()>
{
    let (endpoint, log_path, offset) = collector()?;
    let db = TestDb::create().await?;
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let queen = QueenProc::start(&db.url, &env).await?;
    let _agent = AgentProc::start(
        &queen.addr(),
        KIND,
        "traced",
        2,
        &["--otlp-endpoint", &endpoint],
    )?;
    let (code, out, err) = queenctl_env(
        &queen.addr(),
        &[
            "--json", "tasks", "submit", "--kind", KIND, "noop", "--label", "traced",
        ],
        &env,
    )
    .await?;
    anyhow::ensure!(code == 0, "queenctl failed: {err}");
    let submitted: serde_json::Value = serde_json::from_str(&out)?;
    let id = submitted[0]["id"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no id in {out}"))?
        .to_string();
    wait_drained(&queen, Duration::from_secs(20)).await?;

    let trace = wait_until(
        Duration::from_secs(20),
        "the agent's span to reach the collector",
        || {
            let (log_path, id) = (log_path.clone(), id.clone());
            async move {
                let trace = handled_trace(&log_path, offset, &id, "swarm-agent")?;
                let services: Vec<&str> = trace.iter().map(|s| s.service.as_str()).collect();
                (services.contains(&"queenctl") && services.contains(&"queen")).then_some(trace)
            }
        },
    )
    .await?;
    let by_name: HashMap<&str, &Span> = trace.iter().map(|s| (s.name.as_str(), s)).collect();
    let root = by_name
        .get("queenctl")
        .ok_or_else(|| anyhow::anyhow!("no queenctl span: {trace:?}"))?;
    let submit = by_name
        .get("submit_tasks")
        .ok_or_else(|| anyhow::anyhow!("no submit span: {trace:?}"))?;
    let handle = by_name
        .get("handle_task")
        .ok_or_else(|| anyhow::anyhow!("no agent span: {trace:?}"))?;
    assert!(root.parent_id.is_empty(), "queenctl starts the trace");
    assert_eq!(submit.service, "queen");
    assert!(
        !submit.parent_id.is_empty(),
        "the queen's span continues the submitter's trace"
    );
    assert_eq!(handle.service, "swarm-agent");
    assert!(
        !handle.parent_id.is_empty(),
        "the agent's span has a parent in the trace"
    );
    db.drop_db().await;
    Ok(())
}

#[tokio::test]
async fn the_optimizers_recommendations_are_traced_into_the_queen() -> anyhow::Result<()> {
    let (endpoint, log_path, offset) = collector()?;
    let db = TestDb::create().await?;
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ];
    let queen = QueenProc::start(&db.url, &env).await?;
    let _optimizer = tokio::process::Command::new(swarm_tests::bin("performance-optimizer"))
        .args(["run", "--queen", &queen.addr()])
        .args(["--redis-url", &swarm_tests::redis_cluster_url()])
        .args([
            "--metrics-addr",
            &format!("127.0.0.1:{}", swarm_tests::free_port()),
        ])
        .args(["--otlp-endpoint", &endpoint])
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let optimize = swarm_proto::v1::TaskSpec {
        payload: Some(swarm_proto::v1::TaskPayload {
            kind: Some(swarm_proto::v1::task_payload::Kind::OptimizeSchedules(
                swarm_proto::v1::OptimizeSchedules { window_secs: 0 },
            )),
        }),
        ..Default::default()
    };
    let id = crate::submit(&queen, vec![optimize]).await?[0].to_string();
    let trace = wait_until(
        Duration::from_secs(30),
        "the optimizer's RPC spans to reach the collector",
        || {
            let (log_path, id) = (log_path.clone(), id.clone());
            async move {
                let trace = handled_trace(&log_path, offset, &id, "performance-optimizer")?;
                trace
                    .iter()
                    .any(|s| s.service == "queen" && s.name == "recommend_replicas")
                    .then_some(trace)
            }
        },
    )
    .await?;
    let handle = trace
        .iter()
        .find(|s| s.name == "handle_task")
        .ok_or_else(|| anyhow::anyhow!("no agent span: {trace:?}"))?;
    assert_eq!(handle.service, "performance-optimizer");
    let recommend = trace
        .iter()
        .find(|s| s.name == "recommend_replicas")
        .ok_or_else(|| anyhow::anyhow!("no queen span: {trace:?}"))?;
    assert!(
        !recommend.parent_id.is_empty(),
        "the queen's span continues the optimizer's trace"
    );
    db.drop_db().await;
    Ok(())
}

/// Every span logged after `offset` of the trace in which `service` handled
/// task `id` (task ids repeat across test databases: the service too).
fn handled_trace(log_path: &str, offset: usize, id: &str, service: &str) -> Option<Vec<Span>> {
    let text = std::fs::read(log_path).ok()?;
    let all = spans(&String::from_utf8_lossy(text.get(offset..)?));
    let handled = all
        .iter()
        .find(|s| s.name == "handle_task" && s.task == id && s.service == service)?;
    Some(
        all.iter()
            .filter(|s| s.trace_id == handled.trace_id)
            .cloned()
            .collect(),
    )
}

/// The OTLP collector's endpoint, its span log, and the log's length now
/// (only spans received after it belong to the calling test).
fn collector() -> anyhow::Result<(String, String, usize)> {
    let endpoint =
        std::env::var("SWARM_TEST_OTLP").unwrap_or_else(|_| "http://127.0.0.1:4317".into());
    let log_path =
        std::env::var("SWARM_TEST_OTLP_LOG").unwrap_or_else(|_| "/tmp/otlp-sink/spans.log".into());
    anyhow::ensure!(
        std::path::Path::new(&log_path).exists(),
        "no OTLP collector log at {log_path}: run infra/dev/otlp-sink.sh start (test.sh does)"
    );
    let offset = std::fs::metadata(&log_path).map_or(0, |m| m.len() as usize);
    Ok((endpoint, log_path, offset))
}
