//! The agent's `ValidateCandidate` handler: validate, sanitize,
//! fingerprint the text (the synthesis compares fingerprints to mark
//! syndicated copies), record the detection.

use std::sync::Arc;

use agent_runtime::{Done, Handler, HandlerError, Outcome, TaskContext};
use swarm_memory::{FindingsSink, Memory};
use swarm_proto::v1::task_payload;
use swarm_types::Finding;
use swarm_types::finding::{Detection, Status};

use crate::{neardup, validate};

/// Validates candidates and records detections.
pub struct QualityHandler {
    memory: Arc<dyn Memory>,
    findings: FindingsSink,
}

impl QualityHandler {
    /// Reports detections to `findings`; records sources' hits in `memory`.
    pub fn new(memory: Arc<dyn Memory>, findings: FindingsSink) -> Self {
        Self { memory, findings }
    }
}

#[async_trait::async_trait]
impl Handler for QualityHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let c = task
            .payload_as("data-quality", |k| match k {
                task_payload::Kind::ValidateCandidate(c) => Some(c),
                _ => None,
            })?
            .clone();
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
            fingerprint: neardup::simhash(text),
            duplicate_of: None,
            status_only: status_update.is_some(),
            language: validate::language(&c.language),
        };
        let status_only = status_update.is_some();
        self.findings
            .report(Finding::Detection(detection))
            .await
            .map_err(|e| HandlerError::retryable(format!("cannot record the detection: {e}")))?;
        if !status_only {
            // the source's poll yielded a TGE: the optimizer polls it more
            if let Err(error) = swarm_memory::reliability::samples::record_hit(
                self.memory.as_ref(),
                &c.source_id,
                swarm_common::time::now_ms(),
            )
            .await
            {
                tracing::warn!(%error, "cannot record the source's hit");
            }
        }
        metrics::counter!("swarm_candidates_total", "outcome" => "valid").increment(1);
        Ok(Done {
            follow_ups: Vec::new(),
            summary: format!("detection of {project} recorded"),
        })
    }
}

#[cfg(test)]
mod tests {
    use swarm_memory::LocalMemory;
    use swarm_proto::v1::{Task, TaskPayload, TaskSpec, ValidateCandidate};
    use swarm_types::Envelope;

    use super::*;

    fn validate(language: &str) -> TaskContext {
        TaskContext {
            task: Task {
                spec: Some(TaskSpec {
                    payload: Some(TaskPayload {
                        kind: Some(task_payload::Kind::ValidateCandidate(ValidateCandidate {
                            candidate_id: format!("c-{language}"),
                            document_id: "doc-1".into(),
                            project: "Fernhollow Protocol".into(),
                            confidence: 0.9,
                            event_date: "2027-08-12".into(),
                            source_id: "outlet".into(),
                            snippet: "Fernhollow Protocol holds its TGE on August 12, 2027.".into(),
                            language: language.into(),
                            ..ValidateCandidate::default()
                        })),
                    }),
                    ..TaskSpec::default()
                }),
                ..Task::default()
            },
        }
    }

    #[tokio::test]
    async fn the_documents_language_reaches_the_detection() {
        let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
        let findings = FindingsSink::new(memory.clone(), "dq:{t}:stream", "data-quality");
        let handler = QualityHandler::new(memory.clone(), findings);
        for language in ["zh-Hans", "", "not a tag"] {
            handler.handle(validate(language)).await.unwrap();
        }
        let recorded = memory.recent("dq:{t}:stream", 10).await.unwrap();
        let mut languages: Vec<(String, Option<String>)> = recorded
            .iter()
            .filter_map(
                |d| match Envelope::<Finding>::from_bytes(&d.payload).ok()?.body {
                    Finding::Detection(d) => Some((d.id, d.language)),
                    _ => None,
                },
            )
            .collect();
        languages.sort();
        assert_eq!(
            languages,
            [
                ("det-c-".to_string(), None),
                ("det-c-not a tag".to_string(), None),
                ("det-c-zh-Hans".to_string(), Some("zh".to_string())),
            ]
        );
    }
}
