//! Push sources (WebSocket announcement streams): exchange listing bots
//! beat polling by listening. One replica holds a source's listener at a
//! time (a lease in the shared memory, renewed while it runs); the
//! source's periodic `FetchSource` task only makes sure a listener runs
//! somewhere. Each message is read with the source's JSON mapping; new
//! items become documents at once and their `AnalyzeDocument` tasks are
//! submitted to the queen directly, without waiting for a poll. The
//! stream's URL goes through the outbound guard: its scheme (ws/wss) and a
//! literal address are checked before a listener starts, and every
//! connection is made to an address the guard allows (the queen
//! connection is not a fetch and is not guarded here).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use swarm_common::queen_link::QueenLink;
use swarm_memory::Memory;
use swarm_memory::layout::{listener_key, source_error_key};
use swarm_outbound::Guard;
use swarm_outbound::client::WS_SCHEMES;
use swarm_proto::names::SourceKind;
use swarm_proto::v1::queen_admin_client::QueenAdminClient;
use swarm_proto::v1::{FetchSource, SubmitTasksRequest, TaskSpec};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::emit::Emitter;
use crate::parse;

/// How long a listener lease lasts without renewal.
const LEASE: Duration = Duration::from_secs(30);
/// How often the holder renews it.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// A listener no poll asked for within this long stops (its source was
/// removed or paused); the source's interval must be shorter.
const UNWANTED_AFTER: Duration = Duration::from_secs(15 * 60);
/// Largest message read (a bigger one is a recorded source error).
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// What [`Listeners::ensure`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// This replica won the source's listener lease and started listening.
    Started,
    /// This replica already listens to the source with the same settings.
    AlreadyRunningHere,
    /// Another replica holds the listener lease.
    HeldElsewhere,
}

/// The push listeners of this replica.
pub struct Listeners {
    memory: Arc<dyn Memory>,
    emitter: Emitter,
    queen: Option<QueenLink>,
    guard: Guard,
    replica: String,
    running: Mutex<HashMap<String, Running>>,
}

/// A listener of this replica: its task, the spec it listens with, and when
/// a poll last asked for it.
struct Running {
    task: JoinHandle<()>,
    spec: FetchSource,
    last_ensured: Arc<AtomicI64>,
}

