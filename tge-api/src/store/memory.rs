//! [`EventStore`] over the embedded run's in-process events
//! ([`MemoryEvents`], read through [`tge_events::Reader`]: the list rules
//! of [`tge_events::filter`]) and the queen's schedules.

use std::sync::Arc;

use tge_events::{MemoryEvents, Reader};

use super::{Error, EventStore, SourceRow, convert};
use crate::filter::Filter;
use crate::model::{Event, EventDetail, Project};

/// A queen schedule (the sources are the ones running `FetchSource`).
pub type SourceSchedule = swarm_proto::v1::Schedule;

/// Lists the queen's schedules.
pub type ScheduleProvider = Arc<dyn Fn() -> Vec<SourceSchedule> + Send + Sync>;

/// Events of the embedded run.
#[derive(Clone)]
pub struct MemoryApiStore {
    events: Arc<MemoryEvents>,
    schedules: ScheduleProvider,
}

impl MemoryApiStore {
    /// Reads `events`; sources come from `schedules`.
    pub fn new(events: Arc<MemoryEvents>, schedules: ScheduleProvider) -> Self {
        Self { events, schedules }
    }
}

#[async_trait::async_trait]
impl EventStore for MemoryApiStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn list(&self, f: &Filter) -> Result<Vec<Event>, Error> {
        Ok(convert::events(self.events.list(f).await?))
    }

    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error> {
        Ok(self.events.detail(id).await?.map(convert::detail))
    }

    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<Project>, Error> {
        Ok(convert::projects(
            self.events.projects(prefix, limit).await?,
        ))
    }

    async fn sources(&self) -> Result<Vec<SourceRow>, Error> {
        let documents = self.events.documents();
        let mut sources = Vec::new();
        for s in (self.schedules)() {
            use swarm_proto::v1::task_payload::Kind;
            let Some(Kind::FetchSource(fetch)) = s
                .task
                .as_ref()
                .and_then(|t| t.payload.as_ref())
                .and_then(|p| p.kind.clone())
            else {
                continue;
            };
            let docs: Vec<i64> = documents
                .values()
                .filter(|d| d.source_id == fetch.source_id)
                .map(|d| d.fetched_unix_ms)
                .collect();
            sources.push(SourceRow {
                source_id: fetch.source_id,
                schedule: s.name,
                url: fetch.url,
                kind: fetch.source_kind,
                interval_ms: s.interval_ms as i64,
                paused: s.paused,
                next_run_ms: s.next_run_unix_ms,
                last_fetched_us: docs.iter().max().map(|ms| ms * 1000),
                documents: docs.len() as i64,
            });
        }
        Ok(sources)
    }

    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Event>, Error> {
        Ok(convert::events(
            self.events.changes_since(seq, limit).await?,
        ))
    }

    async fn last_seq(&self) -> Result<i64, Error> {
        Ok(self.events.last_seq().await?)
    }

    async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }
}
