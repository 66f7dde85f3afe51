//! Middleware in front of every route: request metrics, size and time
//! limits, authentication with scopes, and per-client rate limits (the
//! client address taken behind trusted proxies only, [`crate::proxy`]).

use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::keys::Scope;
use crate::problem::Problem;

/// Paths anyone may call.
fn is_public(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/api/v1/openapi.json")
}

/// Paths only admin keys may call.
pub fn is_admin(path: &str) -> bool {
    path.starts_with("/api/v1/admin")
}

/// Low-cardinality route label of a path.
fn route_label(path: &str) -> &'static str {
    match path {
        "/api/v1/tges" => "tges",
        "/api/v1/projects" => "projects",
        "/api/v1/sources" => "sources",
        "/api/v1/stream" => "stream",
        "/api/v1/openapi.json" => "openapi",
        "/health" | "/ready" => "ops",
        p if p.starts_with("/api/v1/tges/") => "tge",
        p if is_admin(p) => "admin",
        _ => "other",
    }
}

/// Counts and times requests.
pub async fn measure(req: Request, next: Next) -> Response {
    let route = route_label(req.uri().path());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("tge_api_requests_total", "route" => route, "status" => status).increment(1);
    metrics::histogram!("tge_api_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Refuses bodies over the size limit and answers 503 when a response
/// takes longer than the time limit.
pub async fn limits(State(app): State<App>, req: Request, next: Next) -> Response {
    let max = app.config.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            format!("request bodies are limited to {max} bytes"),
        )
        .into_response();
    }
    let limit = Duration::from_millis(app.config.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} ms", limit.as_millis()),
        )
        .into_response(),
    }
}

/// The key of a request: `Authorization: Bearer <key>` or `X-API-Key`.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return Some(v.strip_prefix("Bearer ").unwrap_or(v).trim());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The client's address: the TCP peer, or behind a trusted proxy the
/// right-most untrusted `X-Forwarded-For` hop ([`crate::proxy::client_ip`]).
pub fn client_address(app: &App, req: &Request) -> String {
    let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    crate::proxy::client_ip(peer, forwarded, &app.trusted).to_string()
}

/// Who is calling, for handlers that show less to some callers: the
/// scope of the key presented, `None` without a key (anonymous reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The key's scope; `None` for an anonymous read.
    pub scope: Option<Scope>,
}

impl Caller {
    /// Whether the caller holds an admin key.
    pub fn is_admin(&self) -> bool {
        self.scope == Some(Scope::Admin)
    }
}

/// `/ready` checks per second one address may make (HAProxy checks each
/// server about once a second)...
const READY_RATE: f64 = 5.0;
/// ...and how many at once.
const READY_BURST: u32 = 20;

/// Unknown keys an address may present before it has to wait...
const BAD_KEY_BURST: u32 = 20;
/// ...and how many more per second after that.
const BAD_KEY_RATE: f64 = 1.0;

/// 429 with `Retry-After`.
fn too_many(detail: &str, wait: Duration) -> Response {
    metrics::counter!("tge_api_rate_limited_total").increment(1);
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        format!("{detail}; retry in {secs} s"),
    );
    problem.retry_after_secs = Some(secs);
    problem.into_response()
}

fn unauthorized(detail: &str) -> Response {
    let mut response =
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"tge-api\""),
    );
    response
}

/// Authenticates, checks the scope, takes a rate-limit token.
pub async fn authorize(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if req.method() == axum::http::Method::OPTIONS {
        return next.run(req).await;
    }
    let address = client_address(&app, &req);
    if is_public(&path) {
        // public, not unlimited: `/ready` touches the backends, so it has
        // a small bucket of its own (HAProxy's checks never compete with
        // clients' `/health` or OpenAPI reads)
        let (client, rate, burst) = if path == "/ready" {
            (format!("ready:{address}"), READY_RATE, READY_BURST)
        } else {
            (
                format!("public:{address}"),
                app.config.anonymous_rate_per_sec,
                app.config.burst,
            )
        };
        if let Err(wait) = app.limiter.take(&client, rate, burst) {
            return too_many(
                &format!("{path} is limited to {rate} requests per second per address"),
                wait,
            );
        }
        return next.run(req).await;
    }
    // guessing keys costs a lookup each: an address that presented
    // `BAD_KEY_BURST` unknown keys waits before it may present another
    let guesser = format!("badkey:{address}");
    let (client, rate, caller) = match presented_key(req.headers()) {
        Some(key) => {
            if let Err(wait) = app.limiter.check(&guesser, BAD_KEY_RATE, BAD_KEY_BURST) {
                return too_many("too many unknown API keys from this address", wait);
            }
            match app.keys.find(key).await {
                Ok(Some(record)) => {
                    if is_admin(&path) && record.scope != Scope::Admin {
                        return Problem::new(
                            StatusCode::FORBIDDEN,
                            "forbidden",
                            format!(
                                "{path} needs a key with the admin scope; this key has scope read"
                            ),
                        )
                        .into_response();
                    }
                    (
                        format!("key:{}", record.id),
                        record.rate_per_sec.unwrap_or(app.config.rate_per_sec),
                        Caller {
                            scope: Some(record.scope),
                        },
                    )
                }
                Ok(None) => {
                    let _ = app.limiter.take(&guesser, BAD_KEY_RATE, BAD_KEY_BURST);
                    return unauthorized("unknown or revoked API key");
                }
                Err(error) => return Problem::from(error).into_response(),
            }
        }
        None if app.config.anonymous_read && !is_admin(&path) => (
            format!("addr:{address}"),
            app.config.anonymous_rate_per_sec,
            Caller { scope: None },
        ),
        None if is_admin(&path) => {
            return unauthorized(
                "admin paths need an API key with the admin scope (Authorization: Bearer <key>)",
            );
        }
        None => {
            return unauthorized(
                "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key: <key>`",
            );
        }
    };
    if let Err(wait) = app.limiter.take(&client, rate, app.config.burst) {
        return too_many(
            &format!("rate limit of {rate} requests per second exceeded"),
            wait,
        );
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}
