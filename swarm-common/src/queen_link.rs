//! How a client reaches the queen: its address, the bearer token it
//! presents (`authorization: Bearer …` on every call) and, optionally, TLS
//! with a client certificate (mTLS). Agents, `queenctl`, the API-only queen
//! and the tests all connect through a [`QueenLink`], so credentials are
//! attached in one place. The token is never printed (`Debug` redacts it).

use std::path::{Path, PathBuf};

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use crate::grpc::endpoint;

/// TLS settings of a client: the CA that signed the queen's certificate,
/// and the client's own certificate and key when the queen asks for one.
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// PEM of the CA the queen's certificate chains to.
    pub ca_pem: Vec<u8>,
    /// PEM certificate and key presented to the queen (mTLS).
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    /// Name the queen's certificate is checked against (default: the host
    /// of the address).
    pub domain: Option<String>,
}

/// Why a link cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A credential or certificate file cannot be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        /// What the file holds.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The token has characters a gRPC header cannot carry.
    #[error("the queen token must be printable ASCII without spaces")]
    BadToken,
    /// The channel cannot be built or connected.
    #[error(transparent)]
    Transport(#[from] tonic::transport::Error),
}

/// The way to one queen.
#[derive(Clone)]
pub struct QueenLink {
    addr: String,
    authorization: Option<AsciiMetadataValue>,
    tls: Option<ClientTls>,
}

impl std::fmt::Debug for QueenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueenLink")
            .field("addr", &self.addr)
            .field("token", &self.authorization.as_ref().map(|_| "<redacted>"))
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl QueenLink {
    /// A link to `addr` (`http://host:port`, `https://host:port` or
    /// `host:port`) without credentials.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            authorization: None,
            tls: None,
        }
    }

    /// The same link presenting `token`.
    ///
    /// # Errors
    ///
    /// The token cannot travel in a header.
    pub fn with_token(mut self, token: &str) -> Result<Self, LinkError> {
        let token = token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(LinkError::BadToken);
        }
        let mut value: AsciiMetadataValue =
            MetadataValue::try_from(format!("Bearer {token}")).map_err(|_| LinkError::BadToken)?;
        value.set_sensitive(true);
        self.authorization = Some(value);
        Ok(self)
    }

    /// The same link over TLS.
    #[must_use]
    pub fn with_tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The queen's address as given.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Whether a token is presented.
    pub fn has_token(&self) -> bool {
        self.authorization.is_some()
    }

    /// Connects a channel (TLS when configured).
    ///
    /// # Errors
    ///
    /// The address is invalid, TLS cannot be set up, or the queen cannot
    /// be reached.
    pub async fn connect(&self) -> Result<Channel, LinkError> {
        Ok(self.endpoint()?.connect().await?)
    }

    /// A channel that connects on first use.
    ///
    /// # Errors
    ///
    /// The address is invalid or TLS cannot be set up.
    pub fn connect_lazy(&self) -> Result<Channel, LinkError> {
        Ok(self.endpoint()?.connect_lazy())
    }

    fn endpoint(&self) -> Result<tonic::transport::Endpoint, LinkError> {
        let addr = match (&self.tls, self.addr.contains("://")) {
            (Some(_), false) => format!("https://{}", self.addr),
            _ => self.addr.clone(),
        };
        let mut endpoint = endpoint(&addr)?;
        if let Some(tls) = &self.tls {
            let mut config =
                ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&tls.ca_pem));
            if let Some((cert, key)) = &tls.identity {
                config = config.identity(Identity::from_pem(cert, key));
            }
            if let Some(domain) = &tls.domain {
                config = config.domain_name(domain.clone());
            }
            endpoint = endpoint.tls_config(config)?;
        }
        Ok(endpoint)
    }

    /// The interceptor that adds the token and the caller's trace context
    /// to every call.
    pub fn interceptor(&self) -> Credentials {
        Credentials {
            authorization: self.authorization.clone(),
        }
    }
}

impl From<&str> for QueenLink {
    fn from(addr: &str) -> Self {
        Self::new(addr)
    }
}

impl From<String> for QueenLink {
    fn from(addr: String) -> Self {
        Self::new(addr)
    }
}

impl From<&String> for QueenLink {
    fn from(addr: &String) -> Self {
        Self::new(addr.clone())
    }
}

impl From<&QueenLink> for QueenLink {
    fn from(link: &QueenLink) -> Self {
        link.clone()
    }
}

/// Adds `authorization` and the trace context to each outgoing call.
#[derive(Clone)]
pub struct Credentials {
    authorization: Option<AsciiMetadataValue>,
}

