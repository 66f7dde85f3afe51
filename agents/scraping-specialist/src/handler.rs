//! The agent's `FetchSource` handler: fetch (or make sure a push listener
//! runs), parse by the source's kind, read the linked pages of new items
//! that bring only a headline ([`crate::linked`]), emit what is new. A body
//! that cannot be read is a recorded source error and a permanent failure
//! of the task; network trouble is retryable; a linked page that cannot be
//! read is neither.

use std::sync::Arc;
use std::time::Duration;

use agent_runtime::{Done, Handler, HandlerError, Outcome, TaskContext};
use swarm_memory::layout::{cursor_key, source_error_key};
use swarm_memory::{FindingsSink, Memory};
use swarm_proto::names::SourceKind;
use swarm_proto::v1::{FetchSource, task_payload};

use crate::emit::Emitter;
use crate::fetch::{Extras, Fetched, Fetcher, Validators};
use crate::linked::{LinkedOptions, LinkedPages};
use crate::push::{Ensured, Listeners};
use crate::{parse, x_search};

pub use crate::emit::document_id;

/// How long a source's last error is kept.
const ERROR_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a search cursor is kept.
const CURSOR_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Settings of the handler beyond fetching.
#[derive(Debug, Clone, Default)]
pub struct ScrapeSettings {
    /// The queen (push sources submit follow-ups there).
    pub queen_addr: Option<swarm_common::queen_link::QueenLink>,
    /// Bearer token of the X API (x_search sources).
    pub x_bearer_token: Option<String>,
    /// The only origin the token is sent to (empty:
    /// [`x_search::DEFAULT_API_BASE`]).
    pub x_api_base: String,
    /// How the pages of headline-only items are read.
    pub linked: LinkedOptions,
}

/// Fetches sources and emits documents.
pub struct ScrapeHandler {
    fetcher: Fetcher,
    memory: Arc<dyn Memory>,
    emitter: Emitter,
    listeners: Listeners,
    linked: LinkedPages,
    settings: ScrapeSettings,
}

impl ScrapeHandler {
    /// A handler fetching with `fetcher`, sharing state through `memory`
    /// and reporting documents to `findings`.
    pub fn new(
        fetcher: Fetcher,
        memory: Arc<dyn Memory>,
        findings: FindingsSink,
        settings: ScrapeSettings,
    ) -> Self {
        let emitter = Emitter::new(memory.clone(), findings);
        let listeners = Listeners::new(
            memory.clone(),
            emitter.clone(),
            settings.queen_addr.clone(),
            fetcher.guard().clone(),
        );
        let linked = LinkedPages::new(memory.clone(), settings.linked.clone());
        Self {
            fetcher,
            memory,
            emitter,
            listeners,
            linked,
            settings,
        }
    }

    async fn record_error(&self, source_id: &str, message: &str) {
        metrics::counter!("swarm_scrape_source_errors_total").increment(1);
        tracing::warn!(source = source_id, error = message, "source error");
        if let Err(error) = self
            .memory
            .set(&source_error_key(source_id), message, ERROR_TTL)
            .await
        {
            tracing::warn!(%error, "cannot record the source error");
        }
    }

    /// A failure recorded as the source's last error.
    async fn fail(&self, source: &FetchSource, message: String, retryable: bool) -> Outcome {
        self.record_error(&source.source_id, &message).await;
        Err(HandlerError { message, retryable })
    }

    async fn listen(&self, source: &FetchSource) -> Outcome {
        match self.listeners.ensure(source).await {
            Ok(ensured) => Ok(Done {
                follow_ups: Vec::new(),
                summary: match ensured {
                    Ensured::Started => "push listener started",
                    Ensured::AlreadyRunningHere => "push listener running",
                    Ensured::HeldElsewhere => "push listener held by another replica",
                }
                .into(),
            }),
            Err(message) => self.fail(source, message, false).await,
        }
    }

