//! The TGE Swarm gRPC contract.
//!
//! `swarm.v1` is generated from `proto/swarm/v1/*.proto` at build time:
//! - `AgentGateway` — the agent ⇄ queen stream (hello, credits, heartbeats,
//!   results ⇄ assign, cancel, drain);
//! - `QueenAdmin` — what `queenctl` and other programs call;
//! - `TaskSpec`/`Task` with a typed `TaskPayload` oneof.
//!
//! [`names`] adds the human names of kinds, priorities and states used by
//! the CLI, logs and metric labels.

pub mod names;

/// Generated messages, clients and servers of package `swarm.v1`.
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    tonic::include_proto!("swarm.v1");
}

/// Encoded `FileDescriptorSet` of the contract, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("swarm_descriptor");

pub use v1::{AgentKind, Priority, TaskState};
