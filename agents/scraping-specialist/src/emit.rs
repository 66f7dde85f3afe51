//! From parsed items to the pipeline: first-seen dedup by canonical URL
//! (shared by every replica), a `Document` finding per new item on the
//! findings stream, and the `AnalyzeDocument` follow-up for
//! keyword-precision, both carrying the document's language (stated by the
//! source or detected, [`crate::language`]). The item is marked seen only
//! after its finding is appended, so a failure in between repeats work
//! instead of losing it.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use swarm_memory::layout::seen_key;
use swarm_memory::{FindingsSink, Memory};
use swarm_proto::Priority;
use swarm_proto::v1::{AnalyzeDocument, FetchSource, TaskSpec, task_payload};
use swarm_types::Finding;
use swarm_types::finding::Document;

use crate::language;
use crate::parse::Item;

/// How long an item counts as seen.
const SEEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Stable id of a document: FNV-1a of its canonical URL.
pub fn document_id(canonical_url: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canonical_url.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("doc-{hash:016x}")
}

/// Turns new items into findings and follow-up tasks.
#[derive(Clone)]
pub struct Emitter {
    memory: Arc<dyn Memory>,
    findings: FindingsSink,
}

impl Emitter {
    /// An emitter reporting documents to `findings` and keeping first-seen
    /// markers in `memory`.
    pub fn new(memory: Arc<dyn Memory>, findings: FindingsSink) -> Self {
        Self { memory, findings }
    }

    /// Emits the items of `source` not seen before; returns their
    /// `AnalyzeDocument` follow-ups.
    ///
    /// # Errors
    ///
    /// The shared memory failed (retryable: nothing was marked seen
    /// that was not emitted).
    pub async fn emit(
        &self,
        source: &FetchSource,
        items: &[Item],
    ) -> Result<Vec<TaskSpec>, swarm_memory::Error> {
        let fresh = self.unseen(source, items).await?;
        self.emit_unseen(source, &fresh).await
    }

    /// The items of `source` not seen before (each once), for work that
    /// only new items deserve (reading their linked pages) before
    /// [`Emitter::emit_unseen`].
    ///
    /// # Errors
    ///
    /// The shared memory failed.
    pub async fn unseen(
        &self,
        source: &FetchSource,
        items: &[Item],
    ) -> Result<Vec<Item>, swarm_memory::Error> {
        let mut ids = HashSet::new();
        let mut fresh = Vec::new();
        for item in items {
            let id = document_id(&item.url);
            if !ids.insert(id.clone()) {
                continue;
            }
            if self
                .memory
                .get(&seen_key(&source.source_id, &id))
                .await?
                .is_none()
            {
                fresh.push(item.clone());
            }
        }
        Ok(fresh)
    }

    /// Emits `items` (from [`Emitter::unseen`]): a `Document` finding each,
    /// marked seen after it is appended; returns the `AnalyzeDocument`
    /// follow-ups of the items this replica marked first.
    ///
    /// # Errors
    ///
    /// As [`Emitter::emit`].
    pub async fn emit_unseen(
        &self,
        source: &FetchSource,
        items: &[Item],
    ) -> Result<Vec<TaskSpec>, swarm_memory::Error> {
        let fetched_at = swarm_common::time::now_ms();
        let mut follow_ups = Vec::new();
        for item in items {
            let id = document_id(&item.url);
            let seen = seen_key(&source.source_id, &id);
            let language = language::of(item.language.as_deref(), &item.title, &item.text);
            let finding = Finding::Document(Document {
                id: id.clone(),
                source_id: source.source_id.clone(),
                source_kind: source.source_kind.clone(),
                url: item.url.clone(),
                title: item.title.clone(),
                text: item.text.clone(),
                published_unix_ms: item.published_unix_ms,
                fetched_unix_ms: fetched_at,
                language: language.clone(),
            });
            self.findings.report(finding).await?;
            if !self.memory.set_if_absent(&seen, "1", SEEN_TTL).await? {
                continue; // another replica emitted it at the same moment
            }
            follow_ups.push(analyze_task(
                source,
                item,
                &id,
                fetched_at,
                language.unwrap_or_default(),
            ));
        }
        metrics::counter!("swarm_scrape_documents_total").increment(follow_ups.len() as u64);
        Ok(follow_ups)
    }
}

fn analyze_task(
    source: &FetchSource,
    item: &Item,
    id: &str,
    fetched_at: i64,
    language: String,
) -> TaskSpec {
    TaskSpec {
        priority: Priority::High as i32,
        dedup_key: format!("analyze:{id}"),
        ..TaskSpec::routed(task_payload::Kind::AnalyzeDocument(AnalyzeDocument {
            document_id: id.to_string(),
            source_id: source.source_id.clone(),
            url: item.url.clone(),
            title: item.title.clone(),
            text: item.text.clone(),
            published_unix_ms: item.published_unix_ms.unwrap_or(fetched_at),
            source_kind: source.source_kind.clone(),
            language,
        }))
    }
}
