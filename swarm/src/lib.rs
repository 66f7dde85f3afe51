//! The whole swarm in one process, with no external service: a queen on
//! its embedded store, the five agents (the same runtime and handlers the
//! agent binaries use: shared source breakers, alerts, adaptive
//! intervals), the memory coordinator on the in-process memory with
//! events kept in memory (journaled with a data directory), and a bundled
//! demo feed on loopback whose items appear over time — detections show up
//! in the log within seconds.
//!
//! The same library code runs as separate processes in production; this
//! crate only composes it.

pub mod credentials;
mod demo_feed;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agent_runtime::{AgentContext, AgentOptions, Component};
use api_reliability::config::AlertConfig;
use memory_coordinator::synth::Synthesizer;
use performance_optimizer::interval::IntervalPolicy;
use performance_optimizer::replicas::ReplicaPolicy;
use queen::config::{QueenConfig, StoreKind};
use queen::sources::{SourceConfig, SourceKind};
use swarm_memory::reliability::BreakerPolicy;
use swarm_memory::{Layout, LocalMemory, Memory};
use swarm_proto::v1::{OptimizeSchedules, Schedule, TaskSpec, task_payload};
use swarm_proto::{AgentKind, Priority};
use swarm_types::Envelope;
use tokio::sync::watch;

/// Options of an embedded run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address of the queen's gRPC server (agents and admin).
    pub grpc_addr: SocketAddr,
    /// Address of the queen's `/health`, `/ready` and `/metrics`.
    pub metrics_addr: SocketAddr,
    /// Address of the memory coordinator's HTTP server (health, metrics, recent findings).
    pub coordinator_addr: SocketAddr,
    /// The query API (anonymous reads; no keys in the embedded run).
    pub api_addr: SocketAddr,
    /// Serve and poll the bundled demo feed.
    pub demo_feed: bool,
    /// A new demo item appears this often.
    pub demo_every: Duration,
    /// How often the demo feed is polled.
    pub poll_every: Duration,
    /// Capacity of each in-process agent.
    pub capacity: u32,
    /// Sources to poll besides the demo feed.
    pub sources: BTreeMap<String, SourceConfig>,
    /// Where the queue and the events are journaled (`None`: memory only,
    /// a restart forgets everything).
    pub data_dir: Option<PathBuf>,
    /// Alert rule and targets (none by default).
    pub alerts: AlertConfig,
    /// How often the performance-optimizer runs.
    pub optimize_every: Duration,
    /// Bearer token of the X API for `x_search` sources (default:
    /// `SWARM_X_BEARER_TOKEN`).
    pub x_bearer_token: Option<String>,
    /// Where the run's admin token is written for `queenctl` (default:
    /// `<data_dir>/admin.token`, or a file in the temp directory without
    /// a data directory).
    pub admin_token_file: Option<PathBuf>,
    /// The only origin the X token is sent to (default: `SWARM_X_API_BASE`,
    /// else the real X API).
    pub x_api_base: String,
    /// Non-public destinations the scraper and probes may reach (CIDRs,
    /// addresses, host names; default: `SWARM_OUTBOUND_ALLOW`). The demo
    /// feed's loopback address is added when it is served.
    pub outbound_allow: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            grpc_addr: ([127, 0, 0, 1], 50051).into(),
            metrics_addr: ([127, 0, 0, 1], 8001).into(),
            coordinator_addr: ([127, 0, 0, 1], 8002).into(),
            api_addr: ([127, 0, 0, 1], 8080).into(),
            demo_feed: true,
            demo_every: Duration::from_secs(8),
            poll_every: Duration::from_secs(3),
            capacity: 16,
            sources: BTreeMap::new(),
            data_dir: None,
            alerts: AlertConfig::default(),
            optimize_every: Duration::from_secs(30),
            x_bearer_token: std::env::var("SWARM_X_BEARER_TOKEN").ok(),
            admin_token_file: None,
            x_api_base: std::env::var("SWARM_X_API_BASE").unwrap_or_default(),
            outbound_allow: std::env::var("SWARM_OUTBOUND_ALLOW")
                .map(|v| v.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
        }
    }
}

