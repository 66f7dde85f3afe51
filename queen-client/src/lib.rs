//! queen-client: connecting to a queen's gRPC admin endpoint, with the caller's
//! trace context forwarded on every call (agents, `queenctl`, tests use it
//! without depending on the whole queen). [`AdminClient`] has every
//! `QueenAdmin` RPC: the queue, schedules, tuning (`set_schedule_interval`,
//! `recommend_replicas`: the performance optimizer) and the query API's keys
//! (`create_api_key`, `list_api_keys`, `revoke_api_key`: `queenctl keys`).

use swarm_proto::v1::queen_admin_client::QueenAdminClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// An admin client that forwards trace context.
pub type AdminClient = QueenAdminClient<
    InterceptedService<
        Channel,
        fn(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>,
    >,
>;

pub use swarm_common::grpc::endpoint;

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
