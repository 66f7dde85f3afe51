//! Failures of the event backends.

/// A backend failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply the event migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("event query `{op}` failed: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("unexpected event data from PostgreSQL ({what}): {detail}")]
    Decode { what: &'static str, detail: String },
    #[error("event journal {path}: {message}")]
    Journal { path: String, message: String },
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
