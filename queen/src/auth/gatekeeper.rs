//! The [`Authenticator`] holds every live credential by token hash (read
//! from the configuration and the store; reloaded from the store every few
//! seconds so credentials created on another queen work here too), and
//! the [`Gatekeeper`] interceptor checks each incoming call against it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use swarm_common::time::now_ms;
use swarm_proto::AgentKind;
use tonic::{Request, Status};

use super::config::{AuthConfig, AuthMode, ConfiguredToken};
use super::role::{Principal, Role, Rpc};
use super::store::{CredentialStore, End, Stored};
use super::{AuthError, token};

/// How often credentials are reloaded from the store.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);
/// Longest name of a credential.
const MAX_NAME: usize = 100;

#[derive(Debug, Clone)]
struct Live {
    principal: Principal,
    expires_unix_ms: Option<i64>,
}

/// Every credential of this queen, and whether they are enforced.
pub struct Authenticator {
    enforced: bool,
    configured: Vec<Stored>,
    store: Arc<dyn CredentialStore>,
    live: RwLock<HashMap<String, Live>>,
    listed: RwLock<Vec<Stored>>,
}

/// A role from its stored name and kinds.
fn role(stored: &Stored) -> Result<Role, AuthError> {
    match stored.role.as_str() {
        "admin" => Ok(Role::Admin),
        "reader" => Ok(Role::Reader),
        "agent" => {
            let kinds = stored
                .kinds
                .iter()
                .map(|k| {
                    AgentKind::parse(k).ok_or_else(|| {
                        AuthError::Invalid(format!(
                            "credential `{}`: unknown agent kind `{k}`",
                            stored.name
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if kinds.is_empty() {
                return Err(AuthError::Invalid(format!(
                    "agent credential `{}` names no kind",
                    stored.name
                )));
            }
            Ok(Role::Agent(kinds))
        }
        other => Err(AuthError::Invalid(format!(
            "credential `{}`: role must be admin, agent or reader (got `{other}`)",
            stored.name
        ))),
    }
}

fn configured(token: &ConfiguredToken) -> Result<Stored, AuthError> {
    let sha256 = token.sha256.trim().to_ascii_lowercase();
    if !token::is_hash(&sha256) {
        return Err(AuthError::Invalid(format!(
            "[[auth.tokens]] `{}`: sha256 must be 64 hex digits (queenctl auth new-token prints it)",
            token.name
        )));
    }
    let stored = Stored {
        id: format!("config:{}", token.name),
        name: token.name.clone(),
        role: token.role.clone(),
        kinds: token.kinds.clone(),
        token_prefix: String::new(),
        token_sha256: sha256,
        created_unix_ms: 0,
        expires_unix_ms: None,
        revoked_unix_ms: None,
    };
    role(&stored)?;
    Ok(stored)
}

impl Authenticator {
    /// Credentials from `config` and `store`; decides enforcement for the
    /// life of the process.
    ///
    /// # Errors
    ///
    /// A configured token is malformed, the store cannot be read, or the
    /// queen would be reachable from the network without credentials.
    pub async fn open(
        config: &AuthConfig,
        store: Arc<dyn CredentialStore>,
        listen: SocketAddr,
    ) -> Result<Self, AuthError> {
        let configured = config
            .tokens
            .iter()
            .map(configured)
            .collect::<Result<Vec<_>, _>>()?;
        let kept = store.load().await?;
        let any = !configured.is_empty() || kept.iter().any(|c| c.revoked_unix_ms.is_none());
        let loopback = listen.ip().is_loopback();
        let enforced = match config.mode {
            AuthMode::Required if !any => {
                return Err(AuthError::Refused(
                    "[auth] mode = \"required\" but no credential is configured: add \
                     [[auth.tokens]] (queenctl auth new-token prints one)"
                        .into(),
                ));
            }
            AuthMode::Required => true,
            AuthMode::Disabled if !loopback => {
                return Err(AuthError::Refused(format!(
                    "refusing to serve gRPC on {listen} without credentials ([auth] mode = \
                     \"disabled\" is only allowed on a loopback address)"
                )));
            }
            AuthMode::Disabled => false,
            AuthMode::Auto if !any && !loopback => {
                return Err(AuthError::Refused(format!(
                    "refusing to serve gRPC on {listen} without credentials: configure \
                     [[auth.tokens]] (queenctl auth new-token prints one) or listen on a \
                     loopback address"
                )));
            }
            AuthMode::Auto => any,
        };
        if !enforced {
            tracing::warn!(%listen, "gRPC credentials are not enforced: any local process may administer this queen");
        }
        let authenticator = Self {
            enforced,
            configured,
            store,
            live: RwLock::new(HashMap::new()),
            listed: RwLock::new(Vec::new()),
        };
        authenticator.install(kept);
        Ok(authenticator)
    }

    /// Whether calls need a credential.
    pub fn enforced(&self) -> bool {
        self.enforced
    }

    fn install(&self, kept: Vec<Stored>) {
        let mut live = HashMap::new();
        for stored in self.configured.iter().chain(kept.iter()) {
            if stored.revoked_unix_ms.is_some() {
                continue;
            }
            match role(stored) {
                Ok(role) => {
                    live.insert(
                        stored.token_sha256.clone(),
                        Live {
                            principal: Principal {
                                id: stored.id.clone(),
                                name: stored.name.clone(),
                                role,
                            },
                            expires_unix_ms: stored.expires_unix_ms,
                        },
                    );
                }
                Err(error) => tracing::warn!(%error, "credential ignored"),
            }
        }
        if let Ok(mut slot) = self.live.write() {
            *slot = live;
        }
        if let Ok(mut slot) = self.listed.write() {
            *slot = self.configured.iter().cloned().chain(kept).collect();
        }
    }

    /// Whether the credential `id` still admits its caller (not revoked,
    /// not expired); always true when credentials are not enforced.
    pub fn is_live(&self, id: &str) -> bool {
        if !self.enforced {
            return true;
        }
        let now = now_ms();
        self.live.read().is_ok_and(|live| {
            live.values()
                .any(|l| l.principal.id == id && l.expires_unix_ms.is_none_or(|at| now < at))
        })
    }

    /// Reads the store again (credentials created or revoked on another
    /// queen of the same database).
    ///
    /// # Errors
    ///
    /// The store cannot be read (the credentials held stay in force).
    pub async fn reload(&self) -> Result<(), AuthError> {
        let kept = self.store.load().await?;
        self.install(kept);
        Ok(())
    }

    /// The caller presenting `metadata`'s bearer token.
    ///
    /// # Errors
    ///
    /// `UNAUTHENTICATED`: no token, or not a live one.
    pub fn verify(&self, metadata: &tonic::metadata::MetadataMap) -> Result<Principal, Status> {
        if !self.enforced {
            return Ok(Principal::open());
        }
        let presented = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, token)| token.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(presented) = presented else {
            return Err(refuse(
                "missing",
                "a credential is required (authorization: Bearer <token>)",
            ));
        };
        let hash = token::hash(presented);
        let live = self
            .live
            .read()
            .map_err(|_| Status::internal("credentials unavailable"))?
            .get(&hash)
            .cloned();
        match live {
            Some(l) if l.expires_unix_ms.is_none_or(|at| now_ms() < at) => Ok(l.principal),
            Some(_) => Err(refuse("expired", "the credential has expired")),
            None => Err(refuse("unknown", "the credential is not valid")),
        }
    }

    /// A new credential; answers the token (shown once) and its listing.
    ///
    /// # Errors
    ///
    /// Bad name or role, or the store failed.
    pub async fn create(
        &self,
        name: &str,
        role: &Role,
        expires_in: Option<Duration>,
    ) -> Result<(String, Stored), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(AuthError::Invalid(format!(
                "a credential name is 1..={MAX_NAME} bytes without control characters"
            )));
        }
        if let Role::Agent(kinds) = role
            && kinds.is_empty()
        {
            return Err(AuthError::Invalid(
                "an agent credential needs at least one kind".into(),
            ));
        }
        let secret = token::generate();
        let now = now_ms();
        let mut id = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut id);
        let stored = Stored {
            id: hex::encode(id),
            name: name.to_string(),
            role: role.name().to_string(),
            kinds: role.kinds().iter().map(|k| k.name().to_string()).collect(),
            token_sha256: token::hash(&secret),
            token_prefix: token::shown_prefix(&secret),
            created_unix_ms: now,
            expires_unix_ms: expires_in
                .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))),
            revoked_unix_ms: None,
        };
        self.store.insert(&stored).await?;
        self.reload().await?;
        tracing::info!(id = %stored.id, name = %stored.name, role = %stored.role, kinds = ?stored.kinds, "gRPC credential created");
        Ok((secret, stored))
    }

    /// Every credential, configured ones first (never a token).
    pub fn list(&self) -> Vec<Stored> {
        self.listed.read().map(|l| l.clone()).unwrap_or_default()
    }

    /// Revokes `id` at once; false when it is not a live credential.
    ///
    /// # Errors
    ///
    /// A configured credential, or the store failed.
    pub async fn revoke(&self, id: &str) -> Result<bool, AuthError> {
        if id.starts_with("config:") {
            return Err(AuthError::Invalid(
                "a configured token is removed from [[auth.tokens]], not revoked".into(),
            ));
        }
        let revoked = self.store.end(id, now_ms(), End::Revoke).await?;
        self.reload().await?;
        if revoked {
            tracing::info!(%id, "gRPC credential revoked");
        }
        Ok(revoked)
    }

    /// A new token for `id`'s name and role; the old one stops after
    /// `grace`.
    ///
    /// # Errors
    ///
    /// No such live credential, a configured one, or the store failed.
    pub async fn rotate(&self, id: &str, grace: Duration) -> Result<(String, Stored), AuthError> {
        let old = self
            .list()
            .into_iter()
            .find(|c| c.id == id && c.revoked_unix_ms.is_none())
            .ok_or_else(|| AuthError::NotFound(id.to_string()))?;
        if id.starts_with("config:") {
            return Err(AuthError::Invalid(
                "a configured token is rotated by changing [[auth.tokens]]".into(),
            ));
        }
        if old.expires_unix_ms.is_some_and(|at| at <= now_ms()) {
            return Err(AuthError::Invalid(format!(
                "credential `{id}` has expired: create a new one"
            )));
        }
        let role = role(&old)?;
        let remaining = old
            .expires_unix_ms
            .map(|at| Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)));
        let (secret, new) = self.create(&old.name, &role, remaining).await?;
        let until = now_ms().saturating_add(i64::try_from(grace.as_millis()).unwrap_or(i64::MAX));
        self.store.end(id, until, End::Expire).await?;
        self.reload().await?;
        tracing::info!(old = %id, new = %new.id, grace_secs = grace.as_secs(), "gRPC credential rotated");
        Ok((secret, new))
    }
}

