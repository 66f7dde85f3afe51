//! Wires a queen process together: store, scheduler, credentials, gRPC
//! (gateway and admin behind the credential check, health, optional
//! reflection, optional TLS) and the ops endpoint; and takes it apart in order on
//! shutdown: stop leasing, let agents finish (within the grace period),
//! flush every write, close agent streams, stop the servers.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use swarm_common::ops::{self, Readiness};
use swarm_common::redact::redact_url;
use swarm_proto::v1::agent_gateway_server::AgentGatewayServer;
use swarm_proto::v1::queen_admin_server::QueenAdminServer;
use tokio::sync::watch;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::Queen;
use crate::api_keys::ApiKeys;
use crate::auth::store::{CredentialStore, FileCredentials, PgCredentials};
use crate::auth::{Authenticator, Gatekeeper};
use crate::config::{QueenConfig, StoreKind};
use crate::grpc::{AdminService, GatewayService};
use crate::handle::Tasks;
use crate::store::{FileStore, MemoryStore, PostgresStore, Store};

/// Largest gRPC message accepted (a big submit batch).
const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// A started queen.
pub struct Running {
    /// Handle to the running queen (scheduler, admin operations).
    pub queen: Queen,
    /// Address the gRPC server is bound to (the actual port when 0 was asked).
    pub grpc_addr: SocketAddr,
    /// Address the `/health`, `/ready` and `/metrics` server is bound to.
    pub metrics_addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    tasks: Tasks,
    readiness: Readiness,
    /// The query API, when enabled.
    pub api: Option<tge_api::Server>,
    /// The breaker loop (with `memory_url`).
    memory_loops: Vec<tokio::task::JoinHandle<()>>,
    /// Reloads gRPC credentials from their store.
    auth_reload: tokio::task::JoinHandle<()>,
}

/// Opens the configured store.
///
/// # Errors
///
/// The database is unreachable or its migrations fail.
pub async fn open_store(config: &QueenConfig) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match config.store {
        StoreKind::Postgres => Arc::new(
            PostgresStore::connect(&config.database_url)
                .await
                .with_context(|| {
                    format!(
                        "opening the queue in PostgreSQL ({})",
                        redact_url(&config.database_url)
                    )
                })?,
        ),
        StoreKind::File => Arc::new(FileStore::open(&config.journal_path).with_context(|| {
            format!(
                "opening the queue journal {}",
                config.journal_path.display()
            )
        })?),
        StoreKind::Memory => {
            tracing::warn!("queue kept in memory only: tasks do not survive a restart");
            Arc::new(MemoryStore::default())
        }
    })
}

/// Starts a queen on the configured store and addresses.
///
/// # Errors
///
/// Invalid configuration, an unreachable store, or an address in use.
pub async fn start(config: QueenConfig) -> anyhow::Result<Running> {
    config.validate().context("invalid queen configuration")?;
    let store = open_store(&config).await?;
    start_with_store(config, store).await
}

/// Starts a queen on an already opened store.
///
/// # Errors
///
/// The store cannot be read or an address is in use.
pub async fn start_with_store(
    config: QueenConfig,
    store: Arc<dyn Store>,
) -> anyhow::Result<Running> {
    start_inner(config, store, None).await
}

/// Starts a queen on the configured store that honours source breakers
/// through `memory` (the embedded run shares its in-process memory this
/// way).
///
/// # Errors
///
/// As [`start`].
pub async fn start_with_memory(
    config: QueenConfig,
    memory: Arc<dyn swarm_memory::Memory>,
) -> anyhow::Result<Running> {
    config.validate().context("invalid queen configuration")?;
    let store = open_store(&config).await?;
    start_inner(config, store, Some(memory)).await
}

