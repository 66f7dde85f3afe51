//! The queen's schedules for the query API's `/api/v1/sources`
//! ([`tge_api::schedules::SourceSchedules`]): read from the scheduler in
//! this process ([`InProcess`]: a full queen, the embedded run), or from a
//! queen's admin gRPC API ([`OverGrpc`]: `queen --api-only` replicas with
//! `api.queen_url`).

use std::time::Duration;

use swarm_proto::v1::ListSchedulesRequest;
use tge_api::schedules::{ScheduleError, SourceSchedule, SourceSchedules};
use tokio::sync::Mutex;

use crate::Queen;

/// Longest wait for the queen's answer.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The schedules of the queen running in this process.
pub struct InProcess(pub Queen);

#[async_trait::async_trait]
impl SourceSchedules for InProcess {
    async fn list(&self) -> Result<Vec<SourceSchedule>, ScheduleError> {
        Ok(self.0.lock().schedules())
    }
}

/// The schedules of the queen at an address, through `ListSchedules`; the
/// connection is opened on first use and again after a failure.
pub struct OverGrpc {
    link: queen_client::QueenLink,
    addr: String,
    client: Mutex<Option<queen_client::AdminClient>>,
}

impl OverGrpc {
    /// Asks the queen `link` leads to (`http://host:port`, with a reader
    /// credential when the queen enforces them).
    pub fn new(link: impl Into<queen_client::QueenLink>) -> Self {
        let link = link.into();
        Self {
            addr: link.addr().to_string(),
            link,
            client: Mutex::new(None),
        }
    }

    async fn fetch(&self) -> Result<Vec<SourceSchedule>, ScheduleError> {
        let mut held = self.client.lock().await;
        let mut client = match held.take() {
            Some(client) => client,
            None => queen_client::admin(&self.link).await.map_err(|e| {
                ScheduleError(format!("cannot reach the queen at {}: {e}", self.addr))
            })?,
        };
        let schedules = client
            .list_schedules(ListSchedulesRequest {})
            .await
            .map_err(|s| {
                ScheduleError(format!(
                    "ListSchedules at {}: {} ({:?})",
                    self.addr,
                    s.message(),
                    s.code()
                ))
            })?
            .into_inner()
            .schedules;
        *held = Some(client);
        Ok(schedules)
    }
}

#[async_trait::async_trait]
impl SourceSchedules for OverGrpc {
    async fn list(&self) -> Result<Vec<SourceSchedule>, ScheduleError> {
        tokio::time::timeout(TIMEOUT, self.fetch())
            .await
            .map_err(|_| {
                ScheduleError(format!(
                    "the queen at {} did not answer in {TIMEOUT:?}",
                    self.addr
                ))
            })?
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::QueenConfig;
    use crate::store::MemoryStore;

    #[tokio::test]
    async fn in_process_schedules_are_the_schedulers() {
        let (queen, _tasks) =
            Queen::start(QueenConfig::default(), Arc::new(MemoryStore::default()))
                .await
                .expect("queen");
        let source = crate::sources::SourceConfig {
            kind: crate::sources::SourceKind::Rss,
            url: "https://news.example.test/feed".into(),
            interval_ms: 60_000,
            paused: false,
            priority: None,
            json: None,
            html: None,
            query: None,
        };
        let schedule = source.schedule("a");
        queen
            .with_durable(|s, now| s.upsert_schedule(schedule, now))
            .await
            .expect("durable")
            .expect("schedule");
        let listed = InProcess(queen).list().await.expect("listed");
        let names: Vec<&str> = listed.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["source:a"]);
    }

    #[tokio::test]
    async fn an_unreachable_queen_is_an_error_naming_it() {
        let schedules = OverGrpc::new("http://127.0.0.1:1");
        let error = schedules.list().await.err().map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| e.contains("127.0.0.1:1")),
            "{error:?}"
        );
    }
}
