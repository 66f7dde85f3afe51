//! `queen --api-only`: serve only the HTTP query API (and its `/health`,
//! `/ready`, `/metrics` on the metrics address), without the task queue —
//! for API replicas behind HAProxy (two full queens on one database would
//! fence each other). Sources get their schedules from the queen at
//! `api.queen_url` over gRPC (none set: no source is listed).

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;

use crate::config::QueenConfig;

/// Serves the API until `shutdown` completes.
///
/// # Errors
///
/// Invalid settings, an unreachable database or memory, an address in use.
pub async fn run(
    config: QueenConfig,
    queen: &queen_client::QueenLinkArgs,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut backends = tge_api::connect(&config.api, &config.database_url).await?;
    match &config.api.queen_url {
        Some(url) => {
            tracing::info!(queen = %url, "sources' schedules asked from the queen");
            backends.schedules = Arc::new(crate::api_schedules::OverGrpc::new(queen.link(url)?));
        }
        None => tracing::warn!("no api.queen_url: /api/v1/sources lists no source"),
    }
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = tge_api::serve(config.api.clone(), backends, wait(stop_rx.clone())).await?;
    let ops = tge_api::serve_ops(config.metrics_addr, server.app.clone(), wait(stop_rx))
        .await
        .context("binding the metrics endpoint")?;
    tracing::info!(api = %server.addr, metrics = %ops, "queen serving the query API only");
    shutdown.await;
    let _ = stop.send(true);
    // open SSE streams do not end by themselves: give them a moment
    let abort = server.task.abort_handle();
    if tokio::time::timeout(std::time::Duration::from_secs(3), server.task)
        .await
        .is_err()
    {
        abort.abort();
    }
    tracing::info!("query API stopped");
    Ok(())
}
