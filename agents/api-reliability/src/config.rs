//! Alert configuration: a rule and the targets alerts go to.
//!
//! ```toml
//! [rule]
//! min_confidence = 0.7
//! watchlist = ["Quillnet"]            # empty: every project
//! on = ["created", "status_change"]   # or "any_update"
//!
//! [[targets]]
//! name = "ops"
//! kind = "webhook"                    # webhook | slack | discord | telegram
//! url = "https://hooks.example.com/tge"
//! secret_env = "OPS_WEBHOOK_SECRET"   # or secret = "…" (webhook signing)
//!
//! [[targets]]
//! name = "desk"
//! kind = "telegram"
//! api_base = "https://api.telegram.org"
//! bot_token_env = "TG_BOT_TOKEN"
//! chat_id = "-100123"
//! ```

use std::path::Path;

use serde::Deserialize;

/// When an event change becomes an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A change that creates a new event.
    Created,
    /// A change of an existing event's status (or of one whose last status is unknown).
    StatusChange,
    /// Any other update of an event (date, corroboration, …).
    AnyUpdate,
}

/// The alert rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleConfig {
    /// Lowest event confidence (0.0–1.0) that alerts; default 0.7.
    pub min_confidence: f64,
    /// Project names (case-insensitive); empty = every project.
    pub watchlist: Vec<String>,
    /// Which changes alert; default created and status changes.
    pub on: Vec<Trigger>,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            min_confidence: 0.7,
            watchlist: Vec::new(),
            on: vec![Trigger::Created, Trigger::StatusChange],
        }
    }
}

/// How a target is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// JSON body signed with HMAC-SHA256 (see [`crate::signing`]).
    Webhook,
    /// Slack incoming webhook (`{"text": …}`).
    Slack,
    /// Discord webhook (`{"content": …}`).
    Discord,
    /// Telegram bot API `sendMessage`.
    Telegram,
    /// Email over SMTP (`smtp_url`, `from`, `to`).
    Email,
}

/// One place alerts go to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Unique name (no `:`), used in logs and delivery keys.
    pub name: String,
    /// How alerts are delivered.
    pub kind: TargetKind,
    /// Endpoint of a webhook, Slack or Discord target (http(s) URL; unused otherwise).
    #[serde(default)]
    pub url: String,
    /// Webhook signing secret, inline (takes precedence over `secret_env`).
    #[serde(default)]
    pub secret: Option<String>,
    /// The variable holding the webhook signing secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// Telegram bot API base URL; default `https://api.telegram.org`.
    #[serde(default = "telegram_api")]
    pub api_base: String,
    /// Telegram bot token, inline (takes precedence over `bot_token_env`).
    #[serde(default)]
    pub bot_token: Option<String>,
    /// The variable holding the Telegram bot token.
    #[serde(default)]
    pub bot_token_env: Option<String>,
    /// Telegram chat to post in (required for Telegram).
    #[serde(default)]
    pub chat_id: String,
    /// `smtp://host:port` (STARTTLS when offered; `?tls=required` to insist)
    /// or `smtps://host:465` (TLS from the start).
    #[serde(default)]
    pub smtp_url: String,
    /// SMTP login name (authenticates only together with `smtp_password_env`).
    #[serde(default)]
    pub smtp_user: Option<String>,
    /// The variable holding the SMTP password.
    #[serde(default)]
    pub smtp_password_env: Option<String>,
    /// Sender address of emails.
    #[serde(default)]
    pub from: String,
    /// Recipient addresses of emails (at least one for email targets).
    #[serde(default)]
    pub to: Vec<String>,
}

fn telegram_api() -> String {
    "https://api.telegram.org".into()
}

/// Everything the alerting side needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// When changes alert.
    pub rule: RuleConfig,
    /// Where alerts go (none: events are not watched at all).
    pub targets: Vec<Target>,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file or an environment override could not be read or parsed.
    #[error(transparent)]
    Load(#[from] swarm_common::config::Error),
    /// A target lacks what its kind needs (or its name is bad or reused).
    #[error("target `{target}`: {problem}")]
    Target {
        /// The target's name.
        target: String,
        /// What is wrong with it.
        problem: String,
    },
}

fn secret(value: &Option<String>, env: &Option<String>) -> Option<String> {
    value
        .clone()
        .or_else(|| env.as_ref().and_then(|name| std::env::var(name).ok()))
        .filter(|s| !s.is_empty())
}

