//! The coordinator process: consumes the findings stream with a consumer
//! group, synthesizes each finding into PostgreSQL, acknowledges it only
//! after that commit, takes over entries of consumers that died, publishes
//! event notices, and serves queries, `/health`, `/ready`, `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use swarm_common::ops::Readiness;
use tokio::sync::watch;
use tracing::Instrument;

use swarm_memory::layout::COORDINATOR_GROUP;
use swarm_memory::{Delivery, Layout, Memory};
use swarm_types::{Envelope, Finding, Notice};

use crate::synth::{Applied, Synthesizer};

/// Settings of the coordinator.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stream consumed and the channel notices go out on.
    pub layout: Layout,
    /// Consumer name in the group (unique per replica).
    pub consumer: String,
    /// Address of the HTTP server (health, readiness, metrics and the coordinator's API).
    pub http_addr: SocketAddr,
    /// Entries read per batch.
    pub batch: usize,
    /// Longest a read waits for new entries before returning empty.
    pub block: Duration,
    /// Entries unacknowledged this long belong to a dead consumer.
    pub claim_min_idle: Duration,
    /// How often entries of dead consumers are claimed.
    pub claim_every: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            layout: Layout::default(),
            consumer: format!("coordinator-{}", std::process::id()),
            http_addr: ([127, 0, 0, 1], 8002).into(),
            batch: 200,
            block: Duration::from_millis(500),
            claim_min_idle: Duration::from_secs(30),
            claim_every: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
struct Shared {
    memory: Arc<dyn Memory>,
    synth: Synthesizer,
    options: Options,
}

/// Runs the coordinator until `shutdown` completes: the current batch is
/// finished and acknowledged first.
///
/// # Errors
///
/// The HTTP address cannot be bound or the group cannot be created.
pub async fn run(
    memory: Arc<dyn Memory>,
    synth: Synthesizer,
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    memory
        .create_group(&options.layout.findings_stream, COORDINATOR_GROUP)
        .await?;
    let shared = Shared {
        memory,
        synth,
        options,
    };
    let readiness = Readiness::default();
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
        std::future::pending::<()>().await;
    });
    let listener = tokio::net::TcpListener::bind(shared.options.http_addr).await?;
    let bound = listener.local_addr()?;
    let app = swarm_common::ops::router(readiness.clone()).merge(api(shared.clone()));
    let mut http_stop = stop_rx.clone();
    let http = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await;
    });
    readiness.set(true);
    tracing::info!(%bound, consumer = %shared.options.consumer, backend = shared.memory.backend(), "memory coordinator ready");

    let claimer = tokio::spawn(claim_loop(shared.clone(), stop_rx.clone()));
    let gauges = tokio::spawn(gauge_loop(shared.clone()));
    consume_loop(&shared, stop_rx).await;
    readiness.set(false);
    claimer.abort();
    gauges.abort();
    let _ = http.await;
    tracing::info!("memory coordinator stopped");
    Ok(())
}