impl Listeners {
    /// Listeners emitting through `emitter` and submitting follow-ups to
    /// the queen `queen` leads to (without one, push sources are refused),
    /// connecting to streams through `guard`.
    pub fn new(
        memory: Arc<dyn Memory>,
        emitter: Emitter,
        queen: Option<QueenLink>,
        guard: Guard,
    ) -> Self {
        Self {
            memory,
            emitter,
            queen,
            guard,
            replica: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Makes sure a listener for `source` runs on some replica.
    ///
    /// # Errors
    ///
    /// No queen address to submit to, a URL the outbound guard refuses, or
    /// the shared memory failed.
    pub async fn ensure(&self, source: &FetchSource) -> Result<Ensured, String> {
        let Some(queen) = self.queen.clone() else {
            return Err("push sources need the queen's address to submit follow-ups".into());
        };
        let url = reqwest::Url::parse(&source.url)
            .map_err(|_| format!("invalid stream URL {}", source.url))?;
        self.guard
            .check_url_schemes(&url, WS_SCHEMES)
            .map_err(|refused| format!("{}: {refused}", source.url))?;
        let changed = {
            let mut running = self
                .running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            running.retain(|_, r| !r.task.is_finished());
            match running.get(&source.source_id) {
                Some(r) if r.spec == *source => {
                    r.last_ensured
                        .store(swarm_common::time::now_ms(), Ordering::Relaxed);
                    return Ok(Ensured::AlreadyRunningHere);
                }
                Some(r) => {
                    // the URL or the mapping changed: listen again with the new one
                    r.task.abort();
                    running.remove(&source.source_id);
                    true
                }
                None => false,
            }
        };
        if changed {
            return self.start(source, queen).await;
        }
        let key = listener_key(&source.source_id);
        let won = self
            .memory
            .set_if_absent(&key, &self.replica, LEASE)
            .await
            .map_err(|e| format!("shared memory: {e}"))?;
        if !won {
            return Ok(Ensured::HeldElsewhere);
        }
        self.start(source, queen).await
    }

    /// Starts this replica's listener of `source` (the lease is held).
    async fn start(&self, source: &FetchSource, queen: QueenLink) -> Result<Ensured, String> {
        let last_ensured = Arc::new(AtomicI64::new(swarm_common::time::now_ms()));
        let listener = Listener {
            memory: self.memory.clone(),
            emitter: self.emitter.clone(),
            queen,
            guard: self.guard.clone(),
            replica: self.replica.clone(),
            source: source.clone(),
            last_ensured: last_ensured.clone(),
        };
        let task = tokio::spawn(listener.run());
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(
                source.source_id.clone(),
                Running {
                    task,
                    spec: source.clone(),
                    last_ensured,
                },
            );
        Ok(Ensured::Started)
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        let running = self.running.get_mut().unwrap_or_else(|p| p.into_inner());
        for r in running.values() {
            r.task.abort();
        }
    }
}

/// One source's listener.
struct Listener {
    memory: Arc<dyn Memory>,
    emitter: Emitter,
    queen: QueenLink,
    guard: Guard,
    replica: String,
    source: FetchSource,
    /// When a poll last asked for this listener.
    last_ensured: Arc<AtomicI64>,
}

impl Listener {
    async fn run(self) {
        let id = self.source.source_id.clone();
        tracing::info!(source = %id, url = %self.source.url, "push listener started");
        let mut backoff = Duration::from_millis(500);
        loop {
            if !self.still_holder().await {
                tracing::info!(source = %id, "push listener lease lost; stopping");
                return;
            }
            match self.session().await {
                Ok(()) => backoff = Duration::from_millis(500),
                Err(error) => {
                    metrics::counter!("swarm_scrape_source_errors_total").increment(1);
                    tracing::warn!(source = %id, %error, "push stream failed; reconnecting");
                    let _ = self
                        .memory
                        .set(
                            &source_error_key(&id),
                            &error,
                            Duration::from_secs(24 * 3600),
                        )
                        .await;
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }

    /// Renews the lease if this replica still holds it (compare-and-set:
    /// two replicas can never both believe they hold it), and stops when
    /// no poll of the source asked for the listener for a while (the
    /// source was removed or paused).
    async fn still_holder(&self) -> bool {
        let idle_ms = swarm_common::time::now_ms() - self.last_ensured.load(Ordering::Relaxed);
        if idle_ms > UNWANTED_AFTER.as_millis() as i64 {
            tracing::info!(source = %self.source.source_id, "no poll asked for the listener lately; stopping");
            return false;
        }
        let key = listener_key(&self.source.source_id);
        let mine = Some(self.replica.as_str());
        for expected in [mine, None] {
            match self
                .memory
                .compare_and_set(&key, expected, &self.replica, LEASE)
                .await
            {
                Ok(true) => return true,
                Ok(false) => {}
                Err(_) => return false,
            }
        }
        false
    }

    /// One connection, until it closes or fails.
    async fn session(&self) -> Result<(), String> {
        let url = &self.source.url;
        let parsed = reqwest::Url::parse(url).map_err(|_| format!("invalid stream URL {url}"))?;
        self.guard
            .check_url_schemes(&parsed, WS_SCHEMES)
            .map_err(|refused| format!("{url}: {refused}"))?;
        let host = parsed.host_str().unwrap_or_default();
        let port = parsed.port_or_known_default().unwrap_or(443);
        // connected to an address the guard allows, then the handshake
        // (and TLS for wss) over that connection
        let tcp = self
            .guard
            .connect_tcp(host, port)
            .await
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        let (mut stream, _) = tokio_tungstenite::client_async_tls(url.as_str(), tcp)
            .await
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        let mut renew = tokio::time::interval(RENEW_EVERY);
        renew.tick().await;
        loop {
            tokio::select! {
                _ = renew.tick() => {
                    if !self.still_holder().await {
                        return Ok(());
                    }
                }
                message = stream.next() => {
                    let Some(message) = message else { return Ok(()) };
                    match message.map_err(|e| format!("stream {}: {e}", self.source.url))? {
                        Message::Text(text) => self.on_message(text.as_bytes()).await,
                        Message::Binary(bytes) => self.on_message(&bytes).await,
                        Message::Close(_) => return Ok(()),
                        _ => {}
                    }
                }
            }
        }
    }

    async fn on_message(&self, body: &[u8]) {
        let id = &self.source.source_id;
        if body.len() > MAX_MESSAGE_BYTES {
            tracing::warn!(source = %id, bytes = body.len(), "push message too large; skipped");
            return;
        }
        let items = match parse::items(SourceKind::Websocket, &self.source, body) {
            Ok(items) => items,
            Err(error) => {
                // one bad message does not stop the stream
                metrics::counter!("swarm_scrape_source_errors_total").increment(1);
                tracing::warn!(source = %id, %error, "unreadable push message skipped");
                let _ = self
                    .memory
                    .set(
                        &source_error_key(id),
                        &error.to_string(),
                        Duration::from_secs(24 * 3600),
                    )
                    .await;
                return;
            }
        };
        let follow_ups = match self.emitter.emit(&self.source, &items).await {
            Ok(f) => f,
            Err(error) => {
                tracing::warn!(source = %id, %error, "cannot emit pushed items");
                return;
            }
        };
        if follow_ups.is_empty() {
            return;
        }
        let mut delay = Duration::from_millis(200);
        for attempt in 1..=5 {
            match self.submit(follow_ups.clone()).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(source = %id, attempt, %error, "cannot submit pushed items to the queen");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
            }
        }
    }

    async fn submit(&self, tasks: Vec<TaskSpec>) -> Result<(), String> {
        let channel = self.queen.connect().await.map_err(|e| e.to_string())?;
        QueenAdminClient::with_interceptor(channel, self.queen.interceptor())
            .submit_tasks(SubmitTasksRequest { tasks })
            .await
            .map_err(|e| e.message().to_string())?;
        Ok(())
    }
}
