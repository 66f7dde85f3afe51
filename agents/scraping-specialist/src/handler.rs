//! The agent's `FetchSource` handler: fetch, parse, keep what is new.

use std::sync::Arc;
use std::time::Duration;

use agent_runtime::{Done, Handler, HandlerError, Outcome, TaskContext};
use memory_coordinator::finding::Document;
use memory_coordinator::layout::{findings_stream, seen_key, source_error_key};
use memory_coordinator::{Envelope, Finding, Memory};
use swarm_proto::v1::{AnalyzeDocument, TaskPayload, TaskSpec, task_payload};
use swarm_proto::{AgentKind, Priority};

use crate::fetch::{Fetched, Fetcher};
use crate::parse;

/// How long an item counts as seen.
const SEEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long a source's last error is kept.
const ERROR_TTL: Duration = Duration::from_secs(24 * 3600);

/// Stable id of a document: FNV-1a of its canonical URL.
pub fn document_id(canonical_url: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canonical_url.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("doc-{hash:016x}")
}

/// Fetches sources and emits documents.
pub struct ScrapeHandler {
    fetcher: Fetcher,
    memory: Arc<dyn Memory>,
}

impl ScrapeHandler {
    /// A handler fetching with `fetcher` and sharing state through `memory`.
    pub fn new(fetcher: Fetcher, memory: Arc<dyn Memory>) -> Self {
        Self { fetcher, memory }
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
}

#[async_trait::async_trait]
impl Handler for ScrapeHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let Some(task_payload::Kind::FetchSource(source)) =
            task.payload().and_then(|p| p.kind.clone())
        else {
            let variant = task.payload().map_or("empty", |p| p.variant_name());
            return Err(HandlerError::permanent(format!(
                "scraping-specialist cannot handle a {variant} payload"
            )));
        };
        let fetched = match self.fetcher.fetch(&source.source_id, &source.url).await {
            Ok(f) => f,
            Err(error) => {
                self.record_error(&source.source_id, &error.to_string())
                    .await;
                return Err(HandlerError {
                    message: error.to_string(),
                    retryable: error.retryable(),
                });
            }
        };
        let body = match fetched {
            Fetched::NotModified => {
                return Ok(Done {
                    follow_ups: Vec::new(),
                    summary: "not modified".into(),
                });
            }
            Fetched::Body { bytes, .. } => bytes,
        };
        let items = match parse::items(&body) {
            Ok(items) => items,
            Err(malformed) => {
                let message = format!("{} ({})", malformed, source.url);
                self.record_error(&source.source_id, &message).await;
                return Err(HandlerError::permanent(message));
            }
        };
        let fetched_at = swarm_common::time::now_ms();
        let mut follow_ups = Vec::new();
        for item in &items {
            let id = document_id(&item.url);
            let first = self
                .memory
                .set_if_absent(&seen_key(&source.source_id, &id), "1", SEEN_TTL)
                .await
                .map_err(|e| HandlerError::retryable(format!("shared memory: {e}")))?;
            if !first {
                continue;
            }
            let finding = Finding::Document(Document {
                id: id.clone(),
                source_id: source.source_id.clone(),
                source_kind: source.source_kind.clone(),
                url: item.url.clone(),
                title: item.title.clone(),
                text: item.text.clone(),
                published_unix_ms: item.published_unix_ms,
                fetched_unix_ms: fetched_at,
                language: None,
            });
            self.memory
                .append(
                    &findings_stream(),
                    &Envelope::new("scraping-specialist", finding).to_bytes(),
                    1_000_000,
                )
                .await
                .map_err(|e| HandlerError::retryable(format!("shared memory: {e}")))?;
            follow_ups.push(TaskSpec {
                kind: AgentKind::KeywordPrecision as i32,
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::AnalyzeDocument(AnalyzeDocument {
                        document_id: id.clone(),
                        source_id: source.source_id.clone(),
                        url: item.url.clone(),
                        title: item.title.clone(),
                        text: item.text.clone(),
                        published_unix_ms: item.published_unix_ms.unwrap_or(fetched_at),
                    })),
                }),
                priority: Priority::High as i32,
                dedup_key: format!("analyze:{id}"),
                ..TaskSpec::default()
            });
        }
        metrics::counter!("swarm_scrape_documents_total").increment(follow_ups.len() as u64);
        Ok(Done {
            summary: format!("{} items, {} new", items.len(), follow_ups.len()),
            follow_ups,
        })
    }
}