async fn consume_loop(shared: &Shared, mut stop: watch::Receiver<bool>) {
    let o = &shared.options;
    while !*stop.borrow() {
        let batch = tokio::select! {
            r = shared.memory.read_group(&o.layout.findings_stream, COORDINATOR_GROUP, &o.consumer, o.batch, o.block) => r,
            _ = stop.changed() => break,
        };
        match batch {
            Ok(entries) => {
                metrics::counter!("swarm_memory_ops_total", "op" => "read_group").increment(1);
                process(shared, entries).await;
            }
            Err(error) => {
                tracing::warn!(%error, "reading findings failed; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn claim_loop(shared: Shared, stop: watch::Receiver<bool>) {
    let o = shared.options.clone();
    let mut interval = tokio::time::interval(o.claim_every);
    // where the last scan of the pending list stopped (XAUTOCLAIM cursor)
    let mut cursor = "0-0".to_string();
    while !*stop.borrow() {
        interval.tick().await;
        match shared
            .memory
            .claim_idle(
                &o.layout.findings_stream,
                COORDINATOR_GROUP,
                &o.consumer,
                o.claim_min_idle,
                o.batch,
                &cursor,
            )
            .await
        {
            Ok((next, entries)) if !entries.is_empty() => {
                cursor = next;
                tracing::info!(
                    claimed = entries.len(),
                    "took over findings of a dead consumer"
                );
                metrics::counter!("swarm_findings_claimed_total").increment(entries.len() as u64);
                process(&shared, entries).await;
            }
            Ok((next, _)) => cursor = next,
            Err(error) => {
                cursor = "0-0".to_string();
                tracing::warn!(%error, "claiming idle findings failed");
            }
        }
    }
}

/// Refreshes the stream length and pending-entries gauges.
async fn gauge_loop(shared: Shared) {
    describe();
    let mut interval = tokio::time::interval(Duration::from_secs(2));
    loop {
        interval.tick().await;
        let stream = &shared.options.layout.findings_stream;
        if let Ok(length) = shared.memory.stream_len(stream).await {
            metrics::gauge!("swarm_findings_stream_length").set(length as f64);
        }
        if let Ok(pending) = shared.memory.pending(stream, COORDINATOR_GROUP).await {
            metrics::gauge!("swarm_findings_pending").set(pending as f64);
        }
    }
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "swarm_memory_ops_total",
        "Memory operations of the coordinator, by op"
    );
    describe_counter!(
        "swarm_findings_processed_total",
        "Findings applied, by outcome"
    );
    describe_counter!(
        "swarm_findings_claimed_total",
        "Findings taken over from dead consumers"
    );
    describe_counter!("swarm_pubsub_published_total", "Event notices published");
    describe_gauge!(
        "swarm_findings_stream_length",
        "Entries in the findings stream"
    );
    describe_gauge!(
        "swarm_findings_pending",
        "Findings delivered and not yet acknowledged"
    );
    describe_histogram!(
        "swarm_findings_lag_seconds",
        Unit::Seconds,
        "From a finding's envelope time to its synthesis"
    );
}

/// Parallel synthesis lanes. Findings about one event always take the same
/// lane (in stream order), so two transactions never touch the same event.
const LANES: usize = 4;

fn lane(finding: &Finding) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match finding {
        // by project only: reports with and without a ticker meet in one event
        Finding::Detection(d) => swarm_types::project_key(&d.project).hash(&mut h),
        other => other.id().hash(&mut h),
    }
    h.finish() as usize % LANES
}

/// Applies a batch: malformed entries are set aside; the rest is applied
/// in up to [`LANES`] concurrent transactions, one per lane. Entries are
/// acknowledged only once their transaction committed; a failed lane leaves
/// its entries pending for a retry (synthesis is idempotent).
async fn process(shared: &Shared, entries: Vec<Delivery>) {
    let mut done = Vec::with_capacity(entries.len());
    let mut lanes: Vec<Vec<(String, Envelope<Finding>)>> = (0..LANES).map(|_| Vec::new()).collect();
    for entry in entries {
        match Envelope::<Finding>::from_bytes(&entry.payload) {
            Ok(envelope) => lanes[lane(&envelope.body)].push((entry.id, envelope)),
            Err(reason) => {
                tracing::warn!(id = %entry.id, %reason, "malformed finding set aside");
                metrics::counter!("swarm_findings_processed_total", "outcome" => "malformed")
                    .increment(1);
                let dead = format!("{}:dead", shared.options.layout.findings_stream);
                match shared.memory.append(&dead, &entry.payload, 100_000).await {
                    Ok(_) => done.push(entry.id),
                    Err(error) => {
                        tracing::error!(%error, "cannot keep a malformed finding; leaving it pending");
                    }
                }
            }
        }
    }
    let mut running = tokio::task::JoinSet::new();
    for lane in lanes.into_iter().filter(|l| !l.is_empty()) {
        let shared = shared.clone();
        running.spawn(async move { apply_lane(&shared, lane).await });
    }
    while let Some(ids) = running.join_next().await {
        done.extend(ids.unwrap_or_default());
    }
    metrics::counter!("swarm_memory_ops_total", "op" => "ack").increment(1);
    if let Err(error) = shared
        .memory
        .ack(
            &shared.options.layout.findings_stream,
            COORDINATOR_GROUP,
            &done,
        )
        .await
    {
        tracing::warn!(%error, "ack failed; entries will be redelivered (synthesis is idempotent)");
    }
}

/// Applies one lane in one transaction; returns the ids to acknowledge.
async fn apply_lane(shared: &Shared, lane: Vec<(String, Envelope<Finding>)>) -> Vec<String> {
    let span = tracing::info_span!("synthesize_findings", findings = lane.len());
    if let Some((_, first)) = lane.first() {
        swarm_common::propagation::set_parent_from_map(&span, &first.trace_context);
    }
    let now = swarm_common::time::now_ms();
    for (_, env) in &lane {
        metrics::histogram!("swarm_findings_lag_seconds")
            .record((now - env.sent_unix_ms).max(0) as f64 / 1000.0);
    }
    let findings: Vec<Finding> = lane.iter().map(|(_, e)| e.body.clone()).collect();
    let outcomes = match shared.synth.apply_batch(&findings).instrument(span).await {
        Ok(outcomes) => lane
            .iter()
            .map(|(id, _)| id.clone())
            .zip(outcomes.into_iter().map(Some))
            .collect::<Vec<_>>(),
        Err(error) => {
            tracing::warn!(%error, findings = lane.len(), "lane failed; applying its findings one by one");
            one_by_one(shared, &lane).await
        }
    };
    let mut done = Vec::with_capacity(outcomes.len());
    for (id, outcome) in outcomes {
        done.push(id);
        let Some(outcome) = outcome else { continue };
        let label = match &outcome {
            Applied::Unchanged => "unchanged",
            Applied::Stored => "stored",
            Applied::Event(c) if c.created => "event_created",
            Applied::Event(_) => "event_updated",
        };
        metrics::counter!("swarm_findings_processed_total", "outcome" => label).increment(1);
        if let Applied::Event(change) = outcome {
            if change.status == "live" {
                let known = swarm_memory::known_tokens::record_live(
                    shared.memory.as_ref(),
                    &change.project,
                    change.symbol.as_deref(),
                    now,
                );
                if let Err(error) = known.await {
                    // a hint for the classifier, not data: the event is stored
                    tracing::warn!(%error, project = %change.project, "live token not recorded as known");
                }
            }
            let notice = if change.created {
                Notice::EventCreated(change)
            } else {
                Notice::EventUpdated(change)
            };
            let env = Envelope::new("memory-coordinator", notice);
            let channel = &shared.options.layout.memory_sync_channel;
            match shared.memory.publish(channel, &env.to_bytes()).await {
                Ok(()) => metrics::counter!("swarm_pubsub_published_total").increment(1),
                Err(error) => tracing::warn!(%error, "event notice not published"),
            }
        }
    }
    done
}

/// After a lane failed: each finding in its own transaction (a transient
/// failure — deadlock, lost connection — gets one more try). A finding that
/// still fails transiently stays pending (redelivered later); one that fails
/// for good is poison: set aside in the dead stream and acknowledged, so it
/// stops blocking the others.
async fn one_by_one(
    shared: &Shared,
    lane: &[(String, Envelope<Finding>)],
) -> Vec<(String, Option<Applied>)> {
    let mut applied = Vec::new();
    let mut poison = Vec::new();
    let mut pending = 0usize;
    for (id, env) in lane {
        let mut result = shared.synth.apply(&env.body).await;
        if matches!(&result, Err(e) if e.is_transient()) {
            result = shared.synth.apply(&env.body).await;
        }
        match result {
            Ok(outcome) => applied.push((id.clone(), Some(outcome))),
            Err(error) if error.is_transient() => {
                pending += 1;
                tracing::warn!(%error, id = %id, "finding failed transiently; it stays pending");
            }
            Err(error) => poison.push((id, env, error)),
        }
    }
    if pending > 0 {
        tracing::error!(pending, "findings stay pending for redelivery");
    }
    let dead = format!("{}:dead", shared.options.layout.findings_stream);
    for (id, env, error) in poison {
        tracing::error!(%error, id = %id, "finding fails on its own; set aside");
        metrics::counter!("swarm_findings_processed_total", "outcome" => "poison").increment(1);
        if shared
            .memory
            .append(&dead, &env.to_bytes(), 100_000)
            .await
            .is_ok()
        {
            applied.push((id.clone(), None));
        }
    }
    applied
}

#[derive(Deserialize)]
struct RecentQuery {
    limit: Option<usize>,
}

fn api(shared: Shared) -> Router {
    Router::new()
        .route("/api/v1/findings/recent", get(recent))
        .route("/api/v1/memory/stats", get(stats))
        .with_state(shared)
}

async fn recent(
    State(shared): State<Shared>,
    Query(q): Query<RecentQuery>,
) -> Result<Json<serde_json::Value>, (axum::http::StatusCode, String)> {
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let entries = shared
        .memory
        .recent(&shared.options.layout.findings_stream, limit)
        .await
        .map_err(|e| (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let items: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            let body = serde_json::from_slice::<serde_json::Value>(&e.payload)
                .unwrap_or(serde_json::Value::Null);
            serde_json::json!({ "id": e.id, "envelope": body })
        })
        .collect();
    Ok(Json(serde_json::json!({ "findings": items })))
}

async fn stats(
    State(shared): State<Shared>,
) -> Result<Json<serde_json::Value>, (axum::http::StatusCode, String)> {
    let unavailable =
        |e: swarm_memory::Error| (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    let length = shared
        .memory
        .stream_len(&shared.options.layout.findings_stream)
        .await
        .map_err(unavailable)?;
    let pending = shared
        .memory
        .pending(&shared.options.layout.findings_stream, COORDINATOR_GROUP)
        .await
        .map_err(unavailable)?;
    metrics::gauge!("swarm_findings_stream_length").set(length as f64);
    metrics::gauge!("swarm_findings_pending").set(pending as f64);
    Ok(Json(serde_json::json!({
        "backend": shared.memory.backend(),
        "stream": shared.options.layout.findings_stream,
        "length": length,
        "pending": pending,
        "consumer": shared.options.consumer,
    })))
}
