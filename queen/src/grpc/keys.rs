//! `CreateApiKey`, `ListApiKeys`, `RevokeApiKey`: the query API's keys,
//! administered through the queen with `tge_api::keys` (only hashes are
//! stored; the key is answered once, on creation).

use swarm_proto::v1::{
    ApiKeyInfo, ApiKeyScope, CreateApiKeyRequest, CreateApiKeyResponse, ListApiKeysResponse,
    RevokeApiKeyResponse,
};
use tge_api::keys::Scope;
use tge_api::model::KeyInfo;
use tonic::Status;

use crate::api_keys::{ApiKeys, KeysError};

impl From<KeysError> for Status {
    fn from(error: KeysError) -> Self {
        match &error {
            KeysError::NoDatabase(_) => Status::failed_precondition(error.to_string()),
            KeysError::Connect(_) | KeysError::Query(_) => Status::unavailable(error.to_string()),
        }
    }
}

fn info(k: KeyInfo) -> ApiKeyInfo {
    ApiKeyInfo {
        id: k.id,
        name: k.name,
        scope: k.scope,
        key_prefix: k.key_prefix,
        rate_per_sec: k.rate_per_sec,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
    }
}

fn scope(raw: i32) -> Result<Scope, Status> {
    match ApiKeyScope::try_from(raw) {
        Ok(ApiKeyScope::Read) => Ok(Scope::Read),
        Ok(ApiKeyScope::Admin) => Ok(Scope::Admin),
        _ => Err(Status::invalid_argument(format!(
            "a key scope is required: read or admin (got {raw})"
        ))),
    }
}

/// Creates a key.
pub(super) async fn create(
    keys: &ApiKeys,
    req: CreateApiKeyRequest,
) -> Result<CreateApiKeyResponse, Status> {
    let scope = scope(req.scope)?;
    if req.rate_per_sec.is_some_and(|r| !r.is_finite() || r <= 0.0) {
        return Err(Status::invalid_argument("rate_per_sec must be positive"));
    }
    let pool = keys.pool().await?;
    let (key, created) = tge_api::keys::create(pool, &req.name, scope, req.rate_per_sec)
        .await
        .map_err(KeysError::from)?;
    tracing::info!(id = created.id, scope = scope.name(), name = %created.name, "API key created");
    Ok(CreateApiKeyResponse {
        key,
        info: Some(info(created)),
    })
}

/// Every key, newest first.
pub(super) async fn list(keys: &ApiKeys) -> Result<ListApiKeysResponse, Status> {
    let pool = keys.pool().await?;
    let listed = tge_api::keys::list(pool).await.map_err(KeysError::from)?;
    Ok(ListApiKeysResponse {
        keys: listed.into_iter().map(info).collect(),
    })
}

/// Revokes a live key; NOT_FOUND when there is none with `id`.
pub(super) async fn revoke(keys: &ApiKeys, id: i64) -> Result<RevokeApiKeyResponse, Status> {
    let pool = keys.pool().await?;
    if !tge_api::keys::revoke(pool, id)
        .await
        .map_err(KeysError::from)?
    {
        return Err(Status::not_found(format!("no live key {id}")));
    }
    tracing::info!(id, "API key revoked");
    Ok(RevokeApiKeyResponse { revoked: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_queen_without_postgres_refuses_with_failed_precondition() {
        let keys = ApiKeys::unavailable("no PostgreSQL here");
        let status = list(&keys)
            .await
            .err()
            .map(|s| (s.code(), s.message().to_string()));
        assert_eq!(
            status,
            Some((
                tonic::Code::FailedPrecondition,
                "no PostgreSQL here".to_string()
            ))
        );
        let request = CreateApiKeyRequest {
            scope: ApiKeyScope::Read as i32,
            ..Default::default()
        };
        let code = create(&keys, request).await.err().map(|s| s.code());
        assert_eq!(code, Some(tonic::Code::FailedPrecondition));
    }

    #[tokio::test]
    async fn a_key_needs_a_scope_and_a_positive_rate() {
        let keys = ApiKeys::unavailable("unused");
        for (scope, rate) in [
            (ApiKeyScope::Unspecified, None),
            (ApiKeyScope::Read, Some(0.0)),
            (ApiKeyScope::Admin, Some(f64::NAN)),
        ] {
            let request = CreateApiKeyRequest {
                scope: scope as i32,
                name: String::new(),
                rate_per_sec: rate,
            };
            let code = create(&keys, request).await.err().map(|s| s.code());
            assert_eq!(
                code,
                Some(tonic::Code::InvalidArgument),
                "{scope:?} {rate:?}"
            );
        }
    }
}