/// The five specialists, built the way their binaries build them, with
/// the embedded run's settings; each from the context `context` gives its
/// kind (its own credential); alerts are rendered from `events`.
fn components(
    options: &Options,
    context: impl Fn(AgentKind) -> anyhow::Result<AgentContext>,
    events: Arc<MemoryEvents>,
) -> anyhow::Result<Vec<Component>> {
    let mut allow = options.outbound_allow.clone();
    if options.demo_feed {
        // the bundled demo feed is served on loopback by this process
        allow.push("127.0.0.1/32".into());
    }
    let guard = swarm_outbound::Guard::new(swarm_outbound::Policy::parse(&allow)?);
    let scraping = scraping_specialist::Config {
        fetch: scraping_specialist::fetch::FetchOptions {
            host_rate_per_sec: 20.0,
            outbound: guard.clone(),
            ..Default::default()
        },
        x_bearer_token: options.x_bearer_token.clone(),
        x_api_base: options.x_api_base.clone(),
        ..Default::default()
    };
    let reliability = api_reliability::Config {
        alerts: options.alerts.clone(),
        breaker: BreakerPolicy::default(),
        events: Some(api_reliability::events::EventStore(events)),
        outbound: guard,
    };
    let optimizer = performance_optimizer::Config {
        // the demo polls every few seconds: keep it in that range
        intervals: IntervalPolicy {
            min_ms: 1_000,
            max_ms: 60_000,
            ..IntervalPolicy::default()
        },
        replicas: ReplicaPolicy::default(),
        default_service_secs: 0.05,
        default_capacity: 16,
    };
    Ok(vec![
        scraping_specialist::build(scraping, &context(AgentKind::ScrapingSpecialist)?)?,
        keyword_precision::agent::build(Default::default(), &context(AgentKind::KeywordPrecision)?),
        data_quality::build(
            data_quality::Config::default(),
            &context(AgentKind::DataQuality)?,
        ),
        api_reliability::build(reliability, &context(AgentKind::ApiReliability)?)?,
        performance_optimizer::build(optimizer, &context(AgentKind::PerformanceOptimizer)?),
    ])
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
    let mut config = QueenConfig {
        grpc_addr: options.grpc_addr,
        metrics_addr: options.metrics_addr,
        store: StoreKind::Memory,
        sources: options.sources.clone(),
        ..QueenConfig::default()
    };
    let credentials = credentials::RunCredentials::generate();
    config.auth = credentials.auth_config();
    if let Some(dir) = &options.data_dir {
        config.store = StoreKind::File;
        config.journal_path = dir.join("queue.journal");
    }
    if options.demo_feed {
        let url = demo_feed::serve(([127, 0, 0, 1], 0).into(), options.demo_every).await?;
        tracing::info!(%url, "demo feed up; new items appear every {:?}", options.demo_every);
        config.sources.insert(
            "demo-feed".into(),
            SourceConfig {
                kind: SourceKind::Rss,
                url,
                interval_ms: options.poll_every.as_millis() as u64,
                paused: false,
                priority: None,
                json: None,
                html: None,
                query: None,
            },
        );
    }
    let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
    let layout = Layout::default();
    let running = queen::run::start_with_memory(config, memory.clone()).await?;
    let queen_addr = format!("http://{}", running.grpc_addr);
    let token_file = options
        .admin_token_file
        .clone()
        .unwrap_or_else(|| match &options.data_dir {
            Some(dir) => dir.join("admin.token"),
            None => {
                std::env::temp_dir().join(format!("tge-swarm-{}.token", running.grpc_addr.port()))
            }
        });
    let token_file = credentials.write_admin_token(&token_file)?;
    let (stop, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };

    let (synth, events) = match &options.data_dir {
        Some(dir) => Synthesizer::journaled(&dir.join("events.journal"))?,
        None => Synthesizer::in_memory(),
    };
    if let Some(dir) = &options.data_dir {
        tracing::info!(
            data_dir = %dir.display(),
            events = events.events().len(),
            "queue and events journaled; events restored"
        );
    }
    let coordinator = tokio::spawn(memory_coordinator::service::run(
        memory.clone(),
        synth,
        memory_coordinator::service::Options {
            layout: layout.clone(),
            consumer: "embedded".into(),
            http_addr: options.coordinator_addr,
            ..Default::default()
        },
        stopped(stop_rx.clone()),
    ));
    let api = serve_api(
        &options,
        &layout,
        &running,
        events.clone(),
        memory.clone(),
        stopped(stop_rx.clone()),
    )
    .await?;
    let context = |kind| {
        anyhow::Ok(AgentContext::new(
            memory.clone(),
            layout.clone(),
            credentials.agent_link(&queen_addr, kind)?,
        ))
    };
    let mut agents = Vec::new();
    for component in components(&options, context, events.clone())? {
        let mut agent = AgentOptions::new(
            credentials.agent_link(&queen_addr, component.kind)?,
            component.kind,
        );
        agent.agent_id = format!("{}-embedded", component.kind.name());
        agent.capacity = options.capacity;
        agents.push(tokio::spawn(component.run(agent, stopped(stop_rx.clone()))));
    }
    let optimize = Schedule {
        name: "optimize".into(),
        task: Some(TaskSpec {
            priority: Priority::Low as i32,
            ..TaskSpec::routed(task_payload::Kind::OptimizeSchedules(OptimizeSchedules {
                window_secs: 300,
            }))
        }),
        interval_ms: options.optimize_every.as_millis() as u64,
        paused: false,
        next_run_unix_ms: 0,
    };
    running
        .queen
        .with_durable(|s, now| s.upsert_schedule(optimize, now))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .map_err(|e| anyhow::anyhow!("the optimizer schedule: {e}"))?;
    let mut notices = memory
        .subscribe(std::slice::from_ref(&layout.memory_sync_channel))
        .await?;
    let announcer = tokio::spawn(async move {
        while let Some((_, payload)) = notices.recv().await {
            if let Ok(env) = Envelope::<serde_json::Value>::from_bytes(&payload) {
                let b = env.body;
                tracing::info!(
                    project = %b["project"].as_str().unwrap_or("?"),
                    symbol = %b["symbol"].as_str().unwrap_or("-"),
                    status = %b["status"].as_str().unwrap_or("?"),
                    confidence = format!("{:.2}", b["confidence"].as_f64().unwrap_or(0.0)),
                    corroboration = b["corroboration"].as_i64().unwrap_or(0),
                    "TGE {}", if b["type"] == "event_created" { "detected" } else { "updated" }
                );
            }
        }
    });
    tracing::info!(grpc = %running.grpc_addr, metrics = %running.metrics_addr, coordinator = %options.coordinator_addr, api = %api,
        admin_token = %token_file.display(),
        "embedded swarm up; try `queenctl stats`, `queenctl agents` (SWARM_QUEEN_TOKEN_FILE={}), curl http://{api}/api/v1/tges", token_file.display());
    shutdown.await;
    let _ = stop.send(true);
    for agent in agents {
        let _ = agent.await;
    }
    let _ = coordinator.await;
    announcer.abort();
    running.stop().await;
    tracing::info!(events = events.events().len(), "embedded swarm stopped");
    Ok(())
}

