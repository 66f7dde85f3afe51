//! The router: versioned JSON routes under `/api/v1`, ops routes, the
//! middleware stack (metrics, CORS, limits, auth) and problem+json for
//! unknown paths.

pub mod admin;
pub mod catalog;
pub mod ops;
pub mod stream;
pub mod tges;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::app::App;
use crate::guard;
use crate::problem::Problem;

/// The API's routes with every middleware.
pub fn router(app: App) -> Router {
    let mut router = Router::new()
        .route("/api/v1/tges", get(tges::list))
        .route("/api/v1/tges/{id}", get(tges::detail))
        .route("/api/v1/projects", get(catalog::projects))
        .route("/api/v1/sources", get(catalog::sources))
        .route("/api/v1/stream", get(stream::stream))
        .route("/api/v1/admin/keys", get(admin::keys))
        .route("/api/v1/admin/cache/refresh", post(admin::refresh_cache))
        .route("/api/v1/openapi.json", get(ops::openapi))
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .fallback(|uri: axum::http::Uri| async move {
            Problem::not_found(format!("no route {}; see /api/v1/openapi.json", uri.path()))
        })
        .layer(from_fn_with_state(app.clone(), guard::authorize))
        .layer(from_fn_with_state(app.clone(), guard::limits))
        .layer(DefaultBodyLimit::max(app.config.max_body_bytes));
    if let Some(cors) = cors(&app.config.cors_origins) {
        router = router.layer(cors);
    }
    router.layer(from_fn(guard::measure)).with_state(app)
}

/// `/health`, `/ready` (live checks) and `/metrics`, for the ops port.
pub fn ops_router(app: App) -> Router {
    Router::new()
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .with_state(app)
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
            .allow_headers([
                header::AUTHORIZATION,
                header::IF_NONE_MATCH,
                header::CONTENT_TYPE,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("last-event-id"),
            ])
            .expose_headers([header::ETAG, header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
