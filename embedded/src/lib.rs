//! The whole swarm in one process, with no external service: a queen on
//! the in-memory store, one in-process agent per kind (the same runtime the
//! agent binaries use) and a demo schedule per kind, so that a fresh
//! checkout shows work flowing within seconds.
//!
//! The same library code runs as separate processes in production; this
//! crate only composes it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use agent_runtime::{AgentOptions, NoopOnly};
use queen::config::{QueenConfig, StoreKind};
use swarm_proto::names::AGENT_KINDS;
use swarm_proto::v1::{Noop, Schedule, TaskPayload, TaskSpec, task_payload};
use swarm_proto::{AgentKind, Priority};
use tokio::sync::watch;

/// Options of an embedded run.
#[derive(Debug, Clone)]
pub struct Options {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    /// Interval of each kind's demo schedule; `None` = no demo.
    pub demo_every: Option<Duration>,
    /// Capacity of each in-process agent.
    pub capacity: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            grpc_addr: ([127, 0, 0, 1], 50051).into(),
            metrics_addr: ([127, 0, 0, 1], 8001).into(),
            demo_every: Some(Duration::from_secs(2)),
            capacity: 16,
        }
    }
}

fn demo_schedule(kind: AgentKind, every: Duration) -> Schedule {
    // One kind's demo task fails its first attempt, to show retries.
    let fail_attempts = u32::from(kind == AgentKind::ApiReliability);
    Schedule {
        name: format!("demo-{}", kind.name()),
        task: Some(TaskSpec {
            kind: kind as i32,
            payload: Some(TaskPayload {
                kind: Some(task_payload::Kind::Noop(Noop {
                    sleep_ms: 50,
                    fail_attempts,
                    fail_permanently: false,
                    label: format!("demo {}", kind.name()),
                })),
            }),
            priority: Priority::Normal as i32,
            ..Default::default()
        }),
        interval_ms: every.as_millis() as u64,
        paused: false,
        next_run_unix_ms: 0,
    }
}

/// Runs the embedded swarm until `shutdown` completes.
///
/// # Errors
///
/// An address is in use.
pub async fn run(
    options: Options,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let config = QueenConfig {
        grpc_addr: options.grpc_addr,
        metrics_addr: options.metrics_addr,
        store: StoreKind::Memory,
        ..QueenConfig::default()
    };
    let running = queen::start(config).await?;
    let queen_addr = format!("http://{}", running.grpc_addr);
    let (stop_agents, stop_rx) = watch::channel(false);
    let mut agents = Vec::new();
    for kind in AGENT_KINDS {
        let mut agent = AgentOptions::new(queen_addr.clone(), kind);
        agent.agent_id = format!("{}-embedded", kind.name());
        agent.capacity = options.capacity;
        let mut rx = stop_rx.clone();
        agents.push(tokio::spawn(agent_runtime::run(
            agent,
            Arc::new(NoopOnly),
            async move {
                let _ = rx.wait_for(|s| *s).await;
            },
        )));
    }
    if let Some(every) = options.demo_every {
        running.queen.with(|s, now| {
            for kind in AGENT_KINDS {
                if let Err(error) = s.upsert_schedule(demo_schedule(kind, every), now) {
                    tracing::error!(%error, "demo schedule rejected");
                }
            }
        });
    }
    tracing::info!(grpc = %running.grpc_addr, metrics = %running.metrics_addr,
        "embedded swarm up; try `queenctl stats`, `queenctl agents`, `queenctl tasks list --state completed`");
    let reporter = tokio::spawn(report(running.queen.clone()));
    shutdown.await;
    reporter.abort();
    let _ = stop_agents.send(true);
    for agent in agents {
        let _ = agent.await;
    }
    running.stop().await;
    Ok(())
}

/// Logs a one-line summary every five seconds.
async fn report(queen: queen::Queen) {
    let mut interval = tokio::time::interval(Duration::from_secs(5));
    interval.tick().await;
    loop {
        interval.tick().await;
        let stats = queen.lock().stats();
        let retried: u64 = stats.kinds.iter().map(|k| k.retried).sum();
        let agents: u32 = stats.kinds.iter().map(|k| k.agents).sum();
        tracing::info!(
            submitted = stats.submitted,
            completed = stats.completed,
            retried,
            agents,
            "swarm progress"
        );
    }
}
