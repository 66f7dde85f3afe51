//! `/health` (alive), `/ready` (the event store and the memory answer),
//! `/metrics` (Prometheus), and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::model::Readiness;
use crate::problem::Problem;

/// Liveness.
#[utoipa::path(get, path = "/health", tag = "ops", responses(
    (status = 200, description = "Alive", body = String, content_type = "text/plain"),
    (status = 429, description = "Rate limited (see Retry-After)", body = Problem, content_type = "application/problem+json"),
))]
pub async fn health() -> &'static str {
    "ok\n"
}

/// Readiness: PostgreSQL and the memory are reachable. The answer says
/// only whether; why not goes to the log (backend errors name hosts,
/// users and databases). Limited per address; not routed by HAProxy to
/// the public (its health check calls the servers directly).
#[utoipa::path(get, path = "/ready", tag = "ops", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 429, description = "Rate limited (see Retry-After)", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "A backend is unreachable (the reason is logged)", body = Readiness),
))]
pub async fn ready(State(app): State<App>) -> Response {
    match app.check_ready().await {
        Ok(()) => (StatusCode::OK, Json(Readiness { ready: true })).into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Readiness { ready: false }),
            )
                .into_response()
        }
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
