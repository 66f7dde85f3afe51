//! The one-process run's own gRPC credentials, made at every start: an
//! admin token (written with mode 0600 for `queenctl`) and one agent token
//! per kind, so each in-process specialist connects with only its kind's
//! rights, as the separate binaries do. The queen enforces them
//! (`[auth] mode = "required"`), keeping only their hashes.

use std::path::{Path, PathBuf};

use queen::auth::{AuthConfig, AuthMode, ConfiguredToken};
use queen::client::QueenLink;
use queen::client::token;
use swarm_proto::AgentKind;
use swarm_proto::names::AGENT_KINDS;

/// Tokens of one run.
pub struct RunCredentials {
    admin: String,
    agents: Vec<(AgentKind, String)>,
}

impl RunCredentials {
    /// Fresh tokens.
    pub fn generate() -> Self {
        Self {
            admin: token::generate(),
            agents: AGENT_KINDS
                .iter()
                .map(|k| (*k, token::generate()))
                .collect(),
        }
    }

    /// The queen's `[auth]`: these tokens by hash, enforced.
    pub fn auth_config(&self) -> AuthConfig {
        let mut tokens = vec![ConfiguredToken {
            name: "embedded-admin".into(),
            role: "admin".into(),
            kinds: Vec::new(),
            sha256: token::hash(&self.admin),
        }];
        tokens.extend(self.agents.iter().map(|(kind, secret)| ConfiguredToken {
            name: format!("embedded-{}", kind.name()),
            role: "agent".into(),
            kinds: vec![kind.name().to_string()],
            sha256: token::hash(secret),
        }));
        AuthConfig {
            mode: AuthMode::Required,
            tokens,
            ..AuthConfig::default()
        }
    }

    /// The link an agent of `kind` connects with.
    ///
    /// # Errors
    ///
    /// Never for generated tokens (they are header-safe).
    pub fn agent_link(&self, addr: &str, kind: AgentKind) -> anyhow::Result<QueenLink> {
        let secret = self
            .agents
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| s.as_str())
            .ok_or_else(|| anyhow::anyhow!("no token for {}", kind.name()))?;
        Ok(QueenLink::new(addr).with_token(secret)?)
    }

    /// The admin link (tests, the run's own admin calls).
    ///
    /// # Errors
    ///
    /// As [`RunCredentials::agent_link`].
    pub fn admin_link(&self, addr: &str) -> anyhow::Result<QueenLink> {
        Ok(QueenLink::new(addr).with_token(&self.admin)?)
    }

    /// Writes the admin token to `path` (mode 0600, replacing an older
    /// run's).
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn write_admin_token(&self, path: &Path) -> anyhow::Result<PathBuf> {
        use std::io::Write;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let _ = std::fs::remove_file(path);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot write the admin token {}: {e}", path.display()))?;
        writeln!(file, "{}", self.admin)?;
        Ok(path.to_path_buf())
    }
}
