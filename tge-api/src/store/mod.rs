//! Where the API reads events: [`EventStore`], over a [`tge_events`]
//! reader — [`PgApiStore`] (PostgreSQL) or [`MemoryApiStore`] (the embedded
//! run's [`tge_events::MemoryEvents`]) — plus the sources the queen polls.

mod convert;
mod memory;
mod postgres;

pub use memory::MemoryApiStore;
pub use postgres::PgApiStore;

use std::collections::HashMap;

use crate::filter::Filter;
use crate::model::{Event, EventDetail, Project};

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pool cannot reach the database.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    /// A schema migration failed.
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("query `{op}` failed: {source}")]
    Query {
        /// Name of the failed operation.
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value the API cannot read back (what and why).
    #[error("unexpected data from PostgreSQL: {0}")]
    Decode(String),
    /// The event backend failed.
    #[error("the event store failed: {0}")]
    Events(#[from] tge_events::Error),
}

pub(crate) fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Query { op, source }
}

/// The documents fetched from one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceDocuments {
    /// Number of stored documents fetched from the source.
    pub documents: i64,
    /// When the newest of them was fetched (unix µs); `None` without documents.
    pub last_fetched_us: Option<i64>,
}

/// Read access to events: the event reads come from the backend's
/// [`tge_events::Reader`] (written once here, as the API's bodies); a
/// backend adds what is not an event (documents per source, a ping).
#[async_trait::async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// "postgres" or "memory".
    fn backend(&self) -> &'static str;
    /// The backend's event reader.
    fn events(&self) -> &dyn tge_events::Reader;
    /// Events matching `filter`, in its order, after its cursor; at most
    /// `filter.limit + 1` (one more tells there is a next page).
    async fn list(&self, filter: &Filter) -> Result<Vec<Event>, Error> {
        Ok(convert::events(self.events().list(filter).await?))
    }
    /// One event with evidence and history.
    async fn detail(&self, id: i64) -> Result<Option<EventDetail>, Error> {
        Ok(self.events().detail(id).await?.map(convert::detail))
    }
    /// Projects with events, optionally by name prefix.
    async fn projects(&self, prefix: Option<&str>, limit: u32) -> Result<Vec<Project>, Error> {
        Ok(convert::projects(
            self.events().projects(prefix, limit).await?,
        ))
    }
    /// Documents per source, of the sources in `source_ids` that have any
    /// (the sources themselves come from the queen's schedules).
    async fn source_documents(
        &self,
        source_ids: &[String],
    ) -> Result<HashMap<String, SourceDocuments>, Error>;
    /// Events whose last change is after `seq`, oldest change first.
    async fn changes_since(&self, seq: i64, limit: u32) -> Result<Vec<Event>, Error> {
        Ok(convert::events(
            self.events().changes_since(seq, limit).await?,
        ))
    }
    /// The newest change sequence number (0 if none).
    async fn last_seq(&self) -> Result<i64, Error> {
        Ok(self.events().last_seq().await?)
    }
    /// Whether the store answers.
    async fn ping(&self) -> Result<(), Error>;
}
