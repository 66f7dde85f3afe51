//! `SetScheduleInterval` and `RecommendReplicas`: how the performance
//! optimizer tunes the queen (acknowledged, traced; an interval goes through
//! the scheduler's durable mutation path like `UpsertSchedule`).

use swarm_proto::AgentKind;
use swarm_proto::v1::set_schedule_interval_request::Target;
use swarm_proto::v1::{
    RecommendReplicasRequest, RecommendReplicasResponse, SetScheduleIntervalRequest,
    SetScheduleIntervalResponse,
};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::Queen;

/// The schedule a request names: by name, or `source:<id>` by source.
fn schedule_name(target: Option<Target>) -> Result<String, Status> {
    let name = match target {
        Some(Target::Name(name)) => name,
        Some(Target::SourceId(id)) if !id.trim().is_empty() => crate::sources::schedule_name(&id),
        _ => String::new(),
    };
    if name.trim().is_empty() {
        return Err(Status::invalid_argument(
            "name the schedule (name) or its source (source_id)",
        ));
    }
    Ok(name)
}

/// Applies a new interval durably; answers whether the schedule existed.
pub(super) async fn set_interval(
    queen: &Queen,
    request: Request<SetScheduleIntervalRequest>,
) -> Result<Response<SetScheduleIntervalResponse>, Status> {
    let span = tracing::info_span!("set_schedule_interval", schedule = tracing::field::Empty);
    swarm_common::propagation::set_parent_from_metadata(&span, request.metadata());
    let req = request.into_inner();
    let name = schedule_name(req.target)?;
    span.record("schedule", name.as_str());
    async move {
        if req.interval_ms == 0 {
            return Err(Status::invalid_argument("interval_ms must be positive"));
        }
        let changed = queen
            .with_durable(|s, now| s.set_interval(&name, req.interval_ms, now))
            .await?;
        let Some((previous, applied)) = changed else {
            tracing::warn!(schedule = %name, "interval for an unknown schedule ignored");
            return Ok(Response::new(SetScheduleIntervalResponse {
                found: false,
                name,
                ..Default::default()
            }));
        };
        if previous != applied {
            tracing::info!(
                schedule = %name,
                from_ms = previous,
                to_ms = applied,
                "poll interval adapted"
            );
        }
        Ok(Response::new(SetScheduleIntervalResponse {
            found: true,
            name,
            previous_interval_ms: previous,
            interval_ms: applied,
        }))
    }
    .instrument(span)
    .await
}

