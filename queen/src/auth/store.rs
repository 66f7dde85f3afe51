//! Where credentials created over gRPC are kept, as hashes only: the
//! `queen_credentials` table when the queue is in PostgreSQL (every queen
//! on the database sees them), else a JSON file written atomically with
//! mode 0600, or process memory for the memory store.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::Mutex;

use super::AuthError;

/// A credential as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    /// Random id (`queenctl auth revoke <id>`).
    pub id: String,
    /// Shown in listings and logs.
    pub name: String,
    /// `admin`, `agent` or `reader`.
    pub role: String,
    /// Agent kinds (kebab-case).
    pub kinds: Vec<String>,
    /// SHA-256 of the token, hex.
    pub token_sha256: String,
    /// The token's first characters.
    pub token_prefix: String,
    /// Creation time, unix ms.
    pub created_unix_ms: i64,
    /// Stops working at, unix ms.
    pub expires_unix_ms: Option<i64>,
    /// Revoked at, unix ms.
    pub revoked_unix_ms: Option<i64>,
}

/// A place credentials are kept.
#[async_trait::async_trait]
pub trait CredentialStore: Send + Sync {
    /// Every kept credential, revoked ones too.
    async fn load(&self) -> Result<Vec<Stored>, AuthError>;
    /// Keeps a new credential.
    async fn insert(&self, credential: &Stored) -> Result<(), AuthError>;
    /// Sets `revoked_unix_ms` (`revoke`) or lowers `expires_unix_ms`
    /// (`expire`) of `id`; false when there is no such live credential.
    async fn end(&self, id: &str, at_unix_ms: i64, how: End) -> Result<bool, AuthError>;
}

/// How a credential stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// At once, recorded as revoked.
    Revoke,
    /// At the given time (a rotation's grace period).
    Expire,
}

/// In PostgreSQL.
pub struct PgCredentials {
    pool: PgPool,
}

impl PgCredentials {
    /// Opens (and creates when missing) the table at `url`.
    ///
    /// # Errors
    ///
    /// The database cannot be reached.
    pub async fn open(url: &str) -> Result<Self, AuthError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(url)
            .await
            .map_err(|e| AuthError::Store(format!("cannot open the credentials table: {e}")))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS queen_credentials (
                id text PRIMARY KEY,
                name text NOT NULL,
                role text NOT NULL,
                kinds text[] NOT NULL DEFAULT '{}',
                token_sha256 text NOT NULL UNIQUE,
                token_prefix text NOT NULL,
                created_unix_ms bigint NOT NULL,
                expires_unix_ms bigint,
                revoked_unix_ms bigint
            )",
        )
        .execute(&pool)
        .await
        .map_err(store_error)?;
        Ok(Self { pool })
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(store_error)`
fn store_error(error: sqlx::Error) -> AuthError {
    AuthError::Store(error.to_string())
}

type Row = (
    String,
    String,
    String,
    Vec<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

#[async_trait::async_trait]
impl CredentialStore for PgCredentials {
    async fn load(&self) -> Result<Vec<Stored>, AuthError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, name, role, kinds, token_sha256, token_prefix, created_unix_ms,
                    expires_unix_ms, revoked_unix_ms
             FROM queen_credentials ORDER BY created_unix_ms",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|r| Stored {
                id: r.0,
                name: r.1,
                role: r.2,
                kinds: r.3,
                token_sha256: r.4,
                token_prefix: r.5,
                created_unix_ms: r.6,
                expires_unix_ms: r.7,
                revoked_unix_ms: r.8,
            })
            .collect())
    }

    async fn insert(&self, c: &Stored) -> Result<(), AuthError> {
        sqlx::query(
            "INSERT INTO queen_credentials (id, name, role, kinds, token_sha256, token_prefix,
                 created_unix_ms, expires_unix_ms, revoked_unix_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&c.id)
        .bind(&c.name)
        .bind(&c.role)
        .bind(&c.kinds)
        .bind(&c.token_sha256)
        .bind(&c.token_prefix)
        .bind(c.created_unix_ms)
        .bind(c.expires_unix_ms)
        .bind(c.revoked_unix_ms)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn end(&self, id: &str, at: i64, how: End) -> Result<bool, AuthError> {
        let sql = match how {
            End::Revoke => {
                "UPDATE queen_credentials SET revoked_unix_ms = $2
                 WHERE id = $1 AND revoked_unix_ms IS NULL"
            }
            End::Expire => {
                "UPDATE queen_credentials SET expires_unix_ms = LEAST(COALESCE(expires_unix_ms, $2), $2)
                 WHERE id = $1 AND revoked_unix_ms IS NULL"
            }
        };
        let done = sqlx::query(sql)
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() > 0)
    }
}

/// In a JSON file (or only in memory when `path` is `None`).
pub struct FileCredentials {
    path: Option<PathBuf>,
    kept: Mutex<Vec<Stored>>,
}

impl FileCredentials {
    /// Opens `path` (an absent file is an empty set); `None` keeps
    /// credentials in memory only.
    ///
    /// # Errors
    ///
    /// The file exists but cannot be read or parsed.
    pub fn open(path: Option<PathBuf>) -> Result<Self, AuthError> {
        let kept = match &path {
            Some(p) => match std::fs::read(p) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                    AuthError::Store(format!("credentials file {} is corrupt: {e}", p.display()))
                })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => {
                    return Err(AuthError::Store(format!(
                        "cannot read the credentials file {}: {e}",
                        p.display()
                    )));
                }
            },
            None => Vec::new(),
        };
        Ok(Self {
            path,
            kept: Mutex::new(kept),
        })
    }

    fn write(&self, kept: &[Stored]) -> Result<(), AuthError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let fail = |e: std::io::Error| {
            AuthError::Store(format!(
                "cannot write the credentials file {}: {e}",
                path.display()
            ))
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(kept)
            .map_err(|e| AuthError::Store(format!("cannot encode credentials: {e}")))?;
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp).map_err(fail)?;
            file.write_all(&bytes).map_err(fail)?;
            file.sync_all().map_err(fail)?;
        }
        std::fs::rename(&tmp, path).map_err(fail)
    }
}

#[async_trait::async_trait]
impl CredentialStore for FileCredentials {
    async fn load(&self) -> Result<Vec<Stored>, AuthError> {
        Ok(self.kept.lock().await.clone())
    }

    async fn insert(&self, credential: &Stored) -> Result<(), AuthError> {
        let mut kept = self.kept.lock().await;
        let mut next = kept.clone();
        next.push(credential.clone());
        self.write(&next)?;
        *kept = next;
        Ok(())
    }

    async fn end(&self, id: &str, at: i64, how: End) -> Result<bool, AuthError> {
        let mut kept = self.kept.lock().await;
        let mut next = kept.clone();
        let Some(c) = next
            .iter_mut()
            .find(|c| c.id == id && c.revoked_unix_ms.is_none())
        else {
            return Ok(false);
        };
        match how {
            End::Revoke => c.revoked_unix_ms = Some(at),
            End::Expire => c.expires_unix_ms = Some(c.expires_unix_ms.map_or(at, |e| e.min(at))),
        }
        self.write(&next)?;
        *kept = next;
        Ok(true)
    }
}
