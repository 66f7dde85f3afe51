//! The keyword-precision agent: takes `AnalyzeDocument` tasks from the
//! queen, classifies the document, and for a TGE reports a candidate
//! (a finding in the shared memory, when one is configured) and returns a
//! `ValidateCandidate` follow-up for data-quality.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agent_runtime::{AgentContext, Component, Done, Handler, HandlerError, Outcome, TaskContext};
use swarm_memory::{FindingsSink, Memory, known_tokens};
use swarm_proto::v1::{TaskSpec, ValidateCandidate, task_payload};
use swarm_proto::{AgentKind, Priority};
use swarm_types::Finding;
use swarm_types::finding::Candidate;

use crate::model_file::Model;
use crate::reload::SharedClassifier;
use crate::{Classifier, Document};

/// Concurrent classifications per replica unless the operator says otherwise.
pub const DEFAULT_CAPACITY: u32 = 32;

/// Settings of the keyword-precision agent.
#[derive(Clone)]
pub struct AgentConfig {
    /// The classifier it starts with.
    pub classifier: Arc<Classifier>,
    /// The model a re-read config file is combined with.
    pub model: Model,
    /// Watchlist and known tokens (TOML), re-read when it changes.
    pub config_file: Option<PathBuf>,
    /// How often the config file is looked at.
    pub check_every: Duration,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            classifier: Arc::new(Classifier::default()),
            model: Model::bundled(),
            config_file: None,
            check_every: Duration::from_secs(5),
        }
    }
}

/// The keyword-precision agent over `context`: the handler, and the config
/// file watcher when there is a file.
pub fn build(config: AgentConfig, context: &AgentContext) -> Component {
    let shared = SharedClassifier::new(config.classifier);
    let handler = KeywordHandler::new(
        shared.clone(),
        context.memory.clone(),
        context.findings(AgentKind::KeywordPrecision),
    );
    let component = Component::new(
        AgentKind::KeywordPrecision,
        DEFAULT_CAPACITY,
        Arc::new(handler),
    );
    match config.config_file {
        // the operator refreshes the file (known tokens, watchlist)
        Some(path) => {
            let model = config.model;
            component.with_background(crate::reload::watch_config(
                path,
                config.check_every,
                shared,
                move |c| Classifier::with_model(c, model.clone()),
            ))
        }
        None => component,
    }
}

/// The agent's task handler.
pub struct KeywordHandler {
    classifier: SharedClassifier,
    memory: Arc<dyn Memory>,
    findings: FindingsSink,
}

impl KeywordHandler {
    /// A handler classifying with whatever `classifier` holds at each task
    /// (the config file watcher replaces it); candidates go to `findings`,
    /// tokens known to be live are looked up in `memory`.
    pub fn new(
        classifier: SharedClassifier,
        memory: Arc<dyn Memory>,
        findings: FindingsSink,
    ) -> Self {
        Self {
            classifier,
            memory,
            findings,
        }
    }
}

impl KeywordHandler {
    /// When the swarm saw the decision's token go live, if it did (an
    /// unreachable memory answers "never": the coordinator merges the
    /// report into the live event anyway).
    async fn learned_live_since(&self, decision: &crate::Decision) -> Option<i64> {
        let project = decision.project.as_deref()?;
        match known_tokens::live_since(self.memory.as_ref(), project, decision.symbol.as_deref())
            .await
        {
            Ok(since) => since,
            Err(error) => {
                tracing::warn!(%error, "cannot ask which tokens went live");
                None
            }
        }
    }
}