async fn start_inner(
    config: QueenConfig,
    store: Arc<dyn Store>,
    memory: Option<Arc<dyn swarm_memory::Memory>>,
) -> anyhow::Result<Running> {
    let (queen, tasks) = Queen::start(config.clone(), store)
        .await
        .context("restoring the queue")?;
    for (id, source) in &config.sources {
        let schedule = source.schedule(id);
        queen
            .with_durable(|s, now| s.upsert_schedule(schedule, now))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .map_err(|e| anyhow::anyhow!("source `{id}`: {e}"))?;
    }
    // sources live in the configuration: a `source:` schedule whose table
    // was removed stops polling
    let stale: Vec<String> = queen
        .lock()
        .schedules()
        .into_iter()
        .map(|s| s.name)
        .filter(|name| {
            swarm_proto::names::schedule_source(name)
                .is_some_and(|id| !config.sources.contains_key(id))
        })
        .collect();
    for name in stale {
        queen
            .with_durable(|s, _| s.delete_schedule(&name))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing::info!(schedule = %name, "source no longer configured: its schedule is removed");
    }
    if !config.sources.is_empty() {
        tracing::info!(
            sources = config.sources.len(),
            "configured sources scheduled"
        );
    }
    let memory_loops = start_memory_loops(&config, &queen, memory).await?;
    // the API's backends first: API keys are administered on its pool
    let api_backends = if config.api.enabled {
        let mut backends = tge_api::connect(&config.api, &config.database_url).await?;
        backends.schedules = Arc::new(crate::api_schedules::InProcess(queen.clone()));
        Some(backends)
    } else {
        None
    };
    let keys = Arc::new(ApiKeys::new(
        &config,
        api_backends.as_ref().and_then(|b| b.keys.clone()),
    ));
    let credentials = Arc::new(open_credentials(&config).await?);
    let (stop, stop_rx) = watch::channel(false);
    let readiness = Readiness::default();

    let incoming = TcpIncoming::bind(config.grpc_addr)
        .with_context(|| format!("binding gRPC on {}", config.grpc_addr))?
        .with_nodelay(Some(true));
    let grpc_addr = incoming.local_addr()?;

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<AgentGatewayServer<GatewayService>>()
        .await;
    health.set_serving::<QueenAdminServer<AdminService>>().await;
    let reflection = if config.grpc_reflection {
        Some(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(swarm_proto::FILE_DESCRIPTOR_SET)
                .build_v1()
                .context("building gRPC reflection")?,
        )
    } else {
        None
    };
    let gatekeeper = Gatekeeper(credentials.clone());
    let gateway = InterceptedService::new(
        AgentGatewayServer::new(GatewayService::new(queen.clone(), credentials.clone()))
            .max_decoding_message_size(MAX_MESSAGE_BYTES),
        gatekeeper.clone(),
    );
    let admin = InterceptedService::new(
        QueenAdminServer::new(AdminService::new(queen.clone(), keys, credentials.clone()))
            .max_decoding_message_size(MAX_MESSAGE_BYTES),
        gatekeeper,
    );
    let mut builder = Server::builder();
    if let Some(tls) = &config.auth.tls {
        builder = builder
            .tls_config(crate::auth::tls::server_config(tls)?)
            .context("setting up TLS on the gRPC port")?;
    }
    let auth_reload = tokio::spawn(reload_credentials(credentials.clone()));
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        let result = builder
            .http2_keepalive_interval(Some(Duration::from_secs(10)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .add_service(health_service)
            .add_optional_service(reflection)
            .add_service(gateway)
            .add_service(admin)
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = server_stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(error) = result {
            tracing::error!(%error, "gRPC server failed");
        }
    });

    let mut ops_stop = stop_rx.clone();
    let metrics_addr = ops::serve(config.metrics_addr, readiness.clone(), async move {
        let _ = ops_stop.wait_for(|s| *s).await;
    })
    .await
    .with_context(|| format!("binding the metrics endpoint on {}", config.metrics_addr))?;
    let api = if let Some(backends) = api_backends {
        let mut api_stop = stop_rx.clone();
        Some(
            tge_api::serve(config.api.clone(), backends, async move {
                let _ = api_stop.wait_for(|s| *s).await;
            })
            .await?,
        )
    } else {
        None
    };
    readiness.set(true);
    tracing::info!(%grpc_addr, %metrics_addr, credentials = credentials.enforced(), tls = config.auth.tls.is_some(), "queen ready");
    Ok(Running {
        queen,
        grpc_addr,
        metrics_addr,
        stop,
        server,
        tasks,
        readiness,
        api,
        memory_loops,
        auth_reload,
    })
}

/// The gRPC credentials: configured tokens and the store that fits the
/// queue's store.
async fn open_credentials(config: &QueenConfig) -> anyhow::Result<Authenticator> {
    let store: Arc<dyn CredentialStore> = match config.store {
        StoreKind::Postgres => Arc::new(PgCredentials::open(&config.database_url).await?),
        StoreKind::File => Arc::new(FileCredentials::open(Some(
            config.auth.credentials_file.clone().unwrap_or_else(|| {
                config
                    .journal_path
                    .parent()
                    .unwrap_or_else(|| std::path::Path::new("."))
                    .join("credentials.json")
            }),
        ))?),
        StoreKind::Memory => Arc::new(FileCredentials::open(config.auth.credentials_file.clone())?),
    };
    Ok(Authenticator::open(&config.auth, store, config.grpc_addr).await?)
}

