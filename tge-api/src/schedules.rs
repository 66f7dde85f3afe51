//! Where `/api/v1/sources` learns which sources are polled and how:
//! [`SourceSchedules`], the queen's schedules (provided by the queen —
//! read in-process, or over its admin gRPC API for `--api-only` replicas),
//! and [`NoSchedules`] when there is no queen to ask.

/// A queen schedule (the sources are the ones running `FetchSource`).
pub type SourceSchedule = swarm_proto::v1::Schedule;

/// Why the schedules could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the queen's schedules: {0}")]
pub struct ScheduleError(pub String);

/// The queen's schedules.
#[async_trait::async_trait]
pub trait SourceSchedules: Send + Sync + 'static {
    /// Every schedule, by name.
    async fn list(&self) -> Result<Vec<SourceSchedule>, ScheduleError>;
}

/// No queen to ask: no source has a schedule, so none is listed.
pub struct NoSchedules;

#[async_trait::async_trait]
impl SourceSchedules for NoSchedules {
    async fn list(&self) -> Result<Vec<SourceSchedule>, ScheduleError> {
        Ok(Vec::new())
    }
}

/// A polled source as its schedule describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolledSource {
    /// Id of the configured source.
    pub source_id: String,
    /// Name of the queen schedule polling it.
    pub schedule: String,
    /// URL polled.
    pub url: String,
    /// Source kind (`rss`, `html`, `json_api`, …).
    pub kind: String,
    /// Polling interval (ms).
    pub interval_ms: i64,
    /// Whether the schedule is paused.
    pub paused: bool,
    /// Next run (unix ms; 0 or less: not planned).
    pub next_run_ms: i64,
}

/// The sources among `schedules`: those whose task is a `FetchSource`.
pub fn polled_sources(schedules: Vec<SourceSchedule>) -> Vec<PolledSource> {
    use swarm_proto::v1::task_payload::Kind;
    schedules
        .into_iter()
        .filter_map(|s| {
            let Some(Kind::FetchSource(fetch)) = s
                .task
                .as_ref()
                .and_then(|t| t.payload.as_ref())
                .and_then(|p| p.kind.clone())
            else {
                return None;
            };
            Some(PolledSource {
                source_id: fetch.source_id,
                schedule: s.name,
                url: fetch.url,
                kind: fetch.source_kind,
                interval_ms: s.interval_ms as i64,
                paused: s.paused,
                next_run_ms: s.next_run_unix_ms,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use swarm_proto::v1::{FetchSource, Noop, TaskPayload, TaskSpec, task_payload::Kind};

    use super::*;

    fn schedule(name: &str, kind: Kind) -> SourceSchedule {
        SourceSchedule {
            name: name.into(),
            task: Some(TaskSpec {
                payload: Some(TaskPayload { kind: Some(kind) }),
                ..TaskSpec::default()
            }),
            interval_ms: 60_000,
            paused: false,
            next_run_unix_ms: 42,
        }
    }

    #[tokio::test]
    async fn only_fetch_schedules_are_sources() {
        let fetch = FetchSource {
            source_id: "a".into(),
            url: "https://a.test/feed".into(),
            source_kind: "rss".into(),
            ..FetchSource::default()
        };
        let sources = polled_sources(vec![
            schedule("source:a", Kind::FetchSource(fetch)),
            schedule("nightly", Kind::Noop(Noop::default())),
        ]);
        assert_eq!(
            sources,
            [PolledSource {
                source_id: "a".into(),
                schedule: "source:a".into(),
                url: "https://a.test/feed".into(),
                kind: "rss".into(),
                interval_ms: 60_000,
                paused: false,
                next_run_ms: 42,
            }]
        );
        assert!(NoSchedules.list().await.is_ok_and(|s| s.is_empty()));
    }
}
