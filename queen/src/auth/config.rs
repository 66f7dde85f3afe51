//! `[auth]` of the queen's configuration: whether credentials are enforced,
//! tokens declared by hash, where created credentials are kept, and TLS
//! (optionally mutual) for the gRPC port.

use std::path::PathBuf;

use serde::Deserialize;

/// Whether callers must present a credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Enforced when any credential exists at start (configured or
    /// created); with none, a queen on a loopback address runs open (with
    /// a warning) and one on any other address refuses to start.
    #[default]
    Auto,
    /// Always enforced; starting without any credential is an error.
    Required,
    /// Never enforced: only allowed on a loopback address.
    Disabled,
}

/// A token declared in the configuration by its SHA-256 (the token itself
/// is never in the file; `queenctl auth new-token` prints both).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfiguredToken {
    /// Shown in listings and logs.
    pub name: String,
    /// `admin`, `agent` or `reader`.
    pub role: String,
    /// Agent kinds (kebab-case names) an agent token may connect as.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Lower-case hex SHA-256 of the token.
    pub sha256: String,
}

/// TLS on the gRPC port.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain of the queen.
    pub cert_file: PathBuf,
    /// PEM private key of the queen.
    pub key_file: PathBuf,
    /// PEM CA that client certificates must chain to; set = mTLS (a client
    /// without a certificate signed by it cannot connect).
    pub client_ca_file: Option<PathBuf>,
}

/// `[auth]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Enforcement (default `auto`).
    pub mode: AuthMode,
    /// Tokens declared by hash (`[[auth.tokens]]`).
    pub tokens: Vec<ConfiguredToken>,
    /// Where credentials created with `queenctl auth create` are kept when
    /// the queue is not in PostgreSQL (with `store = "postgres"` they are
    /// in the `queen_credentials` table, shared by every queen). Default:
    /// `credentials.json` beside the journal; the memory store keeps them
    /// in memory.
    pub credentials_file: Option<PathBuf>,
    /// TLS (and mTLS) on the gRPC port.
    pub tls: Option<TlsConfig>,
}
