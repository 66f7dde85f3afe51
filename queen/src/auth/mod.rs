//! Authentication and authorization of the queen's gRPC surface.
//!
//! Every call to `QueenAdmin` and `AgentGateway` passes the [`Gatekeeper`]
//! interceptor, which turns the `authorization: Bearer <token>` header into
//! a [`Principal`] (or answers `UNAUTHENTICATED`); each RPC then checks what
//! the principal's [`Role`] allows. Tokens are kept only as SHA-256
//! ([`token`](mod@token)), declared in `[auth]` ([`config`]) or created over gRPC and
//! kept in a [`store`]. TLS, optionally mutual, is set up by
//! [`tls::server_config`].

pub mod config;
pub mod gatekeeper;
pub mod role;
pub mod store;
pub mod tls;
/// Tokens: generated and hashed by `queen-client` (so `queenctl` can make
/// one offline).
pub use queen_client::token;

pub use config::{AuthConfig, AuthMode, ConfiguredToken, TlsConfig};
pub use gatekeeper::{Authenticator, Gatekeeper, principal_of};
pub use role::{Principal, Role, Rpc};

/// What can go wrong with credentials.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The credential store failed.
    #[error("{0}")]
    Store(String),
    /// A request or configured token is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The queen must not start like this.
    #[error("{0}")]
    Refused(String),
    /// No such credential.
    #[error("no credential `{0}`")]
    NotFound(String),
}

impl From<AuthError> for tonic::Status {
    fn from(error: AuthError) -> Self {
        match &error {
            AuthError::Store(_) => tonic::Status::unavailable(error.to_string()),
            AuthError::Invalid(_) => tonic::Status::invalid_argument(error.to_string()),
            AuthError::Refused(_) => tonic::Status::failed_precondition(error.to_string()),
            AuthError::NotFound(_) => tonic::Status::not_found(error.to_string()),
        }
    }
}