#[async_trait::async_trait]
impl Handler for KeywordHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let doc = task
            .payload_as("keyword-precision", |k| match k {
                task_payload::Kind::AnalyzeDocument(d) => Some(d),
                _ => None,
            })?
            .clone();
        let decision = self.classifier.current().classify(&Document {
            id: doc.document_id.clone(),
            title: doc.title.clone(),
            text: doc.text.clone(),
            published_unix_ms: doc.published_unix_ms,
        });
        let status_update = decision
            .status_update
            .filter(|_| decision.project.is_some() && !decision.is_tge);
        if decision.is_tge
            && let Some(since) = self.learned_live_since(&decision).await
        {
            let at = if doc.published_unix_ms > 0 {
                doc.published_unix_ms
            } else {
                swarm_common::time::now_ms()
            };
            if at > since + crate::config::LAUNCH_GRACE_MS {
                metrics::counter!("swarm_classified_known_token_total", "source" => "learned")
                    .increment(1);
                return Ok(Done {
                    follow_ups: Vec::new(),
                    summary: format!(
                        "not a TGE: {} already went live (p={:.3})",
                        decision.project.as_deref().unwrap_or_default(),
                        decision.confidence
                    ),
                });
            }
        }
        if !decision.is_tge && status_update.is_none() {
            return Ok(Done {
                follow_ups: Vec::new(),
                summary: format!("not a TGE (p={:.3})", decision.confidence),
            });
        }
        let Some(project) = decision.project.clone() else {
            // nothing to merge into an event: say so instead of sending
            // data-quality a candidate it must refuse
            metrics::counter!("swarm_classified_unattributed_total").increment(1);
            return Ok(Done {
                follow_ups: Vec::new(),
                summary: format!(
                    "TGE-like but names no project (p={:.3})",
                    decision.confidence
                ),
            });
        };
        let candidate_id = format!("cand-{}", doc.document_id);
        let finding = Finding::Candidate(Candidate {
            id: candidate_id.clone(),
            document_id: doc.document_id.clone(),
            project: project.clone(),
            symbol: decision.symbol.clone(),
            confidence: decision.confidence,
        });
        self.findings
            .report(finding)
            .await
            .map_err(|e| HandlerError::retryable(format!("cannot record the candidate: {e}")))?;
        let follow_up = TaskSpec {
            priority: Priority::High as i32,
            dedup_key: format!("validate:{}", doc.document_id),
            ..TaskSpec::routed(task_payload::Kind::ValidateCandidate(ValidateCandidate {
                candidate_id,
                document_id: doc.document_id.clone(),
                project: project.clone(),
                symbol: decision.symbol.clone().unwrap_or_default(),
                confidence: decision.confidence,
                event_date: decision.event_date.value.clone().unwrap_or_default(),
                source_id: doc.source_id.clone(),
                url: doc.url.clone(),
                snippet: decision.snippet.clone(),
                date_precision: serde_json::to_value(decision.event_date.precision)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "unknown".into()),
                observed_unix_ms: swarm_common::time::now_ms(),
                watchlist: decision.watchlist,
                source_kind: doc.source_kind.clone(),
                language: doc.language.clone(),
                text: bounded_text(&doc.title, &doc.text),
                status_update: status_update
                    .map(|u| u.name().to_string())
                    .unwrap_or_default(),
            }))
        };
        let summary = match status_update {
            Some(update) => format!("TGE of {project} {}", update.name()),
            None => format!("TGE of {project} (p={:.3})", decision.confidence),
        };
        Ok(Done {
            follow_ups: vec![follow_up],
            summary,
        })
    }
}

/// Title and text for near-duplicate detection, cut at a char boundary.
fn bounded_text(title: &str, text: &str) -> String {
    const MAX_BYTES: usize = 16 * 1024;
    let mut joined = format!("{title}\n{text}");
    joined.truncate(joined.floor_char_boundary(MAX_BYTES));
    joined
}

#[cfg(test)]
mod tests {
    use swarm_memory::LocalMemory;
    use swarm_proto::v1::{AnalyzeDocument, Task, TaskPayload};

    use super::*;

    const DAY_MS: i64 = 86_400_000;
    /// 2027-03-01
    const PUBLISHED_MS: i64 = 1_803_859_200_000;

    fn analyze(id: &str, published_unix_ms: i64) -> TaskContext {
        TaskContext {
            task: Task {
                spec: Some(TaskSpec {
                    payload: Some(TaskPayload {
                        kind: Some(task_payload::Kind::AnalyzeDocument(AnalyzeDocument {
                            document_id: id.into(),
                            title: "Quillmark Network (QMK) airdrop claim opens March 20".into(),
                            text: "Quillmark Network will hold its token generation event on \
                                   March 20, 2027. Eligible wallets can claim QMK on the \
                                   official portal once the TGE goes live."
                                .into(),
                            published_unix_ms,
                            ..AnalyzeDocument::default()
                        })),
                    }),
                    ..TaskSpec::default()
                }),
                ..Task::default()
            },
        }
    }

    fn handler_over(memory: Arc<dyn Memory>) -> KeywordHandler {
        let findings = FindingsSink::new(memory.clone(), "kp:{t}:stream", "keyword-precision");
        KeywordHandler::new(
            SharedClassifier::new(Arc::new(Classifier::default())),
            memory,
            findings,
        )
    }

    #[tokio::test]
    async fn a_token_the_swarm_saw_go_live_is_not_announced_again_after_the_grace() {
        let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
        let handler = handler_over(memory.clone());

        let fresh = handler.handle(analyze("d1", PUBLISHED_MS)).await.unwrap();
        assert_eq!(fresh.follow_ups.len(), 1, "{}", fresh.summary);

        // the coordinator saw the event go live a month before the next report
        known_tokens::record_live(
            memory.as_ref(),
            "Quillmark Network",
            Some("QMK"),
            PUBLISHED_MS - 30 * DAY_MS,
        )
        .await
        .unwrap();
        let later = handler.handle(analyze("d2", PUBLISHED_MS)).await.unwrap();
        assert!(later.follow_ups.is_empty(), "{}", later.summary);
        assert!(
            later.summary.contains("already went live"),
            "{}",
            later.summary
        );

        // within the grace after going live, reports still corroborate it
        let other: Arc<dyn Memory> = Arc::new(LocalMemory::default());
        known_tokens::record_live(
            other.as_ref(),
            "Quillmark Network",
            Some("QMK"),
            PUBLISHED_MS - DAY_MS,
        )
        .await
        .unwrap();
        let handler = handler_over(other);
        let recent = handler.handle(analyze("d3", PUBLISHED_MS)).await.unwrap();
        assert_eq!(recent.follow_ups.len(), 1, "{}", recent.summary);
    }
}
