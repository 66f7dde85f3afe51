//! The operations endpoint every process serves: `/health` (the process is
//! alive), `/ready` (it can do its job), `/metrics` (Prometheus text).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

/// Readiness flag shared between a service and its ops endpoint.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks the service ready or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }
    /// Whether the service said it is ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The ops routes, to serve alone or merge into another router.
pub fn router(readiness: Readiness) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route(
            "/ready",
            get(move || {
                let ready = readiness.is_ready();
                async move {
                    if ready {
                        (StatusCode::OK, "ready\n")
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(|| async {
                (
                    [("content-type", "text/plain; version=0.0.4")],
                    crate::telemetry::metrics_handle().render(),
                )
            }),
        )
}

/// Binds `addr` and serves the ops routes until `shutdown` completes.
/// Returns the bound address (useful with port 0).
///
/// # Errors
///
/// The address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    readiness: Readiness,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router(readiness))
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%error, "ops endpoint stopped");
        }
    });
    Ok(bound)
}
