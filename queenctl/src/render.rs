//! Output of queenctl: tables for people, JSON for scripts.

use serde_json::{Value, json};
use swarm_proto::names::PRIORITIES;
use swarm_proto::v1::{AgentInfo, Schedule, Stats, SubmittedTask, TaskInfo};
use swarm_proto::{AgentKind, Priority, TaskState};

use crate::table;

fn kind_name(raw: i32) -> &'static str {
    AgentKind::try_from(raw).unwrap_or_default().name()
}

fn ago(ms: i64) -> String {
    if ms <= 0 {
        return "-".into();
    }
    let secs = (swarm_common::time::now_ms() - ms) / 1000;
    match secs {
        s if s < 0 => format!("in {}s", -s),
        s if s < 120 => format!("{s}s ago"),
        s if s < 7200 => format!("{}m ago", s / 60),
        s => format!("{}h ago", s / 3600),
    }
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// A one-line confirmation.
pub fn message(json: bool, text: &str) -> String {
    if json {
        pretty(&json!({ "message": text }))
    } else {
        format!("{text}\n")
    }
}

fn task_json(info: &TaskInfo) -> Value {
    let task = info.task.clone().unwrap_or_default();
    let spec = task.spec.clone().unwrap_or_default();
    json!({
        "id": task.id,
        "state": TaskState::try_from(info.state).unwrap_or_default().name(),
        "kind": kind_name(spec.kind),
        "priority": Priority::try_from(spec.priority).unwrap_or_default().name(),
        "payload": spec.payload.as_ref().map_or("empty", swarm_proto::v1::TaskPayload::variant_name),
        "attempt": task.attempt,
        "max_attempts": task.max_attempts,
        "dedup_key": spec.dedup_key,
        "agent_id": info.agent_id,
        "created_unix_ms": task.created_unix_ms,
        "run_at_unix_ms": info.run_at_unix_ms,
        "finished_unix_ms": info.finished_unix_ms,
        "last_error": info.last_error,
    })
}

/// Tasks as a table or JSON array.
pub fn tasks(tasks: &[TaskInfo], json: bool) -> String {
    if json {
        return pretty(&Value::Array(tasks.iter().map(task_json).collect()));
    }
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .map(|info| {
            let v = task_json(info);
            let s = |k: &str| match &v[k] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            vec![
                s("id"),
                s("state"),
                s("kind"),
                s("priority"),
                s("payload"),
                format!("{}/{}", s("attempt"), s("max_attempts")),
                s("agent_id"),
                ago(info.task.as_ref().map_or(0, |t| t.created_unix_ms)),
                s("last_error"),
            ]
        })
        .collect();
    table::render(
        &[
            "ID",
            "STATE",
            "KIND",
            "PRIORITY",
            "PAYLOAD",
            "ATTEMPT",
            "AGENT",
            "CREATED",
            "LAST ERROR",
        ],
        &rows,
    )
}

/// Submitted ids.
pub fn submitted(tasks: &[SubmittedTask], json: bool) -> String {
    if json {
        return pretty(&Value::Array(
            tasks
                .iter()
                .map(|t| json!({ "id": t.id, "deduplicated": t.deduplicated }))
                .collect(),
        ));
    }
    let rows: Vec<Vec<String>> = tasks
        .iter()
        .take(20)
        .map(|t| {
            let result = if t.deduplicated {
                "existing task (dedup)"
            } else {
                "submitted"
            };
            vec![t.id.to_string(), result.into()]
        })
        .collect();
    let mut out = table::render(&["ID", "RESULT"], &rows);
    if tasks.len() > 20 {
        out.push_str(&format!("… and {} more\n", tasks.len() - 20));
    }
    out
}

/// Replayed ids.
pub fn replayed(ids: &[u64], json: bool) -> String {
    if json {
        return pretty(&json!({ "replayed": ids }));
    }
    format!("replayed {} task(s): {ids:?}\n", ids.len())
}

/// Connected agents.
pub fn agents(agents: &[AgentInfo], json: bool) -> String {
    if json {
        return pretty(&Value::Array(
            agents
                .iter()
                .map(|a| {
                    json!({
                        "agent_id": a.agent_id, "kind": kind_name(a.kind), "version": a.version,
                        "capacity": a.capacity, "credits": a.credits, "leased": a.leased,
                        "draining": a.draining, "completed": a.completed, "failed": a.failed,
                        "peer": a.peer, "session_id": a.session_id,
                        "connected_unix_ms": a.connected_unix_ms,
                        "last_seen_unix_ms": a.last_seen_unix_ms,
                    })
                })
                .collect(),
        ));
    }
    let rows: Vec<Vec<String>> = agents
        .iter()
        .map(|a| {
            vec![
                a.agent_id.clone(),
                kind_name(a.kind).into(),
                format!("{}/{}", a.leased, a.capacity),
                a.completed.to_string(),
                a.failed.to_string(),
                if a.draining { "draining" } else { "active" }.into(),
                ago(a.connected_unix_ms),
                a.peer.clone(),
            ]
        })
        .collect();
    table::render(
        &[
            "AGENT",
            "KIND",
            "LEASED/CAP",
            "DONE",
            "FAILED",
            "STATE",
            "CONNECTED",
            "PEER",
        ],
        &rows,
    )
}

/// Queue statistics.
pub fn stats(stats: &Stats, json: bool) -> String {
    let per_kind: Vec<Value> = stats
        .kinds
        .iter()
        .map(|k| {
            let ready: serde_json::Map<String, Value> = PRIORITIES
                .iter()
                .zip(&k.ready_by_priority)
                .map(|(p, n)| (p.name().to_string(), json!(n)))
                .collect();
            json!({
                "kind": kind_name(k.kind), "paused": k.paused, "ready": ready,
                "scheduled": k.scheduled, "leased": k.leased, "dead": k.dead,
                "agents": k.agents, "completed": k.completed, "failed": k.failed,
                "retried": k.retried, "recommended_replicas": k.recommended_replicas,
                "service_ms": {"mean": k.service_mean_ms, "p50": k.service_p50_ms, "p99": k.service_p99_ms},
            })
        })
        .collect();
    if json {
        return pretty(&json!({
            "epoch": stats.epoch, "started_unix_ms": stats.started_unix_ms,
            "submitted": stats.submitted, "completed": stats.completed,
            "rejected_results": stats.rejected_results, "kinds": per_kind,
        }));
    }
    let rows: Vec<Vec<String>> = stats
        .kinds
        .iter()
        .map(|k| {
            let r = |i: usize| k.ready_by_priority.get(i).copied().unwrap_or(0).to_string();
            vec![
                kind_name(k.kind).into(),
                if k.paused { "paused" } else { "running" }.into(),
                format!("{}/{}/{}/{}", r(0), r(1), r(2), r(3)),
                k.scheduled.to_string(),
                k.leased.to_string(),
                k.dead.to_string(),
                k.agents.to_string(),
                k.completed.to_string(),
                k.retried.to_string(),
                match k.service_p50_ms {
                    0.0 => "-".into(),
                    _ => format!("{:.0}/{:.0}", k.service_p50_ms, k.service_p99_ms),
                },
                match k.recommended_replicas {
                    0 => "-".into(),
                    n => n.to_string(),
                },
            ]
        })
        .collect();
    let mut out = table::render(
        &[
            "KIND",
            "STATE",
            "READY C/H/N/L",
            "SCHEDULED",
            "LEASED",
            "DEAD",
            "AGENTS",
            "COMPLETED",
            "RETRIED",
            "MS P50/P99",
            "RECOMMENDED",
        ],
        &rows,
    );
    out.push_str(&format!(
        "\nepoch {}  up since {}  submitted {}  completed {}  rejected results {}\n",
        stats.epoch,
        ago(stats.started_unix_ms),
        stats.submitted,
        stats.completed,
        stats.rejected_results
    ));
    out
}

/// Schedules.
pub fn schedules(schedules: &[Schedule], json: bool) -> String {
    let view = |s: &Schedule| {
        let spec = s.task.clone().unwrap_or_default();
        let payload = spec
            .payload
            .as_ref()
            .map_or("empty", swarm_proto::v1::TaskPayload::variant_name);
        (payload, kind_name(spec.kind))
    };
    if json {
        return pretty(&Value::Array(
            schedules
                .iter()
                .map(|s| {
                    let (payload, kind) = view(s);
                    json!({
                        "name": s.name, "kind": kind, "payload": payload,
                        "interval_ms": s.interval_ms, "paused": s.paused,
                        "next_run_unix_ms": s.next_run_unix_ms,
                    })
                })
                .collect(),
        ));
    }
    let rows: Vec<Vec<String>> = schedules
        .iter()
        .map(|s| {
            let (payload, kind) = view(s);
            vec![
                s.name.clone(),
                kind.into(),
                payload.into(),
                format!("{} ms", s.interval_ms),
                if s.paused { "paused" } else { "active" }.into(),
                ago(s.next_run_unix_ms),
            ]
        })
        .collect();
    table::render(
        &["NAME", "KIND", "PAYLOAD", "EVERY", "STATE", "NEXT RUN"],
        &rows,
    )
}