fn refuse(reason: &'static str, message: &str) -> Status {
    metrics::counter!("swarm_grpc_auth_failures_total", "reason" => reason).increment(1);
    Status::unauthenticated(message)
}

/// The interceptor in front of `QueenAdmin` and `AgentGateway`: puts the
/// caller's [`Principal`] into the request's extensions.
#[derive(Clone)]
pub struct Gatekeeper(pub Arc<Authenticator>);

impl tonic::service::Interceptor for Gatekeeper {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        match self.0.verify(request.metadata()) {
            Ok(principal) => {
                request.extensions_mut().insert(principal);
                Ok(request)
            }
            Err(status) => {
                // one line per second at most: a flood of bad calls must not
                // flood the log (the counter counts every one)
                if take_log_slot(&LAST_REFUSAL_LOG_MS) {
                    tracing::warn!(peer = ?request.remote_addr(), reason = status.message(), "gRPC call refused (further refusals this second are only counted)");
                }
                Err(status)
            }
        }
    }
}

/// When a refused call was last logged (unix ms).
static LAST_REFUSAL_LOG_MS: AtomicI64 = AtomicI64::new(0);

/// Whether a log line may be written now (at most one a second per slot).
fn take_log_slot(slot: &AtomicI64) -> bool {
    let now = now_ms();
    let last = slot.load(Ordering::Relaxed);
    now - last >= 1_000
        && slot
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// The caller of `request` if it may call `rpc`.
///
/// # Errors
///
/// `UNAUTHENTICATED` when the request did not pass the [`Gatekeeper`],
/// `PERMISSION_DENIED` when the caller's role does not allow `rpc`.
pub fn principal_of<T>(request: &Request<T>, rpc: Rpc) -> Result<Principal, Status> {
    let principal = request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("a credential is required"))?;
    if principal.may_call(rpc) {
        Ok(principal)
    } else {
        metrics::counter!("swarm_grpc_auth_denied_total").increment(1);
        Err(Status::permission_denied(format!(
            "credential `{}` ({} {:?}) may not call this",
            principal.name,
            principal.role.name(),
            principal
                .role
                .kinds()
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::store::FileCredentials;

    fn memory() -> Arc<dyn CredentialStore> {
        Arc::new(FileCredentials::open(None).expect("memory"))
    }

    fn bearer(token: &str) -> tonic::metadata::MetadataMap {
        let mut m = tonic::metadata::MetadataMap::new();
        m.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        m
    }

    fn admin_config(token: &str) -> AuthConfig {
        AuthConfig {
            tokens: vec![ConfiguredToken {
                name: "ops".into(),
                role: "admin".into(),
                kinds: vec![],
                sha256: token::hash(token),
            }],
            ..AuthConfig::default()
        }
    }

    #[test]
    fn refusals_are_logged_at_most_once_a_second() {
        let slot = AtomicI64::new(0);
        assert!(take_log_slot(&slot));
        assert!(!take_log_slot(&slot), "a second line in the same second");
        slot.store(now_ms() - 1_500, Ordering::Relaxed);
        assert!(take_log_slot(&slot));
    }

    #[tokio::test]
    async fn a_queen_off_loopback_without_credentials_refuses_to_start() {
        let open = Authenticator::open(
            &AuthConfig::default(),
            memory(),
            "0.0.0.0:50051".parse().expect("addr"),
        )
        .await;
        assert!(matches!(open, Err(AuthError::Refused(_))));
        let disabled = AuthConfig {
            mode: AuthMode::Disabled,
            ..AuthConfig::default()
        };
        assert!(
            Authenticator::open(&disabled, memory(), "10.1.2.3:50051".parse().expect("addr"))
                .await
                .is_err()
        );
        let local = Authenticator::open(
            &AuthConfig::default(),
            memory(),
            "127.0.0.1:50051".parse().expect("addr"),
        )
        .await
        .expect("loopback runs open");
        assert!(!local.enforced());
        assert!(
            Authenticator::open(
                &admin_config("t"),
                memory(),
                "0.0.0.0:1".parse().expect("a")
            )
            .await
            .expect("with a token")
            .enforced()
        );
    }

    #[tokio::test]
    async fn tokens_are_checked_by_hash_and_revocation_and_rotation_take_effect() {
        let auth = Authenticator::open(
            &admin_config("root-token"),
            memory(),
            "127.0.0.1:1".parse().expect("a"),
        )
        .await
        .expect("open");
        assert!(auth.verify(&tonic::metadata::MetadataMap::new()).is_err());
        assert!(auth.verify(&bearer("wrong")).is_err());
        assert_eq!(
            auth.verify(&bearer("root-token")).expect("admin").role,
            Role::Admin
        );
        let (token, created) = auth
            .create(
                "kp-1",
                &Role::Agent(vec![AgentKind::KeywordPrecision]),
                None,
            )
            .await
            .expect("create");
        assert!(
            !serde_json::to_string(&auth.list())
                .expect("json")
                .contains(&token)
        );
        let p = auth.verify(&bearer(&token)).expect("agent");
        assert_eq!(p.role, Role::Agent(vec![AgentKind::KeywordPrecision]));
        let (rotated, _) = auth
            .rotate(&created.id, Duration::ZERO)
            .await
            .expect("rotate");
        assert!(
            auth.verify(&bearer(&rotated)).is_ok(),
            "the new token works"
        );
        assert!(
            auth.verify(&bearer(&token)).is_err(),
            "the old one stopped (no grace)"
        );
        let newest = auth
            .list()
            .into_iter()
            .find(|c| c.token_sha256 == token::hash(&rotated))
            .expect("listed");
        assert!(auth.revoke(&newest.id).await.expect("revoke"));
        assert!(auth.verify(&bearer(&rotated)).is_err(), "revoked");
        assert!(auth.revoke("config:ops").await.is_err());
    }

    #[tokio::test]
    async fn credentials_created_in_a_file_survive_a_restart_as_hashes() {
        let dir = std::env::temp_dir().join(format!("queen-creds-{}", rand::random::<u32>()));
        let path = dir.join("credentials.json");
        let open = || async {
            Authenticator::open(
                &AuthConfig::default(),
                Arc::new(FileCredentials::open(Some(path.clone())).expect("file")),
                "127.0.0.1:1".parse().expect("a"),
            )
            .await
            .expect("open")
        };
        let first = open().await;
        assert!(!first.enforced());
        let (token, _) = first
            .create("ops", &Role::Admin, None)
            .await
            .expect("create");
        let text = std::fs::read_to_string(&path).expect("file");
        assert!(!text.contains(&token), "only the hash is kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "not readable by others: {mode:o}");
        }
        let second = open().await;
        assert!(second.enforced(), "a kept credential turns enforcement on");
        assert!(second.verify(&bearer(&token)).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
