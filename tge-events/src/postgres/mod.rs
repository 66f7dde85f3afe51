//! The PostgreSQL backend: owns the event tables and their migrations
//! (`tge-events/migrations/`). The synthesis locks the batch's projects,
//! loads their events `FOR UPDATE`, runs the model and persists the new
//! states, evidence and history in a few multi-row statements per batch.

mod load;
mod persist;
mod read;
mod records;

use std::str::FromStr;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::change::Applied;
use crate::error::{Error, query_err};
use crate::keys::project_key;
use crate::plan::synthesize;
use crate::report::{Record, Report};

/// Events in PostgreSQL.
#[derive(Clone)]
pub struct PgEvents {
    pool: PgPool,
}

impl PgEvents {
    /// Connects a writer (the coordinator) and applies the migrations.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, Error> {
        let options = PgConnectOptions::from_str(url).map_err(Error::Connect)?;
        Self::open(options, max_connections, std::time::Duration::from_secs(10)).await
    }

    /// Connects a reader (the query API) and applies the migrations. Plans
    /// are made for the actual filter values: a generic plan cannot use the
    /// prefix index for `LIKE $1` and picks one order for every filter mix.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect_reader(url: &str, max_connections: u32) -> Result<Self, Error> {
        let options = PgConnectOptions::from_str(url)
            .map_err(Error::Connect)?
            .options([("plan_cache_mode", "force_custom_plan")]);
        Self::open(options, max_connections, std::time::Duration::from_secs(5)).await
    }

    async fn open(
        options: PgConnectOptions,
        max_connections: u32,
        acquire_timeout: std::time::Duration,
    ) -> Result<Self, Error> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout)
            .connect_with(options)
            .await
            .map_err(Error::Connect)?;
        migrate(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies `records` in one transaction.
    ///
    /// # Errors
    ///
    /// A database failure: nothing of the batch is applied.
    pub async fn apply_records(&self, records: &[Record]) -> Result<Vec<Applied>, Error> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        let mut outcomes = Vec::with_capacity(records.len());
        let mut reports: Vec<&Report> = Vec::new();
        for record in records {
            outcomes.push(match record {
                Record::Report(report) => {
                    reports.push(report);
                    Applied::Unchanged
                }
                other => records::store(&mut tx, other).await?,
            });
        }
        if !reports.is_empty() {
            let mut keys: Vec<String> = reports.iter().map(|r| project_key(&r.project)).collect();
            keys.sort();
            keys.dedup();
            load::lock(&mut tx, &keys).await?;
            let mut loaded = load::events(&mut tx, &keys).await?;
            let (mut reported, changes) =
                synthesize(&mut loaded, &reports, swarm_common::time::now_ms());
            persist::changes(&mut tx, &mut loaded, &mut reported, changes).await?;
            let mut reported = reported.into_iter();
            for (record, outcome) in records.iter().zip(outcomes.iter_mut()) {
                if matches!(record, Record::Report(_)) {
                    *outcome = reported.next().unwrap_or(Applied::Unchanged);
                }
            }
        }
        tx.commit().await.map_err(query_err("commit"))?;
        Ok(outcomes)
    }
}

/// Applies the event migrations to `pool`'s database (the queen and the
/// API keep their own migrations in the same database).
///
/// # Errors
///
/// A migration fails.
pub async fn migrate(pool: &PgPool) -> Result<(), Error> {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.set_ignore_missing(true);
    migrator.run(pool).await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::store::Synthesis for PgEvents {
    async fn apply_batch(&self, records: &[Record]) -> Result<Vec<Applied>, Error> {
        self.apply_records(records).await
    }
}

/// `TIMESTAMPTZ` of a unix-milliseconds SQL expression.
pub(crate) fn at_ms(expr: &str) -> String {
    format!("(TIMESTAMPTZ 'epoch' + {expr} * INTERVAL '1 millisecond')")
}

/// Unix milliseconds of a timestamp column.
pub(crate) fn ms_of(column: &str) -> String {
    format!("(extract(epoch FROM {column}) * 1000)::bigint")
}

/// Unix microseconds of a timestamp column.
pub(crate) fn micros_of(column: &str) -> String {
    format!("(extract(epoch FROM {column}) * 1000000)::bigint")
}