    /// The URL to fetch and the extras for `source`.
    async fn request(
        &self,
        source: &FetchSource,
        kind: SourceKind,
    ) -> Result<(String, Option<String>), Outcome> {
        if kind != SourceKind::XSearch {
            return Ok((source.url.clone(), None));
        }
        let Some(token) = self.settings.x_bearer_token.clone() else {
            let message = "x_search needs a bearer token (SWARM_X_BEARER_TOKEN)".to_string();
            return Err(self.fail(source, message, false).await);
        };
        let base = if self.settings.x_api_base.is_empty() {
            x_search::DEFAULT_API_BASE
        } else {
            self.settings.x_api_base.as_str()
        };
        if let Err(refused) = x_search::bearer_allowed(base, &source.url) {
            return Err(self.fail(source, refused.to_string(), false).await);
        }
        let since = self
            .memory
            .get(&cursor_key(&source.source_id))
            .await
            .map_err(|e| Err(HandlerError::retryable(format!("shared memory: {e}"))))?;
        match x_search::request_url(&source.url, &source.query, since.as_deref()) {
            Ok(url) => Ok((url, Some(token))),
            Err(error) => Err(self.fail(source, error.to_string(), false).await),
        }
    }
}

#[async_trait::async_trait]
impl Handler for ScrapeHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let source = task
            .payload_as("scraping-specialist", |k| match k {
                task_payload::Kind::FetchSource(s) => Some(s),
                _ => None,
            })?
            .clone();
        let Some(kind) = SourceKind::parse(&source.source_kind) else {
            let message = format!("unknown source kind `{}`", source.source_kind);
            return self.fail(&source, message, false).await;
        };
        if kind == SourceKind::Websocket {
            return self.listen(&source).await;
        }
        let (url, bearer) = match self.request(&source, kind).await {
            Ok(r) => r,
            Err(outcome) => return outcome,
        };
        let extras = Extras {
            bearer: bearer.as_deref(),
        };
        let mut items = Vec::new();
        let mut validators = Validators::default();
        let mut page = Some(url.clone());
        let mut pages = 0;
        // one page for every kind but X search, which follows next_token
        while let Some(page_url) = page.take() {
            pages += 1;
            let body = match self
                .fetcher
                .fetch_with(&source.source_id, &page_url, extras)
                .await
            {
                Ok(Fetched::NotModified) if pages == 1 => {
                    return Ok(Done {
                        follow_ups: Vec::new(),
                        summary: "not modified".into(),
                    });
                }
                Ok(Fetched::NotModified) => break,
                Ok(Fetched::Body {
                    bytes,
                    validators: fresh,
                    ..
                }) => {
                    validators = fresh;
                    bytes
                }
                Err(error) => {
                    let retryable = error.retryable();
                    return self.fail(&source, error.to_string(), retryable).await;
                }
            };
            match parse::items(kind, &source, &body) {
                Ok(mut more) => {
                    if kind == SourceKind::XSearch {
                        let links = x_search::links(&body);
                        for post in &mut more {
                            post.link = links.get(&post.guid).cloned();
                        }
                    }
                    items.extend(more);
                }
                Err(malformed) => {
                    let message = format!("{} ({})", malformed, source.url);
                    return self.fail(&source, message, false).await;
                }
            }
            if kind == SourceKind::XSearch && pages < x_search::MAX_PAGES {
                page = x_search::next_token(&body).and_then(|t| x_search::page_url(&url, &t));
            }
        }
        let newest = (kind == SourceKind::XSearch).then(|| x_search::finish(&mut items));
        let memory_error = |e| HandlerError::retryable(format!("shared memory: {e}"));
        let mut fresh = self
            .emitter
            .unseen(&source, &items)
            .await
            .map_err(memory_error)?;
        self.linked.enrich(&self.fetcher, kind, &mut fresh).await;
        let follow_ups = self
            .emitter
            .emit_unseen(&source, &fresh)
            .await
            .map_err(memory_error)?;
        // processed: only now may the next poll be answered "not modified"
        if let Err(error) = self.fetcher.commit(&source.source_id, &validators).await {
            tracing::warn!(%error, "cannot keep the source's validators");
        }
        if let Some(Some(newest)) = newest {
            let key = cursor_key(&source.source_id);
            if let Err(error) = self.memory.set(&key, &newest, CURSOR_TTL).await {
                tracing::warn!(%error, "cannot keep the search cursor");
            }
        }
        Ok(Done {
            summary: format!("{} items, {} new", items.len(), follow_ups.len()),
            follow_ups,
        })
    }
}
