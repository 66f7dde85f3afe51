//! [`Queen`]: the scheduler behind one lock, its timers, and the durable
//! submit path. Cheap to clone; every gRPC handler holds one.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use swarm_common::time::now_ms;
use swarm_proto::v1::{SubmittedTask, TaskSpec};
use tokio::task::JoinHandle;

use crate::config::QueenConfig;
use crate::persister::{Backlog, DEFAULT_MAX_BACKLOG, NotDurable, Persister};
use crate::scheduler::{Scheduler, Settings, SubmitError};
use crate::store::{self, Store};

/// Handle to a running queen.
#[derive(Clone)]
pub struct Queen {
    inner: Arc<Inner>,
}

/// How a queen pushes back when its store falls behind.
#[derive(Debug, Clone, Copy)]
pub struct Backpressure {
    /// Uncommitted writes past which submits wait and nothing new is leased.
    pub max_backlog: usize,
    /// How long a submit waits for room before it is refused
    /// (`RESOURCE_EXHAUSTED`).
    pub submit_wait: Duration,
}

impl Default for Backpressure {
    fn default() -> Self {
        Self {
            max_backlog: DEFAULT_MAX_BACKLOG,
            submit_wait: Duration::from_secs(5),
        }
    }
}

struct Inner {
    scheduler: Mutex<Scheduler>,
    config: QueenConfig,
    /// The persister's backlog: submits wait for room in it.
    backlog: Backlog,
    /// How long a submit waits for room.
    submit_wait: Duration,
}

/// What a submitter is told when its writes are not durable.
fn not_durable(error: NotDurable) -> SubmitError {
    match error {
        NotDurable::Stopped => {
            SubmitError::Unavailable("the persister stopped; nothing acknowledged".into())
        }
        NotDurable::Refused(message) => SubmitError::Refused(message),
    }
}

/// Background tasks of a queen, to await on shutdown.
pub struct Tasks {
    /// Writes scheduler changes to the store in batches.
    pub persister: JoinHandle<()>,
    /// Runs the scheduler's timers (leases, backoffs, schedules) every `tick_ms`.
    pub ticker: JoinHandle<()>,
    /// Refreshes the queue and agent gauges once a second.
    pub metrics: JoinHandle<()>,
}

impl Queen {
    /// Opens a new epoch in `store`, restores the queue from it and starts
    /// the persister and timers.
    ///
    /// # Errors
    ///
    /// The store cannot be read.
    pub async fn start(
        config: QueenConfig,
        store: Arc<dyn Store>,
    ) -> Result<(Self, Tasks), store::Error> {
        Self::start_with_backpressure(config, store, Backpressure::default()).await
    }

    /// Like [`Queen::start`], pushing back as `backpressure` says past
    /// `max_backlog` uncommitted writes (submits wait, then are refused;
    /// nothing new is leased).
    ///
    /// # Errors
    ///
    /// The store cannot be read.
    pub async fn start_with_backpressure(
        config: QueenConfig,
        store: Arc<dyn Store>,
        backpressure: Backpressure,
    ) -> Result<(Self, Tasks), store::Error> {
        let epoch = store.next_epoch().await?;
        let snapshot = store.load().await?;
        let (persister, persister_task) =
            Persister::start_with_limit(store.clone(), backpressure.max_backlog);
        let backlog = persister.backlog();
        let now = now_ms();
        let mut scheduler = Scheduler::new(Settings::from(&config), persister, epoch, now);
        scheduler.restore(snapshot, now);
        tracing::info!(epoch, store = store.name(), "queen state loaded");
        let queen = Self {
            inner: Arc::new(Inner {
                scheduler: Mutex::new(scheduler),
                config,
                backlog,
                submit_wait: backpressure.submit_wait,
            }),
        };
        let ticker = tokio::spawn(ticker(queen.clone()));
        let metrics = tokio::spawn(crate::metrics_loop::run(queen.clone()));
        Ok((
            queen,
            Tasks {
                persister: persister_task,
                ticker,
                metrics,
            },
        ))
    }

    /// The configuration the queen runs with.
    pub fn config(&self) -> &QueenConfig {
        &self.inner.config
    }

