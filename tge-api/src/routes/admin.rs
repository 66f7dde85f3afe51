//! Admin paths (admin-scoped keys only): list API keys, refresh the cache.

use axum::Json;
use axum::extract::State;

use crate::app::App;
use crate::model::{CacheRefreshed, KeyList};
use crate::problem::Problem;

/// Every API key (never the key itself).
#[utoipa::path(
    get, path = "/api/v1/admin/keys", tag = "admin",
    responses(
        (status = 200, description = "Keys", body = KeyList),
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn keys(State(app): State<App>) -> Result<Json<KeyList>, Problem> {
    let pool = app
        .keys
        .pool()
        .ok_or_else(|| Problem::not_found("this API keeps no keys"))?;
    let items = crate::keys::list(pool).await?;
    Ok(Json(KeyList { items }))
}

/// Drops every cached response and looks for changes now.
#[utoipa::path(
    post, path = "/api/v1/admin/cache/refresh", tag = "admin",
    responses(
        (status = 200, description = "Cache dropped", body = CacheRefreshed),
        (status = 403, description = "Not an admin key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn refresh_cache(State(app): State<App>) -> Json<CacheRefreshed> {
    let dropped = app.cache.clear();
    app.feed.wake();
    tracing::info!(dropped, "cache refreshed by an admin");
    Json(CacheRefreshed { dropped })
}
