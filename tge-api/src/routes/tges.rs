//! `GET /api/v1/tges` (filtered, sorted, cursor-paginated list) and
//! `GET /api/v1/tges/{id}` (event with evidence and history), both served
//! from the cache when fresh, with ETags and `304 Not Modified`.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::cache::{Cached, Slot};
use crate::filter::{Filter, ListParams, key_of};
use crate::model::{EventDetail, EventPage};
use crate::problem::Problem;

/// Answers with `cached`, or 304 if the client has it already.
pub fn respond(headers: &HeaderMap, cached: &Cached) -> Response {
    let etag = HeaderValue::from_str(&cached.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == cached.etag || t == "*")
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            cached.body.clone(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Turns a query-string rejection into a problem.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the shape `map_err` calls: `query.map_err(query_problem)`"
)]
pub fn query_problem(rejection: QueryRejection) -> Problem {
    Problem::bad_param(
        "query",
        format!("the query string cannot be read: {rejection}"),
    )
}

/// 400 if `value` holds a NUL character (no text column can store or
/// compare one: it must never reach PostgreSQL as a 5xx).
///
/// # Errors
///
/// The problem naming `param`.
pub fn no_nul(param: &str, value: &str) -> Result<(), Problem> {
    if value.contains('\0') {
        return Err(Problem::bad_param(
            param,
            format!("`{param}` must not contain a NUL character"),
        ));
    }
    Ok(())
}

/// List TGE events.
#[utoipa::path(
    get, path = "/api/v1/tges", tag = "events",
    params(ListParams),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown key", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited (see Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(pairs) = query.map_err(query_problem)?;
    for (name, value) in &pairs {
        no_nul(name, value)?;
    }
    let filter = Filter::parse(&pairs)?;
    let cached = app
        .cache
        .get_or_compute(Slot::List(filter.cache_key()), || async {
            let mut items = app.store.list(&filter).await?;
            let next_cursor = if items.len() > filter.limit as usize {
                items.truncate(filter.limit as usize);
                items
                    .last()
                    .map(|e| filter.cursor(&key_of(e, filter.sort), e.id))
            } else {
                None
            };
            let page = EventPage { items, next_cursor };
            Ok::<_, Problem>(serde_json::to_vec(&page).unwrap_or_default())
        })
        .await?;
    Ok(respond(&headers, &cached))
}

/// One TGE event with its evidence and status history.
#[utoipa::path(
    get, path = "/api/v1/tges/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id (a positive integer)", minimum = 1)),
    responses(
        (status = 200, description = "The event", body = EventDetail),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "A bad id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn detail(
    State(app): State<App>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let Path(raw) = path.map_err(|rejection| {
        Problem::bad_param("id", format!("the event id cannot be read: {rejection}"))
    })?;
    let id: i64 = raw.parse().ok().filter(|id| *id > 0).ok_or_else(|| {
        Problem::bad_param(
            "id",
            format!("the event id must be a positive integer; got `{raw}`"),
        )
    })?;
    let cached = app
        .cache
        .get_or_compute(Slot::Detail(id), || async {
            let detail = app
                .store
                .detail(id)
                .await?
                .ok_or_else(|| Problem::not_found(format!("there is no event {id}")))?;
            Ok::<_, Problem>(serde_json::to_vec(&detail).unwrap_or_default())
        })
        .await?;
    Ok(respond(&headers, &cached))
}
