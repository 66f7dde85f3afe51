//! `GET /api/v1/projects` and `GET /api/v1/sources` (with health from the
//! memory: last error and circuit-breaker state, and the last poll).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::App;
use crate::guard::Caller;
use crate::model::{ProjectList, Source, SourceList};
use crate::problem::Problem;
use crate::redact;
use crate::routes::tges::{no_nul, query_problem};
use crate::schedules::polled_sources;
use tge_events::calendar::rfc3339;

/// Parameters of the projects list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectParams {
    /// Name prefix (case insensitive).
    prefix: Option<String>,
    /// At most this many (1..1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Projects with TGE events, most recently seen first.
#[utoipa::path(
    get, path = "/api/v1/projects", tag = "catalog", params(ProjectParams),
    responses(
        (status = 200, description = "Projects", body = ProjectList),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn projects(
    State(app): State<App>,
    query: Result<Query<ProjectParams>, QueryRejection>,
) -> Result<Json<ProjectList>, Problem> {
    let Query(params) = query.map_err(query_problem)?;
    if let Some(prefix) = &params.prefix {
        no_nul("prefix", prefix)?;
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_param(
            "limit",
            format!("`limit` must be from 1 to 1000; got {limit}"),
        ));
    }
    let prefix = params.prefix.as_deref().map(tge_events::project_key);
    let items = app.store.projects(prefix.as_deref(), limit).await?;
    Ok(Json(ProjectList { items }))
}

/// Polled sources (the queen's `FetchSource` schedules) with their health
/// and last poll. Without an admin key, URLs (and URLs quoted in
/// `last_error`) come without query string, fragment and userinfo
/// (`https://feeds.example/news?…`).
#[utoipa::path(
    get, path = "/api/v1/sources", tag = "catalog",
    responses(
        (status = 200, description = "Sources", body = SourceList),
        (status = 503, description = "The queen's schedules cannot be read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn sources(
    State(app): State<App>,
    caller: Option<Extension<Caller>>,
) -> Result<Json<SourceList>, Problem> {
    // only admin keys see whole URLs: query strings and userinfo can hold
    // the feeds' own credentials
    let whole = caller.is_some_and(|Extension(c)| c.is_admin());
    use swarm_memory::layout::source_error_key;
    use swarm_memory::reliability::{Phase, shared};
    let schedules = app.schedules.list().await.map_err(|e| {
        tracing::warn!(error = %e, "sources not listed: the queen does not answer");
        Problem::unavailable("the queen's schedules cannot be read; the error is logged")
    })?;
    let rows = polled_sources(schedules);
    let ids: Vec<String> = rows.iter().map(|r| r.source_id.clone()).collect();
    let documents = app.store.source_documents(&ids).await?;
    let now = swarm_common::time::now_ms();
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let docs = documents.get(&row.source_id).cloned().unwrap_or_default();
        let (mut last_error, mut breaker) = (None, None);
        if let Some(memory) = &app.memory {
            last_error = memory
                .get(&source_error_key(&row.source_id))
                .await
                .ok()
                .flatten();
            // the breaker api-reliability keeps for the source (closed if none)
            if let Ok((Some(_), state)) = shared::read(memory.as_ref(), &row.source_id).await {
                breaker = Some(state.phase_at(now));
            }
        }
        let health = if row.paused {
            "paused"
        } else if breaker == Some(Phase::Open) {
            "open"
        } else if breaker == Some(Phase::HalfOpen) {
            "half_open"
        } else if last_error.is_some() {
            "failing"
        } else {
            "ok"
        };
        let breaker = breaker.map(|p| p.name().to_string());
        items.push(Source {
            health: health.to_string(),
            last_fetched: docs.last_fetched_us.map(rfc3339),
            next_poll: (row.next_run_ms > 0).then(|| rfc3339(row.next_run_ms * 1000)),
            source_id: row.source_id,
            schedule: row.schedule,
            url: if whole {
                row.url
            } else {
                redact::url(&row.url)
            },
            kind: row.kind,
            interval_ms: row.interval_ms,
            paused: row.paused,
            documents: docs.documents,
            last_error: if whole {
                last_error
            } else {
                last_error.as_deref().map(redact::text)
            },
            breaker,
        });
    }
    Ok(Json(SourceList { items }))
}
