//! Where the queen keeps the query API's keys: the API's PostgreSQL pool
//! when the queen serves the API, else its own database (opened on first
//! use, migrating the API's tables); a queen without PostgreSQL has none.

use sqlx::PgPool;
use tokio::sync::OnceCell;

use crate::config::{QueenConfig, StoreKind};

/// PostgreSQL connections for key administration when opened here.
const CONNECTIONS: u32 = 2;

/// Why there are no keys to administer.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// This queen has no PostgreSQL (memory or file store, API off).
    #[error("{0}")]
    NoDatabase(String),
    /// The database could not be opened.
    #[error("cannot open the API's database for keys: {0}")]
    Connect(String),
    /// A query failed.
    #[error("{0}")]
    Query(#[from] tge_api::store::Error),
}

enum Source {
    Pool(PgPool),
    Lazy { url: String, pool: OnceCell<PgPool> },
    None(String),
}

/// The API keys' database of a queen.
pub struct ApiKeys {
    source: Source,
}

impl ApiKeys {
    /// Keys in `api_pool` (the served API's), else in the queen's own
    /// PostgreSQL, else nowhere.
    pub fn new(config: &QueenConfig, api_pool: Option<PgPool>) -> Self {
        let source = match (api_pool, config.store) {
            (Some(pool), _) => Source::Pool(pool),
            (None, StoreKind::Postgres) => Source::Lazy {
                url: config.database_url.clone(),
                pool: OnceCell::new(),
            },
            (None, store) => Source::None(format!(
                "this queen keeps its queue in {} and serves no API on PostgreSQL, \
                 so it has no API keys; ask a queen running with store = \"postgres\"",
                match store {
                    StoreKind::Memory => "memory",
                    _ => "a journal file",
                }
            )),
        };
        Self { source }
    }

    /// None: every call answers [`KeysError::NoDatabase`] with `reason`.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self {
            source: Source::None(reason.into()),
        }
    }

    /// The pool keys live in.
    ///
    /// # Errors
    ///
    /// No database, or it cannot be opened.
    pub async fn pool(&self) -> Result<&PgPool, KeysError> {
        match &self.source {
            Source::Pool(pool) => Ok(pool),
            Source::None(reason) => Err(KeysError::NoDatabase(reason.clone())),
            Source::Lazy { url, pool } => {
                pool.get_or_try_init(|| async {
                    tge_api::store::PgApiStore::connect(url, CONNECTIONS)
                        .await
                        .map(|store| store.pool().clone())
                        .map_err(|e| KeysError::Connect(e.to_string()))
                })
                .await
            }
        }
    }
}