/// Reloads credentials from their store (another queen of the same
/// database may have created or revoked some) until aborted.
async fn reload_credentials(credentials: Arc<Authenticator>) {
    let mut every = tokio::time::interval(crate::auth::gatekeeper::RELOAD_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = credentials.reload().await {
            tracing::warn!(%error, "credentials not reloaded; the ones held stay in force");
        }
    }
}

/// With `memory_url`: the loop that honours source breakers.
async fn start_memory_loops(
    config: &QueenConfig,
    queen: &Queen,
    memory: Option<Arc<dyn swarm_memory::Memory>>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let memory = match (memory, &config.memory_url) {
        (Some(memory), _) => memory,
        (None, Some(url)) => swarm_memory::open(url)
            .await
            .with_context(|| format!("opening the shared memory at {}", redact_url(url)))?,
        (None, None) => return Ok(Vec::new()),
    };
    let every = Duration::from_millis(config.breaker_refresh_ms);
    tracing::info!(backend = memory.backend(), "honouring source breakers");
    Ok(vec![tokio::spawn(crate::breakers::run(
        queen.clone(),
        memory,
        every,
    ))])
}

impl Running {
    /// Graceful stop: no new leases, wait for held ones (up to the grace
    /// period), flush every write, close agent streams and servers.
    pub async fn stop(self) {
        self.readiness.set(false);
        let grace = Duration::from_millis(self.queen.config().shutdown_grace_ms);
        self.queen.shutdown(grace).await;
        self.tasks.ticker.abort();
        self.tasks.metrics.abort();
        for task in &self.memory_loops {
            task.abort();
        }
        self.auth_reload.abort();
        self.queen.with(|s, _| s.close_sessions());
        let _ = self.stop.send(true);
        let abort = self.server.abort_handle();
        if tokio::time::timeout(Duration::from_secs(3), self.server)
            .await
            .is_err()
        {
            abort.abort();
        }
        drop(self.tasks.persister);
        tracing::info!("queen stopped");
    }
}

/// Runs a queen until `shutdown` completes, then stops it gracefully.
///
/// # Errors
///
/// As [`start`].
pub async fn run(config: QueenConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let running = start(config).await?;
    shutdown.await;
    running.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{SourceConfig, SourceKind};

    fn source(url: &str) -> SourceConfig {
        SourceConfig {
            kind: SourceKind::Rss,
            url: url.into(),
            interval_ms: 60_000,
            paused: false,
            priority: None,
            json: None,
            html: None,
            query: None,
        }
    }

    #[tokio::test]
    async fn a_source_removed_from_the_config_stops_being_polled() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
        let config = |ids: &[&str]| QueenConfig {
            grpc_addr: ([127, 0, 0, 1], 0).into(),
            metrics_addr: ([127, 0, 0, 1], 0).into(),
            store: StoreKind::Memory,
            sources: ids
                .iter()
                .map(|id| (id.to_string(), source("https://news.example.test/feed")))
                .collect(),
            shutdown_grace_ms: 100,
            ..QueenConfig::default()
        };
        let names = |running: &Running| -> Vec<String> {
            let mut names: Vec<String> = running
                .queen
                .lock()
                .schedules()
                .into_iter()
                .map(|s| s.name)
                .collect();
            names.sort();
            names
        };
        let first = start_with_store(config(&["a", "b"]), store.clone())
            .await
            .expect("first start");
        first
            .queen
            .with_durable(|s, now| {
                s.upsert_schedule(
                    swarm_proto::v1::Schedule {
                        name: "nightly-report".into(),
                        task: source("https://x.test/").schedule("x").task,
                        interval_ms: 60_000,
                        ..Default::default()
                    },
                    now,
                )
            })
            .await
            .expect("durable")
            .expect("schedule");
        assert_eq!(names(&first), ["nightly-report", "source:a", "source:b"]);
        first.stop().await;
        let second = start_with_store(config(&["a"]), store)
            .await
            .expect("restart");
        assert_eq!(
            names(&second),
            ["nightly-report", "source:a"],
            "b left the config; other schedules stay"
        );
        second.stop().await;
    }
}
