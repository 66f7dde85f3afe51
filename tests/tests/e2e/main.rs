//! End-to-end tests: real queen and agent processes on loopback against
//! the real PostgreSQL. One test binary, one module per area.

mod alert_forgery;
mod alerts;
mod api;
mod api_security;
mod auth;
mod cli;
mod detection;
mod embedded;
mod events;
mod faults;
mod memory;
mod optimizer;
mod pipeline;
mod pipeline_eval;
mod protocol;
mod queue;
mod queue_security;
mod reliability;
mod sources;
mod tracing;

use std::time::Duration;

use swarm_proto::v1::{
    GetStatsRequest, GetTaskRequest, Noop, SubmitTasksRequest, TaskInfo, TaskPayload, TaskSpec,
    task_payload,
};
use swarm_proto::{AgentKind, Priority};
use swarm_tests::{QueenProc, wait_until};

/// Queue used by most tests.
pub const KIND: &str = "data-quality";

/// A noop task for [`KIND`].
pub fn noop(priority: Priority, sleep_ms: u32, label: &str) -> TaskSpec {
    TaskSpec {
        kind: AgentKind::DataQuality as i32,
        payload: Some(TaskPayload {
            kind: Some(task_payload::Kind::Noop(Noop {
                sleep_ms,
                label: label.into(),
                ..Default::default()
            })),
        }),
        priority: priority as i32,
        ..Default::default()
    }
}

/// An agent stream opened by hand: says Hello as `agent_id` of `kind`
/// through `link` (with its credential, if any); returns the sender of
/// further agent messages and the queen's answer to `Connect`.
pub async fn open_stream(
    link: &queen::client::QueenLink,
    agent_id: &str,
    kind: AgentKind,
    capacity: u32,
) -> anyhow::Result<(
    tokio::sync::mpsc::UnboundedSender<swarm_proto::v1::AgentMessage>,
    Result<tonic::Streaming<swarm_proto::v1::QueenMessage>, tonic::Status>,
)> {
    use swarm_proto::v1::agent_gateway_client::AgentGatewayClient;
    use swarm_proto::v1::{AgentMessage, Hello, agent_message};
    let channel = link.connect().await?;
    let mut client = AgentGatewayClient::with_interceptor(channel, link.interceptor());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(AgentMessage {
        msg: Some(agent_message::Msg::Hello(Hello {
            agent_id: agent_id.into(),
            kind: kind as i32,
            version: "test".into(),
            capacity,
        })),
    })?;
    let answer = client
        .connect(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .map(tonic::Response::into_inner);
    Ok((tx, answer))
}

/// Submits specs and returns their ids.
pub async fn submit(queen: &QueenProc, specs: Vec<TaskSpec>) -> anyhow::Result<Vec<u64>> {
    let mut admin = queen.admin().await?;
    let mut ids = Vec::new();
    for chunk in specs.chunks(5_000) {
        let r = admin
            .submit_tasks(SubmitTasksRequest {
                tasks: chunk.to_vec(),
            })
            .await?
            .into_inner();
        ids.extend(r.tasks.iter().map(|t| t.id));
    }
    Ok(ids)
}

/// Waits until no task is ready, scheduled or leased.
pub async fn wait_drained(queen: &QueenProc, timeout: Duration) -> anyhow::Result<()> {
    let addr = queen.addr();
    wait_until(timeout, "the queue to drain", || {
        let addr = addr.clone();
        async move {
            let mut admin = queen::client::admin(&addr).await.ok()?;
            let stats = admin.get_stats(GetStatsRequest {}).await.ok()?.into_inner();
            let busy: u64 = stats
                .kinds
                .iter()
                .map(|k| k.ready_by_priority.iter().sum::<u64>() + k.scheduled + k.leased)
                .sum();
            (busy == 0).then_some(())
        }
    })
    .await
}

/// Waits until task `id` satisfies `ready` and returns it.
pub async fn wait_task(
    queen: &QueenProc,
    id: u64,
    what: &str,
    ready: impl Fn(&TaskInfo) -> bool,
) -> anyhow::Result<TaskInfo> {
    let admin = queen.admin().await?;
    wait_until(Duration::from_secs(10), what, || {
        let mut admin = admin.clone();
        let ready = &ready;
        async move {
            let info = admin
                .get_task(GetTaskRequest { id })
                .await
                .ok()?
                .into_inner();
            ready(&info).then_some(info)
        }
    })
    .await
}

/// Waits until no task of `kind` is ready, scheduled or leased.
pub async fn wait_drained_kind(
    queen: &QueenProc,
    kind: AgentKind,
    timeout: Duration,
) -> anyhow::Result<()> {
    let addr = queen.addr();
    wait_until(timeout, "the kind's queue to drain", || {
        let addr = addr.clone();
        async move {
            let mut admin = queen::client::admin(&addr).await.ok()?;
            let stats = admin.get_stats(GetStatsRequest {}).await.ok()?.into_inner();
            let k = stats.kinds.iter().find(|k| k.kind == kind as i32)?;
            let busy = k.ready_by_priority.iter().sum::<u64>() + k.scheduled + k.leased;
            (busy == 0).then_some(())
        }
    })
    .await
}

/// Waits until some tasks of `kind` are in `state` and returns them.
pub async fn wait_tasks(
    queen: &QueenProc,
    state: swarm_proto::TaskState,
    kind: AgentKind,
    what: &str,
) -> anyhow::Result<Vec<TaskInfo>> {
    let admin = queen.admin().await?;
    wait_until(Duration::from_secs(20), what, || {
        let mut admin = admin.clone();
        async move {
            let request = swarm_proto::v1::ListTasksRequest {
                state: state as i32,
                kind: kind as i32,
                limit: 10,
            };
            let tasks = admin.list_tasks(request).await.ok()?.into_inner().tasks;
            (!tasks.is_empty()).then_some(tasks)
        }
    })
    .await
}
