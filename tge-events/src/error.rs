//! Failures of the event backends.

/// A backend failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The pool cannot reach the database.
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    /// A schema migration of the event tables failed.
    #[error("cannot apply the event migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("event query `{op}` failed: {source}")]
    Query {
        /// Name of the failed operation (for logs and errors).
        op: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored value the model cannot read back.
    #[error("unexpected event data from PostgreSQL ({what}): {detail}")]
    Decode {
        /// What was being read (a column or value name).
        what: &'static str,
        /// Why it cannot be read.
        detail: String,
    },
    /// The in-memory backend's journal file cannot be read or written.
    #[error("event journal {path}: {message}")]
    Journal {
        /// Path of the journal file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// Whether trying again may succeed: a lost or refused connection, a
    /// deadlock or serialization failure, a busy or restarting server.
    /// Anything else (a constraint, bad data) fails again the same way.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connect(_) => true,
            Error::Query { source, .. } => match source {
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    ["08", "40", "53", "57"]
                        .iter()
                        .any(|class| code.starts_with(class))
                        || code == "55P03"
                }),
                _ => false,
            },
            Error::Migrate(_) | Error::Decode { .. } | Error::Journal { .. } => false,
        }
    }
}

/// Maps a failed query `op` to an [`Error`].
pub(crate) fn query_err(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
    move |source| Error::Query { op, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_transient_and_bad_data_is_not() {
        let query = |source| Error::Query { op: "test", source };
        assert!(query(sqlx::Error::PoolTimedOut).is_transient());
        assert!(query(sqlx::Error::Io(std::io::Error::other("reset"))).is_transient());
        assert!(!query(sqlx::Error::RowNotFound).is_transient());
        assert!(!query(sqlx::Error::Protocol("bad".into())).is_transient());
    }
}
