//! `GET /api/v1/stream`: Server-Sent Events of created and updated events,
//! fed by the change feed; `Last-Event-ID` replays every change after it
//! from the store before going live.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::app::App;
use crate::changes::Change;
use crate::problem::Problem;

fn sse(change: &Change) -> SseEvent {
    SseEvent::default()
        .id(change.seq.to_string())
        .event(change.kind)
        .data(serde_json::to_string(&change.event).unwrap_or_default())
}

/// Live stream of event changes.
#[utoipa::path(
    get, path = "/api/v1/stream", tag = "events",
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this change")),
    responses(
        (status = 200, description = "text/event-stream of `created` and `updated` events; data is the event JSON, id its change sequence", content_type = "text/event-stream"),
        (status = 400, description = "A bad Last-Event-ID", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn stream(State(app): State<App>, headers: HeaderMap) -> Result<Response, Problem> {
    let resume = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    Problem::bad_param(
                        "Last-Event-ID",
                        "`Last-Event-ID` must be the id of an event received from this stream",
                    )
                })?,
        ),
    };
    // subscribe before replaying, so nothing falls between the two
    let live = app.feed.subscribe();
    let (tx, rx) = mpsc::channel::<Result<SseEvent, Infallible>>(256);
    metrics::gauge!("tge_api_sse_clients").increment(1.0);
    tokio::spawn(async move {
        forward(app, resume, live, tx).await;
        metrics::gauge!("tge_api_sse_clients").decrement(1.0);
    });
    Ok(Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

async fn forward(
    app: App,
    resume: Option<i64>,
    mut live: broadcast::Receiver<std::sync::Arc<Change>>,
    tx: mpsc::Sender<Result<SseEvent, Infallible>>,
) {
    // event id -> change sequence sent on this connection
    let mut sent: HashMap<i64, i64> = HashMap::new();
    let hello = SseEvent::default()
        .retry(Duration::from_secs(2))
        .comment("subscribed");
    if tx.send(Ok(hello)).await.is_err() {
        return;
    }
    if let Some(mut after) = resume {
        loop {
            let changes = match app.store.changes_since(after, 500).await {
                Ok(c) => c,
                Err(error) => {
                    tracing::warn!(%error, "replay for Last-Event-ID failed");
                    break;
                }
            };
            let done = changes.len() < 500;
            for event in changes {
                after = after.max(event.change_seq);
                sent.insert(event.id, event.change_seq);
                if tx.send(Ok(sse(&Change::of(event)))).await.is_err() {
                    return;
                }
            }
            if done {
                break;
            }
        }
    }
    loop {
        match live.recv().await {
            Ok(change) => {
                if sent.get(&change.event.id).is_some_and(|s| *s >= change.seq) {
                    continue;
                }
                sent.insert(change.event.id, change.seq);
                if tx.send(Ok(sse(&change))).await.is_err() {
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "SSE client too slow; changes skipped");
                // closing makes the client reconnect with Last-Event-ID,
                // which replays what it missed from the store
                let note = SseEvent::default().comment(format!(
                    "{missed} changes skipped; reconnect with Last-Event-ID to catch up"
                ));
                let _ = tx.send(Ok(note)).await;
                return;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