    /// Locks the scheduler. Keep the guard short; never across an await.
    pub fn lock(&self) -> MutexGuard<'_, Scheduler> {
        self.inner
            .scheduler
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on the scheduler and queues its writes (not waiting for
    /// durability).
    pub fn with<T>(&self, f: impl FnOnce(&mut Scheduler, i64) -> T) -> T {
        let mut scheduler = self.lock();
        let out = f(&mut scheduler, now_ms());
        scheduler.flush();
        out
    }

    /// Runs `f` on the scheduler and waits until its writes are durable.
    ///
    /// # Errors
    ///
    /// The persister stopped, or the store refused a write: the change may
    /// not be durable.
    pub async fn with_durable<T>(
        &self,
        f: impl FnOnce(&mut Scheduler, i64) -> T,
    ) -> Result<T, SubmitError> {
        let (out, durable) = {
            let mut scheduler = self.lock();
            let out = f(&mut scheduler, now_ms());
            (out, scheduler.flush_durable())
        };
        durable.wait().await.map_err(not_durable)?;
        Ok(out)
    }

    /// Submits tasks; returns once they are durable. While the persister's
    /// backlog is full the submit waits for room, up to [`Backpressure::submit_wait`].
    ///
    /// # Errors
    ///
    /// An invalid spec (nothing is submitted then); the backlog stayed full
    /// (`Overloaded`, nothing submitted); the store refused a write or the
    /// persister stopped (not acknowledged).
    pub async fn submit(&self, specs: Vec<TaskSpec>) -> Result<Vec<SubmittedTask>, SubmitError> {
        let room = self
            .inner
            .backlog
            .admit(specs.len(), self.inner.submit_wait)
            .await
            .map_err(|full| SubmitError::Overloaded(full.to_string()))?;
        let (out, durable) = {
            let mut scheduler = self.lock();
            let out = scheduler.submit(specs, now_ms());
            (out, scheduler.flush_durable())
        };
        drop(room); // the writes are queued: they count for themselves now
        durable.wait().await.map_err(not_durable)?;
        out
    }

    /// The persister's backlog (uncommitted writes against their limit).
    pub fn backlog(&self) -> &Backlog {
        &self.inner.backlog
    }

    /// Stops leasing, waits up to `grace` for leased tasks to come back,
    /// and flushes every write.
    pub async fn shutdown(&self, grace: Duration) {
        self.with(|s, _| s.set_leasing(false));
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let leased = self.lock().leased_total();
            if leased == 0 {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    leased,
                    "grace period over; leased tasks will be redelivered after restart"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Err(error) = self.with_durable(|_, _| ()).await {
            tracing::error!(%error, "final flush failed");
        }
    }
}

async fn ticker(queen: Queen) {
    let mut interval = tokio::time::interval(Duration::from_millis(queen.config().tick_ms));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        queen.with(super::scheduler::Scheduler::tick);
    }
}

#[cfg(test)]
mod tests {
    use swarm_proto::v1::{Noop, TaskPayload, task_payload};
    use swarm_proto::{AgentKind, TaskState};

    use super::*;
    use crate::store::test_stores::GatedStore;

    fn noop() -> TaskSpec {
        TaskSpec {
            kind: AgentKind::DataQuality as i32,
            payload: Some(TaskPayload {
                kind: Some(task_payload::Kind::Noop(Noop::default())),
            }),
            ..TaskSpec::default()
        }
    }

    #[tokio::test]
    async fn submits_are_refused_while_the_store_is_far_behind() {
        let store = Arc::new(GatedStore::default());
        let backpressure = Backpressure {
            max_backlog: 4,
            submit_wait: Duration::from_millis(200),
        };
        let (queen, _tasks) =
            Queen::start_with_backpressure(QueenConfig::default(), store.clone(), backpressure)
                .await
                .unwrap();
        // the store hangs: the first submit waits for its commit
        let first = tokio::spawn({
            let queen = queen.clone();
            async move { queen.submit(vec![noop(); 4]).await }
        });
        store.wait_blocked().await;
        assert!(queen.backlog().is_full());
        let refused = queen.submit(vec![noop()]).await;
        assert!(
            matches!(&refused, Err(SubmitError::Overloaded(m)) if m.contains("limit 4")),
            "{refused:?}"
        );
        let status = tonic::Status::from(refused.unwrap_err());
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        assert_eq!(
            queen.lock().list(TaskState::Unspecified, None, 10).len(),
            4,
            "the refused submit left nothing behind"
        );
        // the store catches up: submits go through again
        store.open();
        assert_eq!(first.await.unwrap().unwrap().len(), 4);
        assert_eq!(queen.submit(vec![noop()]).await.unwrap().len(), 1);
        assert_eq!(store.inner().load().await.unwrap().tasks.len(), 5);
    }
}
