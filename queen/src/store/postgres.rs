//! The PostgreSQL store: migrations embedded and applied at start; every
//! group commit is one transaction of at most a handful of statements
//! whatever its size: new rows by COPY, changed rows by one UPDATE … FROM
//! UNNEST, finished rows by one DELETE … = ANY.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};

use super::{Batch, Error, ScheduleRow, Snapshot, Store, TaskRow, copy_text};

/// Tasks are loaded in pages of this many rows at start.
const LOAD_PAGE: i64 = 50_000;
/// Smallest insert sent by COPY. COPY is several times cheaper per row, but
/// it takes two writes on the socket, and sqlx leaves Nagle's algorithm on:
/// a small COPY can wait a delayed ACK (~40 ms) on its second write. Small
/// batches (the latency-sensitive trickle) go in one INSERT statement.
const COPY_MIN_ROWS: usize = 256;

/// Durable store in PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Query { op, source }
}

impl PostgresStore {
    /// Connects to `url` and applies the embedded migrations.
    ///
    /// # Errors
    ///
    /// The database is unreachable or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let options: PgConnectOptions = url.parse().map_err(Error::Connect)?;
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(Error::Connect)?;
        let mut migrator = sqlx::migrate!("./migrations");
        // other services keep their own migrations in the same database
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool (for tests and maintenance).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn next_epoch(&self) -> Result<u64, Error> {
        let epoch: i64 = sqlx::query_scalar(
            "INSERT INTO queen_meta (id, epoch) VALUES (1, 1)
             ON CONFLICT (id) DO UPDATE SET epoch = queen_meta.epoch + 1
             RETURNING epoch",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(query_err("next epoch"))?;
        Ok(epoch as u64)
    }

    async fn load(&self) -> Result<Snapshot, Error> {
        let mut tasks = Vec::new();
        let mut after = i64::MIN;
        loop {
            let rows = sqlx::query(
                "SELECT id, kind, priority, state, attempts, max_attempts, run_at_ms,
                        created_ms, dedup_key, spec, last_error
                 FROM tasks WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(LOAD_PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("load tasks"))?;
            let page = rows.len() as i64;
            for row in rows {
                tasks.push(TaskRow {
                    id: row.get(0),
                    kind: row.get(1),
                    priority: row.get(2),
                    state: row.get(3),
                    attempts: row.get(4),
                    max_attempts: row.get(5),
                    run_at_ms: row.get(6),
                    created_ms: row.get(7),
                    dedup_key: row.get(8),
                    spec: row.get(9),
                    last_error: row.get(10),
                });
            }
            match tasks.last() {
                Some(last) if page == LOAD_PAGE => after = last.id,
                _ => break,
            }
        }
        let paused_kinds = sqlx::query_scalar("SELECT kind FROM paused_kinds")
            .fetch_all(&self.pool)
            .await
            .map_err(query_err("load paused kinds"))?;
        let schedules = sqlx::query(
            "SELECT name, spec, interval_ms, paused, next_run_ms FROM schedules ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(query_err("load schedules"))?
        .into_iter()
        .map(|row| ScheduleRow {
            name: row.get(0),
            spec: row.get(1),
            interval_ms: row.get(2),
            paused: row.get(3),
            next_run_ms: row.get(4),
        })
        .collect();
        Ok(Snapshot {
            tasks,
            paused_kinds,
            schedules,
        })
    }

    async fn apply(&self, batch: &Batch, retry: bool) -> Result<(), Error> {
        let mut tx = self.pool.begin().await.map_err(query_err("begin"))?;
        if batch.inserts.len() >= COPY_MIN_ROWS && !retry {
            copy_tasks(&mut tx, &batch.inserts).await?;
        } else if !batch.inserts.is_empty() {
            insert_tasks(&mut tx, &batch.inserts, retry).await?;
        }
        if !batch.updates.is_empty() {
            update_tasks(&mut tx, &batch.updates).await?;
        }
        if !batch.deletes.is_empty() {
            sqlx::query("DELETE FROM tasks WHERE id = ANY($1::bigint[])")
                .bind(&batch.deletes)
                .execute(&mut *tx)
                .await
                .map_err(query_err("delete tasks"))?;
        }
        for (kind, paused) in &batch.paused_kinds {
            let sql = if *paused {
                "INSERT INTO paused_kinds (kind) VALUES ($1) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM paused_kinds WHERE kind = $1"
            };
            sqlx::query(sql)
                .bind(kind)
                .execute(&mut *tx)
                .await
                .map_err(query_err("pause kind"))?;
        }
        for s in &batch.schedule_upserts {
            sqlx::query(
                "INSERT INTO schedules (name, spec, interval_ms, paused, next_run_ms)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec,
                   interval_ms = EXCLUDED.interval_ms, paused = EXCLUDED.paused,
                   next_run_ms = EXCLUDED.next_run_ms",
            )
            .bind(&s.name)
            .bind(&s.spec)
            .bind(s.interval_ms)
            .bind(s.paused)
            .bind(s.next_run_ms)
            .execute(&mut *tx)
            .await
            .map_err(query_err("upsert schedule"))?;
        }
        if !batch.schedule_deletes.is_empty() {
            sqlx::query("DELETE FROM schedules WHERE name = ANY($1)")
                .bind(&batch.schedule_deletes)
                .execute(&mut *tx)
                .await
                .map_err(query_err("delete schedules"))?;
        }
        tx.commit().await.map_err(query_err("commit"))
    }

    async fn maintain(&self) -> Result<(), Error> {
        // Autovacuum may be off (it is on the test machines): reclaim the
        // dead rows that completed tasks leave behind and refresh statistics.
        sqlx::query("VACUUM (ANALYZE) tasks")
            .execute(&self.pool)
            .await
            .map_err(query_err("vacuum tasks"))?;
        Ok(())
    }
}

async fn copy_tasks(conn: &mut sqlx::PgConnection, rows: &[TaskRow]) -> Result<(), Error> {
    let mut text = String::with_capacity(rows.len() * 64);
    copy_text::encode_rows(rows, &mut text);
    let mut copy = conn
        .copy_in_raw(copy_text::COPY_TASKS)
        .await
        .map_err(query_err("start copy"))?;
    copy.send(text.as_bytes())
        .await
        .map_err(query_err("copy tasks"))?;
    copy.finish().await.map_err(query_err("finish copy"))?;
    Ok(())
}

async fn insert_tasks(
    conn: &mut sqlx::PgConnection,
    rows: &[TaskRow],
    upsert: bool,
) -> Result<(), Error> {
    macro_rules! insert {
        () => {
            "INSERT INTO tasks (id, kind, priority, state, attempts, max_attempts, run_at_ms,
                                created_ms, dedup_key, spec, last_error)
             SELECT * FROM UNNEST($1::bigint[], $2::smallint[], $3::smallint[], $4::smallint[],
                                  $5::integer[], $6::integer[], $7::bigint[], $8::bigint[],
                                  $9::text[], $10::bytea[], $11::text[])"
        };
    }
    const INSERT: &str = insert!();
    const UPSERT: &str = concat!(
        insert!(),
        " ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, attempts = EXCLUDED.attempts,
           max_attempts = EXCLUDED.max_attempts, run_at_ms = EXCLUDED.run_at_ms,
           last_error = EXCLUDED.last_error"
    );
    sqlx::query(if upsert { UPSERT } else { INSERT })
        .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.kind).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.priority).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.state).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.attempts).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.max_attempts).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.run_at_ms).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.created_ms).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.dedup_key.clone()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.spec.clone()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.last_error.clone())
                .collect::<Vec<_>>(),
        )
        .execute(conn)
        .await
        .map_err(query_err("insert tasks"))?;
    Ok(())
}

async fn update_tasks(conn: &mut sqlx::PgConnection, rows: &[TaskRow]) -> Result<(), Error> {
    sqlx::query(
        "UPDATE tasks SET state = u.state, attempts = u.attempts, max_attempts = u.max_attempts,
                run_at_ms = u.run_at_ms, last_error = u.last_error
         FROM UNNEST($1::bigint[], $2::smallint[], $3::integer[], $4::integer[], $5::bigint[],
                     $6::text[]) AS u(id, state, attempts, max_attempts, run_at_ms, last_error)
         WHERE tasks.id = u.id",
    )
    .bind(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.state).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.attempts).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.max_attempts).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.run_at_ms).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| r.last_error.clone())
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await
    .map_err(query_err("update tasks"))?;
    Ok(())
}