/// Serves the query API over the in-process events and the queen's
/// schedules; returns its address.
async fn serve_api(
    options: &Options,
    layout: &Layout,
    running: &queen::Running,
    events: Arc<MemoryEvents>,
    memory: Arc<dyn Memory>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<SocketAddr> {
    let backends = tge_api::Backends {
        store: Arc::new(tge_api::store::MemoryApiStore::new(events)),
        schedules: Arc::new(queen::api_schedules::InProcess(running.queen.clone())),
        memory: Some(memory),
        keys: None,
    };
    let config = tge_api::ApiConfig {
        enabled: true,
        addr: options.api_addr,
        memory_url: "local".into(),
        memory_sync_channel: layout.memory_sync_channel.clone(),
        anonymous_read: true,
        ..Default::default()
    };
    Ok(tge_api::serve(config, backends, shutdown).await?.addr)
}

/// Events synthesized so far by a run (for tests of the embedded mode).
pub use memory_coordinator::synth::MemoryEvents;

/// How many items the bundled demo feed shows in all.
pub fn demo_items() -> usize {
    demo_feed::item_count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_one_process_run_builds_every_specialist_once() {
        let context = |_| {
            anyhow::Ok(AgentContext::new(
                Arc::new(LocalMemory::default()),
                Layout::default(),
                "http://127.0.0.1:1",
            ))
        };
        let mut kinds: Vec<_> = components(&Options::default(), context, Arc::default())
            .unwrap()
            .iter()
            .map(|c| c.kind)
            .collect();
        kinds.sort();
        let mut expected = swarm_proto::names::AGENT_KINDS.to_vec();
        expected.sort();
        assert_eq!(kinds, expected);
    }
}
