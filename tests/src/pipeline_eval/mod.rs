//! `pipeline-eval`: the whole detection pipeline measured on labelled
//! text. Labelled records are served on loopback as live feeds (RSS, Atom,
//! JSON Feed, a JSON API, an X search fake) released over time; the
//! one-process swarm polls them; events are read back from its query API
//! until everything was released and the pipeline went quiet; then event
//! precision, project recall, events per project, false events and
//! published → event latency are computed.
//!
//! Layout: [`labelled`] reads the records, [`render`] writes feed bodies,
//! [`feeds`] serves and releases them, [`swarm`] composes the swarm,
//! [`api`] reads events back, [`names`] and [`score`] compute the figures,
//! [`report`] prints them.

pub mod api;
pub mod feeds;
pub mod labelled;
pub mod names;
pub mod render;
pub mod report;
pub mod score;
pub mod swarm;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

pub use report::Report;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Labelled JSONL.
    pub labelled: PathBuf,
    /// Items released per second (all feeds together).
    pub rate: f64,
    /// Serve only the first `limit` records.
    pub limit: Option<usize>,
    /// Upper bound of the whole run (feeds, swarm, reading back).
    pub timeout: Duration,
    /// Poll interval of every feed (the embedded optimizer raises anything
    /// under 1 s to 1 s at start).
    pub poll_ms: u64,
    /// The pipeline counts as quiet after this long without a new
    /// event, event change or analyzed document (and nothing in flight).
    pub quiet: Duration,
}

impl Options {
    /// Defaults for `labelled`: 4 items/s, polls every second, quiet after
    /// 3 s, at most 10 minutes.
    pub fn new(labelled: PathBuf) -> Self {
        Self {
            labelled,
            rate: 4.0,
            limit: None,
            timeout: Duration::from_secs(600),
            poll_ms: 1_000,
            quiet: Duration::from_secs(3),
        }
    }
}

/// The shared development set, `../shared/detection/real-dev.jsonl` from
/// the repository root, if it exists.
pub fn default_labelled() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        root.join("../shared/detection/real-dev.jsonl"),
        PathBuf::from("../shared/detection/real-dev.jsonl"),
    ];
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

/// Runs the harness and scores the run.
///
/// # Errors
///
/// The records cannot be read, or the feeds, the swarm or its API failed.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(
        options.rate.is_finite() && options.rate > 0.0,
        "the rate must be a positive number of items per second"
    );
    let mut records = labelled::read(&options.labelled)?;
    if let Some(limit) = options.limit {
        records.truncate(limit);
    }
    anyhow::ensure!(!records.is_empty(), "no records to serve");
    let started = Instant::now();
    let deadline = started + options.timeout;
    let feeds = feeds::Feeds::start(&records, options.rate).await?;
    let swarm = swarm::Swarm::start(feeds.sources(options.poll_ms), feeds.x_token()).await?;
    let api = api::Api::new(&swarm.api);

    // wait until everything was released and the pipeline is quiet
    let mut last_activity = Instant::now();
    let mut seen: Option<(usize, i64, u64)> = None;
    let mut progress = swarm::Progress::default();
    let complete = loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = Instant::now();
        if let (Ok(events), Ok(p)) = (api.events().await, swarm.progress().await) {
            progress = p;
            let max_seq = events.iter().map(|e| e.change_seq).max().unwrap_or(0);
            let signature = (events.len(), max_seq, p.analyzed + p.failed);
            if seen != Some(signature) {
                seen = Some(signature);
                last_activity = now;
            }
        }
        if !feeds.all_released() {
            last_activity = now; // quiet counts from the last release
        }
        if feeds.all_released() && progress.busy == 0 && now - last_activity >= options.quiet {
            break true;
        }
        if now >= deadline {
            break false;
        }
    };
    let elapsed = started.elapsed();
    let listed = api.events().await.context("listing the events")?;
    let mut events = Vec::with_capacity(listed.len());
    for event in &listed {
        events.push(api.detail(event.id).await?);
    }
    if let Ok(p) = swarm.progress().await {
        progress = p;
    }
    if let Err(error) = swarm.stop().await {
        tracing::warn!(%error, "the swarm did not stop cleanly");
    }
    let released = feeds.release_times();
    let channels = feeds.channels();
    let urls = feeds.document_urls();
    let scores = score::score(&score::Input {
        records: &records,
        channels: &channels,
        released: &released,
        urls: &urls,
        events: &events,
    });
    Ok(Report {
        labelled: options.labelled.display().to_string(),
        records: records.len(),
        tge_records: records.iter().filter(|r| r.tge).count(),
        released: released.iter().filter(|r| r.is_some()).count(),
        served: feeds.served(),
        processed: progress.analyzed + progress.failed,
        failed: progress.failed,
        feed_requests: feeds.requests(),
        rate: options.rate,
        poll_ms: options.poll_ms,
        duration_secs: elapsed.as_secs_f64(),
        complete,
        scores,
    })
}
