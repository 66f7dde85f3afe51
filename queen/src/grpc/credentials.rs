//! `CreateCredential`, `ListCredentials`, `RevokeCredential`,
//! `RotateCredential`: the queen's own gRPC credentials (`queenctl auth`),
//! admin only. A token is answered once, on creation; only its hash is kept.

use std::time::Duration;

use swarm_proto::AgentKind;
use swarm_proto::v1::{
    CreateCredentialRequest, CreateCredentialResponse, CredentialInfo, CredentialRole,
    ListCredentialsResponse, RevokeCredentialResponse, RotateCredentialRequest,
};
use tonic::Status;

use crate::auth::store::Stored;
use crate::auth::{Authenticator, Role};

/// Longest expiry or grace period asked for (ten years).
const MAX_SECS: u64 = 10 * 365 * 24 * 3600;

fn info(c: Stored) -> CredentialInfo {
    CredentialInfo {
        from_config: c.id.starts_with("config:"),
        id: c.id,
        name: c.name,
        role: match c.role.as_str() {
            "admin" => CredentialRole::Admin as i32,
            "agent" => CredentialRole::Agent as i32,
            "reader" => CredentialRole::Reader as i32,
            _ => CredentialRole::Unspecified as i32,
        },
        kinds: c
            .kinds
            .iter()
            .filter_map(|k| AgentKind::parse(k))
            .map(|k| k as i32)
            .collect(),
        token_prefix: c.token_prefix,
        created_unix_ms: c.created_unix_ms,
        expires_unix_ms: c.expires_unix_ms.unwrap_or(0),
        revoked_unix_ms: c.revoked_unix_ms.unwrap_or(0),
    }
}

fn seconds(raw: u64, what: &str) -> Result<Duration, Status> {
    if raw > MAX_SECS {
        return Err(Status::invalid_argument(format!(
            "{what} is at most {MAX_SECS} seconds"
        )));
    }
    Ok(Duration::from_secs(raw))
}

fn role(req: &CreateCredentialRequest) -> Result<Role, Status> {
    match CredentialRole::try_from(req.role) {
        Ok(CredentialRole::Admin) if req.kinds.is_empty() => Ok(Role::Admin),
        Ok(CredentialRole::Reader) if req.kinds.is_empty() => Ok(Role::Reader),
        Ok(CredentialRole::Admin | CredentialRole::Reader) => Err(Status::invalid_argument(
            "only an agent credential names kinds",
        )),
        Ok(CredentialRole::Agent) => {
            let mut kinds = Vec::new();
            for raw in &req.kinds {
                let kind = AgentKind::try_from(*raw)
                    .ok()
                    .filter(|k| k.index().is_some())
                    .ok_or_else(|| Status::invalid_argument(format!("unknown agent kind {raw}")))?;
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            Ok(Role::Agent(kinds))
        }
        _ => Err(Status::invalid_argument(
            "a credential role is required: admin, agent or reader",
        )),
    }
}

/// Creates a credential.
pub(super) async fn create(
    auth: &Authenticator,
    req: CreateCredentialRequest,
) -> Result<CreateCredentialResponse, Status> {
    let role = role(&req)?;
    let expires = match req.expires_in_secs {
        0 => None,
        secs => Some(seconds(secs, "expires_in_secs")?),
    };
    let (token, stored) = auth.create(&req.name, &role, expires).await?;
    Ok(CreateCredentialResponse {
        token,
        info: Some(info(stored)),
    })
}

/// Every credential.
pub(super) fn list(auth: &Authenticator) -> ListCredentialsResponse {
    ListCredentialsResponse {
        credentials: auth.list().into_iter().map(info).collect(),
    }
}

/// Revokes one.
pub(super) async fn revoke(
    auth: &Authenticator,
    id: &str,
) -> Result<RevokeCredentialResponse, Status> {
    let revoked = auth.revoke(id).await?;
    if !revoked {
        return Err(Status::not_found(format!("no live credential `{id}`")));
    }
    Ok(RevokeCredentialResponse { revoked })
}

/// Rotates one.
pub(super) async fn rotate(
    auth: &Authenticator,
    req: RotateCredentialRequest,
) -> Result<CreateCredentialResponse, Status> {
    let grace = seconds(req.grace_secs, "grace_secs")?;
    let (token, stored) = auth.rotate(&req.id, grace).await?;
    Ok(CreateCredentialResponse {
        token,
        info: Some(info(stored)),
    })
}
