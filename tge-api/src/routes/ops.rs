//! `/health` (alive), `/ready` (the event store and the memory answer),
//! `/metrics` (Prometheus), and the OpenAPI document.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;

/// Liveness.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, description = "Alive")))]
pub async fn health() -> &'static str {
    "ok\n"
}

/// Readiness: PostgreSQL and the memory are reachable.
#[utoipa::path(get, path = "/ready", tag = "ops", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "A backend is unreachable"),
))]
pub async fn ready(State(app): State<App>) -> Response {
    match app.check_ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
            .into_response(),
    }
}

/// Prometheus text exposition.
pub async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        swarm_common::telemetry::metrics_handle().render(),
    )
        .into_response()
}

/// The OpenAPI 3 document of this API.
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document_json(),
    )
        .into_response()
}
