//! TLS on the queen's gRPC port from `[auth.tls]`: the queen's certificate
//! and key, and with `client_ca_file` mutual TLS (clients must present a
//! certificate signed by that CA).

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::{AuthError, TlsConfig};

/// The server TLS settings `config` describes.
///
/// # Errors
///
/// A file cannot be read.
pub fn server_config(config: &TlsConfig) -> Result<ServerTlsConfig, AuthError> {
    let read = |what: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| {
            AuthError::Refused(format!("cannot read the {what} {}: {e}", path.display()))
        })
    };
    let identity = Identity::from_pem(
        read("TLS certificate", &config.cert_file)?,
        read("TLS key", &config.key_file)?,
    );
    let mut tls = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = &config.client_ca_file {
        tls = tls
            .client_ca_root(Certificate::from_pem(read("client CA", ca)?))
            .client_auth_optional(false);
    }
    Ok(tls)
}
