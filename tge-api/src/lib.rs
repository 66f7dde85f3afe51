//! The TGE Swarm query API: JSON under `/api/v1`, served by the queen (or
//! alone, `queen --api-only`, as replicas behind HAProxy) and by the
//! embedded one-process run.
//!
//! - [`config`] — settings (`[api]` of the queen's config);
//! - [`store`] — [`store::EventStore`]: PostgreSQL, or the embedded run's
//!   in-memory events, both read through `tge-events`;
//! - [`schedules`] — [`schedules::SourceSchedules`]: the queen's schedules
//!   (which sources are polled), provided by the queen;
//! - [`filter`] — list parameters (the rules are `tge_events::filter`);
//! - [`cache`] and [`changes`] — cached hot responses, refreshed by the
//!   coordinator's notices; the same feed drives the SSE stream;
//! - [`keys`], [`rate`], [`guard`] — API keys with scopes, rate limits,
//!   size/time limits; [`proxy`] — trusted proxies and the client address
//!   behind them; [`problem`] — problem+json errors;
//! - [`redact`] — what read clients do not see of source URLs;
//! - [`routes`] — handlers; [`openapi`] — the generated OpenAPI document.

pub mod app;
pub mod cache;
pub mod changes;
pub mod config;
pub mod filter;
pub mod guard;
pub mod keys;
pub mod model;
pub mod openapi;
pub mod problem;
pub mod proxy;
pub mod rate;
pub mod redact;
pub mod routes;
pub mod schedules;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

pub use app::{App, Backends};
pub use config::ApiConfig;

/// A running API server.
pub struct Server {
    /// Address the server listens on (the bound port when 0 was asked).
    pub addr: SocketAddr,
    /// The server's state.
    pub app: App,
    /// The task serving requests.
    pub task: tokio::task::JoinHandle<()>,
}

/// Opens PostgreSQL (migrating the event tables and the API's own) and
/// the memory of `config.memory_url`. Sources have no schedules until the
/// caller sets [`Backends::schedules`].
///
/// # Errors
///
/// The database or the memory is unreachable, or a migration fails.
pub async fn connect(config: &ApiConfig, database_url: &str) -> anyhow::Result<Backends> {
    let store = store::PgApiStore::connect(database_url, config.db_connections)
        .await
        .context("opening the event store")?;
    let memory = swarm_memory::open(&config.memory_url)
        .await
        .with_context(|| {
            format!(
                "opening the memory at {}",
                swarm_common::redact::redact_url(&config.memory_url)
            )
        })?;
    Ok(Backends {
        keys: Some(store.pool().clone()),
        store: Arc::new(store),
        schedules: Arc::new(schedules::NoSchedules),
        memory: Some(memory),
    })
}

/// Binds `config.addr` and serves the API until `shutdown` completes.
///
/// # Errors
///
/// Invalid settings or the address is in use.
pub async fn serve(
    config: ApiConfig,
    backends: Backends,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Server> {
    config.validate()?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding the API on {}", config.addr))?;
    let addr = listener.local_addr()?;
    let app = App::new(config, backends);
    let router = routes::router(app.clone());
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%error, "API server failed");
        }
    });
    tracing::info!(%addr, backend = app.store.backend(), "query API ready");
    Ok(Server { addr, app, task })
}

/// Serves `/health`, `/ready` (live checks of the API's backends) and
/// `/metrics` on `addr` until `shutdown`.
///
/// # Errors
///
/// The address is in use.
pub async fn serve_ops(
    addr: SocketAddr,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the ops endpoint on {addr}"))?;
    let bound = listener.local_addr()?;
    let router = routes::ops_router(app);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
    });
    Ok(bound)
}
