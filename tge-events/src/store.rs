//! The two sides of a backend: [`Synthesis`] applies records (load the
//! events, run the model, persist), [`Reader`] lists and shows events.

use crate::change::Applied;
use crate::error::Error;
use crate::filter::Filter;
use crate::report::Record;
use crate::view::{EventDetail, EventRow, ProjectRow};

/// Applies records to events.
#[async_trait::async_trait]
pub trait Synthesis: Send + Sync + 'static {
    /// Applies `records` in order, atomically (all or nothing); one
    /// outcome per record.
    async fn apply_batch(&self, records: &[Record]) -> Result<Vec<Applied>, Error>;
}

/// Read access to events.
#[async_trait::async_trait]
pub trait Reader: Send + Sync + 'static {
    /// Events matching `filter`, in its order, after its cursor; at most
    /// `filter.limit + 1` (one more tells there is a next page).
    async fn list(&self, filter: &Filter) -> Result<Vec<EventRow>, Error>;
    /// One event with evidence and history.
    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error>;
    /// Projects with events, optionally by project-key prefix; the most
    /// recently seen first.
    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<ProjectRow>, Error>;
    /// Events whose last change is after `seq`, oldest change first.
    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<EventRow>, Error>;
    /// The newest change sequence number (0 if none).
    async fn last_seq(&self) -> Result<i64, Error>;
}
