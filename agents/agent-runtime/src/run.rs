//! The agent's outer loop: serve ops, (re)connect with backoff and jitter,
//! and stop cleanly once drained.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use swarm_common::ops::{self, Readiness};
use tokio::sync::watch;

use crate::handler::Handler;
use crate::options::AgentOptions;
use crate::session::{End, run_session};

/// Runs an agent until `shutdown` completes (then drains: finishes what it
/// holds, takes nothing new) or the queen asks it to drain.
///
/// # Errors
///
/// The metrics address cannot be bound.
pub async fn run(
    options: AgentOptions,
    handler: Arc<dyn Handler>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let readiness = Readiness::default();
    let (stop_ops, stop_ops_rx) = watch::channel(false);
    if let Some(addr) = options.metrics_addr {
        let mut rx = stop_ops_rx.clone();
        let bound = ops::serve(addr, readiness.clone(), async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .await
        .map_err(|e| anyhow::anyhow!("binding the metrics endpoint on {addr}: {e}"))?;
        tracing::info!(%bound, "agent metrics endpoint up");
    }
    let (drain_tx, mut drain) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = drain_tx.send(true);
        // keep the sender alive so `changed()` does not fire spuriously
        std::future::pending::<()>().await;
    });

    let kind = options.kind.name();
    let mut delay = options.reconnect_min;
    loop {
        let set_ready = |up: bool| {
            readiness.set(up);
            metrics::gauge!("swarm_agent_connected", "kind" => kind).set(if up {
                1.0
            } else {
                0.0
            });
        };
        let started = tokio::time::Instant::now();
        match run_session(&options, handler.clone(), &mut drain, &set_ready).await {
            End::Drained => {
                tracing::info!(agent = %options.agent_id, "drained; exiting");
                break;
            }
            End::Lost(reason) => {
                if *drain.borrow() {
                    tracing::info!(%reason, "connection lost while draining; nothing in flight, exiting");
                    break;
                }
                if started.elapsed() > Duration::from_secs(5) {
                    delay = options.reconnect_min;
                }
                let sleep = jitter(delay);
                tracing::warn!(%reason, retry_in_ms = sleep.as_millis() as u64, "queen connection lost");
                metrics::counter!("swarm_agent_reconnects_total", "kind" => kind).increment(1);
                tokio::select! {
                    _ = tokio::time::sleep(sleep) => {}
                    _ = drain.wait_for(|d| *d) => {
                        tracing::info!("shutdown requested while disconnected; exiting");
                        break;
                    }
                }
                delay = (delay * 2).min(options.reconnect_max);
            }
        }
    }
    let _ = stop_ops.send(true);
    Ok(())
}

/// Between half and all of `delay`, so that many agents do not reconnect in
/// lockstep.
fn jitter(delay: Duration) -> Duration {
    let ms = delay.as_millis().max(1) as u64;
    Duration::from_millis(ms / 2 + rand::rng().random_range(0..=ms / 2))
}