/// Records a replica recommendation and exports it at once.
pub(super) async fn recommend_replicas(
    queen: &Queen,
    request: Request<RecommendReplicasRequest>,
) -> Result<Response<RecommendReplicasResponse>, Status> {
    let span = tracing::info_span!("recommend_replicas", kind = tracing::field::Empty);
    swarm_common::propagation::set_parent_from_metadata(&span, request.metadata());
    let req = request.into_inner();
    let kind = AgentKind::try_from(req.kind)
        .ok()
        .filter(|k| k.index().is_some())
        .ok_or_else(|| {
            Status::invalid_argument(format!("an agent kind is required (got {})", req.kind))
        })?;
    span.record("kind", kind.name());
    let _entered = span.enter();
    let previous = queen.with(|s, _| {
        let previous = s.recommended(kind);
        s.set_recommended(kind, req.replicas);
        previous
    });
    metrics::gauge!("swarm_recommended_replicas", "kind" => kind.name())
        .set(f64::from(req.replicas));
    if previous != req.replicas {
        tracing::info!(
            kind = kind.name(),
            from = previous,
            to = req.replicas,
            "replica recommendation changed"
        );
    }
    Ok(Response::new(RecommendReplicasResponse {
        previous,
        replicas: req.replicas,
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use swarm_proto::v1::{Noop, Schedule, TaskPayload, TaskSpec, task_payload};

    use super::*;
    use crate::config::QueenConfig;
    use crate::store::{MemoryStore, Store};

    async fn queen_with(store: Arc<dyn Store>, schedule: &str) -> Queen {
        let (queen, _tasks) = Queen::start(QueenConfig::default(), store)
            .await
            .expect("queen");
        let schedule = Schedule {
            name: schedule.into(),
            task: Some(TaskSpec {
                kind: AgentKind::DataQuality as i32,
                payload: Some(TaskPayload {
                    kind: Some(task_payload::Kind::Noop(Noop::default())),
                }),
                ..TaskSpec::default()
            }),
            interval_ms: 60_000,
            paused: true,
            next_run_unix_ms: 0,
        };
        queen
            .with_durable(|s, now| s.upsert_schedule(schedule, now))
            .await
            .expect("durable")
            .expect("schedule");
        queen
    }

    #[tokio::test]
    async fn an_interval_is_answered_and_stored_like_an_upsert() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
        let queen = queen_with(store.clone(), "source:a").await;
        let request = |target: Target, interval_ms| {
            Request::new(SetScheduleIntervalRequest {
                target: Some(target),
                interval_ms,
            })
        };
        let r = set_interval(&queen, request(Target::SourceId("a".into()), 1))
            .await
            .expect("answered")
            .into_inner();
        assert_eq!(
            (
                r.found,
                r.name.as_str(),
                r.previous_interval_ms,
                r.interval_ms
            ),
            (true, "source:a", 60_000, 100),
            "clamped to the shortest interval"
        );
        let r = set_interval(&queen, request(Target::Name("missing".into()), 5_000))
            .await
            .expect("answered")
            .into_inner();
        assert!(!r.found);
        let zero = set_interval(&queen, request(Target::SourceId("a".into()), 0)).await;
        assert_eq!(
            zero.err().map(|s| s.code()),
            Some(tonic::Code::InvalidArgument)
        );
        // durable before the answer: the store already has it
        let stored = store.load().await.expect("load").schedules;
        assert_eq!(stored.len(), 1);
        assert_eq!(
            (stored[0].name.as_str(), stored[0].interval_ms),
            ("source:a", 100)
        );
    }

    #[tokio::test]
    async fn a_recommendation_is_kept_and_shown_in_the_stats() {
        let queen = queen_with(Arc::new(MemoryStore::default()), "x").await;
        let request = |kind: AgentKind, replicas| {
            Request::new(RecommendReplicasRequest {
                kind: kind as i32,
                replicas,
            })
        };
        let r = recommend_replicas(&queen, request(AgentKind::KeywordPrecision, 4))
            .await
            .expect("answered")
            .into_inner();
        assert_eq!((r.previous, r.replicas), (0, 4));
        let r = recommend_replicas(&queen, request(AgentKind::KeywordPrecision, 2))
            .await
            .expect("answered")
            .into_inner();
        assert_eq!((r.previous, r.replicas), (4, 2));
        assert_eq!(queen.lock().recommended(AgentKind::KeywordPrecision), 2);
        let refused = recommend_replicas(&queen, request(AgentKind::Unspecified, 2)).await;
        assert_eq!(
            refused.err().map(|s| s.code()),
            Some(tonic::Code::InvalidArgument)
        );
    }

    #[test]
    fn a_schedule_is_named_directly_or_by_its_source() {
        assert_eq!(
            schedule_name(Some(Target::Name("nightly".into()))).ok(),
            Some("nightly".to_string())
        );
        assert_eq!(
            schedule_name(Some(Target::SourceId("a".into()))).ok(),
            Some("source:a".to_string())
        );
        for missing in [
            None,
            Some(Target::SourceId(" ".into())),
            Some(Target::Name(String::new())),
        ] {
            let status = schedule_name(missing).err().map(|s| s.code());
            assert_eq!(status, Some(tonic::Code::InvalidArgument));
        }
    }
}