impl Target {
    /// The webhook signing secret (inline or from its environment variable).
    pub fn signing_secret(&self) -> Option<String> {
        secret(&self.secret, &self.secret_env)
    }

    /// The Telegram bot token (inline or from its environment variable).
    pub fn telegram_token(&self) -> Option<String> {
        secret(&self.bot_token, &self.bot_token_env)
    }
}

impl AlertConfig {
    /// Loads the file (if any) with `ALERTS__…` environment overrides, and
    /// checks every target.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid file, or a target missing what it needs.
    pub fn load(file: Option<&Path>) -> Result<Self, Error> {
        let config: Self = swarm_common::config::load(file, "ALERTS")?;
        config.validate()?;
        Ok(config)
    }

    /// Checks that every target has what its kind needs.
    ///
    /// # Errors
    ///
    /// The first target that cannot work.
    pub fn validate(&self) -> Result<(), Error> {
        let mut names = std::collections::HashSet::new();
        for t in &self.targets {
            let problem = |p: &str| Error::Target {
                target: t.name.clone(),
                problem: p.to_string(),
            };
            if t.name.is_empty() || t.name.contains(':') {
                return Err(problem("a name is required and may not contain `:`"));
            }
            if !names.insert(t.name.as_str()) {
                return Err(problem("the name is used twice"));
            }
            match t.kind {
                TargetKind::Webhook | TargetKind::Slack | TargetKind::Discord => {
                    if !t.url.starts_with("http://") && !t.url.starts_with("https://") {
                        return Err(problem("`url` must be an http(s) URL"));
                    }
                    if t.kind == TargetKind::Webhook && t.signing_secret().is_none() {
                        return Err(problem("a webhook needs `secret` or `secret_env`"));
                    }
                }
                TargetKind::Telegram => {
                    if t.telegram_token().is_none() || t.chat_id.is_empty() {
                        return Err(problem(
                            "telegram needs `bot_token` (or `bot_token_env`) and `chat_id`",
                        ));
                    }
                }
                TargetKind::Email => {
                    if !t.smtp_url.starts_with("smtp://") && !t.smtp_url.starts_with("smtps://") {
                        return Err(problem("email needs `smtp_url` (smtp://… or smtps://…)"));
                    }
                    if t.to.is_empty() {
                        return Err(problem("email needs at least one address in `to`"));
                    }
                    for address in t.to.iter().chain([&t.from]) {
                        if address.parse::<lettre::message::Mailbox>().is_err() {
                            return Err(problem(&format!("`{address}` is not an email address")));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The target called `name`.
    pub fn target(&self, name: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AlertConfig, Error> {
        let config: AlertConfig =
            toml::from_str(text).map_err(swarm_common::config::Error::from)?;
        config.validate()?;
        Ok(config)
    }

    #[test]
    fn targets_need_what_their_kind_needs() {
        let ok = parse(
            r#"
            rule = { min_confidence = 0.5, on = ["any_update"] }
            [[targets]]
            name = "ops"
            kind = "webhook"
            url = "http://127.0.0.1:9/hook"
            secret = "s3"
            "#,
        )
        .unwrap();
        assert_eq!(ok.rule.on, vec![Trigger::AnyUpdate]);
        assert_eq!(
            ok.target("ops").unwrap().signing_secret().as_deref(),
            Some("s3")
        );
        let unsigned =
            parse("[[targets]]\nname = \"x\"\nkind = \"webhook\"\nurl = \"http://h/\"\n");
        assert!(unsigned.unwrap_err().to_string().contains("secret"));
        let telegram = parse("[[targets]]\nname = \"t\"\nkind = \"telegram\"\n");
        assert!(telegram.unwrap_err().to_string().contains("chat_id"));
        let email = parse(
            "[[targets]]\nname = \"m\"\nkind = \"email\"\nsmtp_url = \"smtp://127.0.0.1:25\"\nfrom = \"swarm@example.test\"\nto = [\"not an address\"]\n",
        );
        assert!(
            email
                .unwrap_err()
                .to_string()
                .contains("not an email address")
        );
        let typo = toml::from_str::<AlertConfig>("[[targets]]\nname = \"t\"\nkind = \"pager\"\n");
        assert!(typo.is_err());
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../alerts.example.toml");
        let config: AlertConfig = toml::from_str(text).unwrap();
        assert_eq!(config.targets.len(), 4);
        assert_eq!(
            config.rule.on,
            vec![Trigger::Created, Trigger::StatusChange]
        );
    }
}
