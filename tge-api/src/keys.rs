//! API keys: random 192-bit keys shown once, stored as SHA-256 hashes with
//! a scope (`read` or `admin`) and an optional rate; created, listed and
//! revoked by `queenctl keys …`, looked up (briefly cached) by the API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};

use crate::model::KeyInfo;
use crate::store::{Error, query_err};
use tge_events::calendar::rfc3339;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// May read events, projects and sources.
    Read,
    /// May also call the admin paths (`/api/v1/admin…`).
    Admin,
}

impl Scope {
    /// Parses `read` or `admin`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "read" => Some(Self::Read),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Admin => "admin",
        }
    }
}

/// A valid key, as the API sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    /// Key id.
    pub id: i64,
    /// What the key may do.
    pub scope: Scope,
    /// Requests per second allowed; `None`: the configured `rate_per_sec`.
    pub rate_per_sec: Option<f64>,
}

fn hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// A new random key: `tge_` and 48 hex digits.
pub fn generate() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("tge_{hex}")
}

const KEY_COLUMNS: &str = "id, name, scope, key_prefix, rate_per_sec,
    (extract(epoch FROM created_at) * 1000000)::bigint,
    (extract(epoch FROM revoked_at) * 1000000)::bigint";

fn info(row: &sqlx::postgres::PgRow) -> KeyInfo {
    KeyInfo {
        id: row.get(0),
        name: row.get(1),
        scope: row.get(2),
        key_prefix: row.get(3),
        rate_per_sec: row.get(4),
        created_at: rfc3339(row.get(5)),
        revoked_at: row.get::<Option<i64>, _>(6).map(rfc3339),
    }
}

/// Creates a key; returns it (the only time it is visible) and its record.
///
/// # Errors
///
/// A database failure.
pub async fn create(
    pool: &PgPool,
    name: &str,
    scope: Scope,
    rate_per_sec: Option<f64>,
) -> Result<(String, KeyInfo), Error> {
    let key = generate();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO api_keys (name, scope, key_hash, key_prefix, rate_per_sec)
         VALUES ($1, $2, $3, $4, $5) RETURNING {KEY_COLUMNS}"
    )))
    .bind(name)
    .bind(scope.name())
    .bind(hash(&key))
    .bind(&key[..12])
    .bind(rate_per_sec)
    .fetch_one(pool)
    .await
    .map_err(query_err("create key"))?;
    Ok((key, info(&row)))
}

/// Every key, newest first.
///
/// # Errors
///
/// A database failure.
pub async fn list(pool: &PgPool) -> Result<Vec<KeyInfo>, Error> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC"
    )))
    .fetch_all(pool)
    .await
    .map_err(query_err("list keys"))?;
    Ok(rows.iter().map(info).collect())
}

/// Revokes key `id`; `false` if there is no such live key.
///
/// # Errors
///
/// A database failure.
pub async fn revoke(pool: &PgPool, id: i64) -> Result<bool, Error> {
    let r =
        sqlx::query("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .execute(pool)
            .await
            .map_err(query_err("revoke key"))?;
    Ok(r.rows_affected() > 0)
}

/// A cached lookup.
struct Entry {
    at: Instant,
    record: Option<KeyRecord>,
    refreshing: bool,
}

type LookupCache = HashMap<Vec<u8>, Entry>;

/// Looks keys up, caching answers (valid or not) for a short time. An
/// expired answer is still used while one background lookup refreshes it,
/// so a busy key never sends a burst of lookups to the database; a
/// revocation takes effect within the cache time plus one lookup.
pub struct KeyLookup {
    pool: Option<PgPool>,
    ttl: Duration,
    cache: Arc<Mutex<LookupCache>>,
}

async fn fetch(pool: &PgPool, digest: &[u8]) -> Result<Option<KeyRecord>, Error> {
    Ok(sqlx::query(
        "SELECT id, scope, rate_per_sec FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(digest)
    .fetch_optional(pool)
    .await
    .map_err(query_err("find key"))?
    .and_then(|r| {
        Some(KeyRecord {
            id: r.get(0),
            scope: Scope::parse(r.get::<&str, _>(1))?,
            rate_per_sec: r.get(2),
        })
    }))
}

fn lock(cache: &Mutex<LookupCache>) -> std::sync::MutexGuard<'_, LookupCache> {
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn store(cache: &Mutex<LookupCache>, digest: Vec<u8>, record: Option<KeyRecord>) {
    let mut cache = lock(cache);
    if cache.len() > 10_000 {
        // guessed keys go first; real ones stay cached
        cache.retain(|_, e| e.record.is_some());
        if cache.len() > 10_000 {
            cache.clear();
        }
    }
    cache.insert(
        digest,
        Entry {
            at: Instant::now(),
            record,
            refreshing: false,
        },
    );
}

impl KeyLookup {
    /// Keys in `pool` (none: every key is unknown, e.g. the embedded run).
    pub fn new(pool: Option<PgPool>, ttl: Duration) -> Self {
        Self {
            pool,
            ttl,
            cache: Arc::default(),
        }
    }

    /// The live key `key`, if any.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn find(&self, key: &str) -> Result<Option<KeyRecord>, Error> {
        let Some(pool) = &self.pool else {
            return Ok(None);
        };
        let digest = hash(key);
        {
            let mut cache = lock(&self.cache);
            if let Some(entry) = cache.get_mut(&digest) {
                if entry.at.elapsed() >= self.ttl && !entry.refreshing {
                    entry.refreshing = true;
                    let (pool, cache, digest) = (pool.clone(), self.cache.clone(), digest.clone());
                    tokio::spawn(async move {
                        match fetch(&pool, &digest).await {
                            Ok(record) => store(&cache, digest, record),
                            Err(error) => {
                                tracing::warn!(%error, "refreshing an API key failed");
                                // the next request looks it up itself
                                lock(&cache).remove(&digest);
                            }
                        }
                    });
                }
                return Ok(entry.record.clone());
            }
        }
        let record = fetch(pool, &digest).await?;
        store(&self.cache, digest, record.clone());
        Ok(record)
    }

    /// The keys' pool, if keys are kept.
    pub fn pool(&self) -> Option<&PgPool> {
        self.pool.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hashes_fixed_size() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 48);
        assert_eq!(hash(&a).len(), 32);
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(Scope::parse("admin"), Some(Scope::Admin));
        assert_eq!(Scope::parse("root"), None);
    }
}