impl tonic::service::Interceptor for Credentials {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let mut request = crate::propagation::trace_interceptor(request)?;
        if let Some(value) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

/// Flags and environment of every process that talks to the queen.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct QueenLinkArgs {
    /// File holding the bearer token presented to the queen (one line).
    #[arg(long, env = "SWARM_QUEEN_TOKEN_FILE")]
    pub queen_token_file: Option<PathBuf>,
    /// The bearer token itself (prefer `--queen-token-file`: a flag shows
    /// in `ps`).
    #[arg(long, env = "SWARM_QUEEN_TOKEN", hide_env_values = true)]
    pub queen_token: Option<String>,
    /// CA certificate (PEM) of the queen's TLS certificate; turns TLS on.
    #[arg(long, env = "SWARM_QUEEN_CA_FILE")]
    pub queen_ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mTLS.
    #[arg(long, env = "SWARM_QUEEN_CERT_FILE", requires = "queen_key_file")]
    pub queen_cert_file: Option<PathBuf>,
    /// Client key (PEM) for mTLS.
    #[arg(long, env = "SWARM_QUEEN_KEY_FILE", requires = "queen_cert_file")]
    pub queen_key_file: Option<PathBuf>,
    /// Name the queen's certificate must carry (default: the address's host).
    #[arg(long, env = "SWARM_QUEEN_TLS_DOMAIN")]
    pub queen_tls_domain: Option<String>,
}

impl QueenLinkArgs {
    /// The link to `addr` these flags describe.
    ///
    /// # Errors
    ///
    /// A file cannot be read or the token is malformed.
    pub fn link(&self, addr: &str) -> Result<QueenLink, LinkError> {
        let mut link = QueenLink::new(addr);
        let token = match (&self.queen_token, &self.queen_token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => Some(read_text("queen token file", path)?),
            (None, None) => None,
        };
        if let Some(token) = token {
            link = link.with_token(&token)?;
        }
        if let Some(ca) = &self.queen_ca_file {
            let identity = match (&self.queen_cert_file, &self.queen_key_file) {
                (Some(cert), Some(key)) => {
                    Some((read("client certificate", cert)?, read("client key", key)?))
                }
                _ => None,
            };
            link = link.with_tls(ClientTls {
                ca_pem: read("queen CA certificate", ca)?,
                identity,
                domain: self.queen_tls_domain.clone(),
            });
        }
        Ok(link)
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, LinkError> {
    std::fs::read(path).map_err(|source| LinkError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

fn read_text(what: &'static str, path: &Path) -> Result<String, LinkError> {
    let bytes = read(what, path)?;
    String::from_utf8(bytes)
        .map(|s| s.trim().to_string())
        .map_err(|_| LinkError::BadToken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let link = QueenLink::new("http://127.0.0.1:1")
            .with_token("swq_secret_value_123")
            .expect("token");
        let printed = format!("{link:?}");
        assert!(!printed.contains("secret_value"), "{printed}");
        assert!(printed.contains("redacted"), "{printed}");
    }

    #[test]
    fn tokens_that_cannot_travel_in_a_header_are_refused() {
        for bad in ["", "has space", "line\nbreak", "ünicode"] {
            assert!(
                QueenLink::new("x:1").with_token(bad).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn the_interceptor_adds_the_bearer_header() {
        use tonic::service::Interceptor;
        let link = QueenLink::new("x:1").with_token("abc123").expect("token");
        let request = link
            .interceptor()
            .call(tonic::Request::new(()))
            .expect("intercepted");
        assert_eq!(
            request
                .metadata()
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer abc123")
        );
        let anonymous = QueenLink::new("x:1")
            .interceptor()
            .call(tonic::Request::new(()))
            .expect("intercepted");
        assert!(anonymous.metadata().get("authorization").is_none());
    }

    #[test]
    fn a_token_file_is_read_and_trimmed() {
        let dir = std::env::temp_dir().join(format!("queen-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("token");
        std::fs::write(&path, "tok_from_file\n").expect("write");
        let args = QueenLinkArgs {
            queen_token_file: Some(path),
            ..QueenLinkArgs::default()
        };
        let link = args.link("127.0.0.1:1").expect("link");
        assert!(link.has_token());
        let missing = QueenLinkArgs {
            queen_token_file: Some(dir.join("absent")),
            ..QueenLinkArgs::default()
        };
        let error = missing.link("127.0.0.1:1").expect_err("missing file");
        assert!(error.to_string().contains("absent"), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
