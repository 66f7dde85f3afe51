//! gRPC client endpoints with the settings every swarm client wants:
//! connect timeout, TCP_NODELAY, HTTP/2 keep-alive (so a dead peer is
//! noticed even on an idle stream).

use std::time::Duration;

use tonic::transport::Endpoint;

/// Builds an endpoint for `addr` (`http://host:port` or `host:port`).
///
/// # Errors
///
/// `addr` is not a valid URI.
pub fn endpoint(addr: &str) -> Result<Endpoint, tonic::transport::Error> {
    let uri = if addr.contains("://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    };
    Ok(Endpoint::from_shared(uri)?
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(10))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true))
}
