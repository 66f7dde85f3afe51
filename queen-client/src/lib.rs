//! queen-client: connecting to a queen's gRPC admin endpoint, with the caller's
//! trace context forwarded on every call (agents, `queenctl`, tests use it
//! without depending on the whole queen), presenting the caller's
//! credential ([`QueenLink`]). [`AdminClient`] has every
//! `QueenAdmin` RPC: the queue, schedules, tuning (`set_schedule_interval`,
//! `recommend_replicas`: the performance optimizer) and the query API's keys
//! (`create_api_key`, `list_api_keys`, `revoke_api_key`: `queenctl keys`).

pub mod token;

use swarm_proto::v1::queen_admin_client::QueenAdminClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub use swarm_common::grpc::endpoint;
pub use swarm_common::queen_link::{ClientTls, Credentials, LinkError, QueenLink, QueenLinkArgs};

/// An admin client that presents the link's credential and forwards trace
/// context.
pub type AdminClient = QueenAdminClient<InterceptedService<Channel, Credentials>>;

/// Connects an admin client to the queen `link` leads to (an address
/// alone connects without a credential).
///
/// # Errors
///
/// The address is invalid, TLS cannot be set up or the queen cannot be
/// reached.
pub async fn admin(link: impl Into<QueenLink>) -> Result<AdminClient, LinkError> {
    let link = link.into();
    let channel = link.connect().await?;
    Ok(
        QueenAdminClient::with_interceptor(channel, link.interceptor())
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024),
    )
}
