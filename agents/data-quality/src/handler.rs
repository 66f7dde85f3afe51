//! The agent's `ValidateCandidate` handler: validate, sanitize, mark
//! near-duplicates of other sources' reports, record the detection.

use std::sync::Arc;

use agent_runtime::{Done, Handler, HandlerError, Outcome, TaskContext};
use memory_coordinator::finding::{Detection, Status};
use memory_coordinator::synth::project_key;
use memory_coordinator::{Envelope, Finding, Memory};
use swarm_proto::v1::task_payload;

use crate::{neardup, validate};

/// Fingerprints kept per project (the newest).
const FINGERPRINTS_KEPT: u64 = 200;

/// Validates candidates and records detections.
pub struct QualityHandler {
    memory: Arc<dyn Memory>,
}

impl QualityHandler {
    /// Records detections in `memory`.
    pub fn new(memory: Arc<dyn Memory>) -> Self {
        Self { memory }
    }

    /// The source whose earlier report about `project` this text nearly
    /// duplicates, if any; remembers this report's fingerprint.
    async fn duplicate_of(
        &self,
        project: &str,
        source_id: &str,
        text: &str,
    ) -> Result<Option<String>, memory_coordinator::Error> {
        let Some(fingerprint) = neardup::simhash(text) else {
            return Ok(None);
        };
        let key = memory_coordinator::layout::fingerprints_key(&project_key(project));
        let earlier = self.memory.recent(&key, FINGERPRINTS_KEPT as usize).await?;
        let original = earlier.iter().find_map(|entry| {
            let text = std::str::from_utf8(&entry.payload).ok()?;
            let (source, hex) = text.split_once('\t')?;
            let theirs = u64::from_str_radix(hex, 16).ok()?;
            (source != source_id && neardup::near(fingerprint, theirs)).then(|| source.to_string())
        });
        let entry = format!("{source_id}\t{fingerprint:016x}");
        self.memory
            .append(&key, entry.as_bytes(), FINGERPRINTS_KEPT)
            .await?;
        Ok(original)
    }
}

#[async_trait::async_trait]
impl Handler for QualityHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let Some(task_payload::Kind::ValidateCandidate(c)) =
            task.payload().and_then(|p| p.kind.clone())
        else {
            let variant = task.payload().map_or("empty", |p| p.variant_name());
            return Err(HandlerError::permanent(format!(
                "data-quality cannot handle a {variant} payload"
            )));
        };
        let project = validate::project(&c.project).map_err(|e| {
            metrics::counter!("swarm_candidates_total", "outcome" => "invalid").increment(1);
            HandlerError::permanent(format!("invalid candidate {}: {}", c.candidate_id, e.0))
        })?;
        if !(0.0..=1.0).contains(&c.confidence) || c.confidence.is_nan() {
            return Err(HandlerError::permanent(format!(
                "invalid confidence {}",
                c.confidence
            )));
        }
        let status_update = match c.status_update.as_str() {
            "" => None,
            name => Some(
                Status::parse(name)
                    .filter(|s| matches!(s, Status::Postponed | Status::Cancelled))
                    .ok_or_else(|| {
                        HandlerError::permanent(format!(
                            "invalid status update `{name}` (postponed or cancelled)"
                        ))
                    })?,
            ),
        };
        let (event_date, precision) = validate::date(&c.event_date);
        let snippet = validate::sanitize(&c.snippet);
        let text = if c.text.is_empty() {
            &c.snippet
        } else {
            &c.text
        };
        let duplicate_of = self
            .duplicate_of(&project, &c.source_id, text)
            .await
            .map_err(|e| HandlerError::retryable(format!("shared memory: {e}")))?;
        if let Some(original) = &duplicate_of {
            metrics::counter!("swarm_near_duplicates_total").increment(1);
            tracing::info!(project = %project, source = %c.source_id, original = %original, "near-duplicate report");
        }
        let detection = Detection {
            id: format!("det-{}", c.candidate_id),
            document_id: c.document_id.clone(),
            source_id: c.source_id.clone(),
            source_kind: if c.source_kind.is_empty() {
                "feed".into()
            } else {
                c.source_kind.clone()
            },
            url: c.url.clone(),
            project: project.clone(),
            symbol: validate::symbol(&c.symbol),
            status: status_update
                .unwrap_or_else(|| validate::status(&snippet, event_date.is_some())),
            event_date,
            date_precision: precision,
            confidence: c.confidence,
            snippet,
            watchlist: c.watchlist,
            observed_unix_ms: if c.observed_unix_ms > 0 {
                c.observed_unix_ms
            } else {
                swarm_common::time::now_ms()
            },
            duplicate_of,
            status_only: status_update.is_some(),
        };
        let envelope = Envelope::new("data-quality", Finding::Detection(detection));
        self.memory
            .append(
                &memory_coordinator::layout::findings_stream(),
                &envelope.to_bytes(),
                1_000_000,
            )
            .await
            .map_err(|e| HandlerError::retryable(format!("cannot record the detection: {e}")))?;
        metrics::counter!("swarm_candidates_total", "outcome" => "valid").increment(1);
        Ok(Done {
            follow_ups: Vec::new(),
            summary: format!("detection of {project} recorded"),
        })
    }
}
