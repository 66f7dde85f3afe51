//! The queen's gRPC services.

mod admin;
mod credentials;
mod gateway;
mod keys;
mod tuning;

pub use admin::AdminService;
pub use gateway::GatewayService;

use crate::scheduler::SubmitError;

impl From<SubmitError> for tonic::Status {
    fn from(error: SubmitError) -> Self {
        match &error {
            SubmitError::Invalid { .. } => tonic::Status::invalid_argument(error.to_string()),
            SubmitError::NotFound(_) => tonic::Status::not_found(error.to_string()),
            SubmitError::Conflict(_) => tonic::Status::failed_precondition(error.to_string()),
            SubmitError::Unavailable(_) => tonic::Status::unavailable(error.to_string()),
            SubmitError::Overloaded(_) => tonic::Status::resource_exhausted(error.to_string()),
            SubmitError::Refused(_) => tonic::Status::internal(error.to_string()),
        }
    }
}
