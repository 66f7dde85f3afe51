//! Connecting to a queen's gRPC endpoint, with the caller's trace context
//! forwarded on every admin call.

use std::time::Duration;

use swarm_proto::v1::queen_admin_client::QueenAdminClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// An admin client that forwards trace context.
pub type AdminClient = QueenAdminClient<
    InterceptedService<Channel, fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>>,
>;

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
        .keep_alive_timeout(Duration::from_secs(10)))
}

/// Connects an admin client to the queen at `addr`.
///
/// # Errors
///
/// The address is invalid or the queen cannot be reached.
pub async fn admin(addr: &str) -> Result<AdminClient, tonic::transport::Error> {
    let channel = endpoint(addr)?.connect().await?;
    Ok(QueenAdminClient::with_interceptor(
        channel,
        swarm_common::propagation::trace_interceptor as fn(_) -> _,
    )
    .max_decoding_message_size(64 * 1024 * 1024)
    .max_encoding_message_size(64 * 1024 * 1024))
}
