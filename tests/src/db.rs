//! One throwaway PostgreSQL database per test.

use sqlx::Connection;

/// Server URL without a database name (`SWARM_TEST_PG`, default loopback).
pub fn server_url() -> String {
    std::env::var("SWARM_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database created for one test and dropped by [`TestDb::drop_db`].
pub struct TestDb {
    /// Database name, `swarm_test_<random>`.
    pub name: String,
    /// Connection URL of the database.
    pub url: String,
}

impl TestDb {
    /// Creates `swarm_test_<random>`.
    pub async fn create() -> anyhow::Result<Self> {
        let name = format!("swarm_test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", server_url()))
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "PostgreSQL at {} unreachable (run infra/dev/postgres.sh start): {e}",
                    server_url()
                )
            })?;
        // the name is generated here from hex digits: safe to splice
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        Ok(Self {
            url: format!("{}/{name}", server_url()),
            name,
        })
    }

    /// A connection to this database.
    pub async fn connect(&self) -> anyhow::Result<sqlx::PgConnection> {
        Ok(sqlx::PgConnection::connect(&self.url).await?)
    }

    /// Drops the database (best effort; `test.sh` sweeps leftovers).
    pub async fn drop_db(self) {
        if let Ok(mut admin) =
            sqlx::PgConnection::connect(&format!("{}/postgres", server_url())).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut admin)
            .await;
        }
    }
}
