//! Sends one alert to one target: JSON over HTTPS with the idempotency key
//! header; webhooks also signed (see [`crate::signing`]); email goes
//! through [`crate::email`]. 2xx is success;
//! 5xx, 408, 429 and network errors are worth retrying; other answers are
//! permanent (a wrong URL or token will not fix itself). Targets come
//! from the configuration only, and redirects are not followed: a
//! signature, a bot token in the URL or a mail password goes to the
//! configured target and nowhere else.

use std::time::Duration;

use crate::config::{Target, TargetKind};
use crate::format::{Alert, body};
use crate::signing;

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
#[error("delivery to `{target}` failed: {message}")]
pub struct DeliveryError {
    /// Name of the target the delivery was for.
    pub target: String,
    /// What went wrong (the HTTP status or the transport error, without the URL).
    pub message: String,
    /// Whether a later retry may succeed (transport errors, 5xx, 408, 429).
    pub retryable: bool,
}

/// An HTTP client for deliveries.
#[derive(Clone)]
pub struct Deliverer {
    http: reqwest::Client,
}

impl Deliverer {
    /// A client with `timeout` per request.
    ///
    /// # Errors
    ///
    /// The TLS stack cannot be set up.
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("TGE-Swarm-alerts/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { http })
    }

    /// Sends `alert` to `target` once.
    ///
    /// # Errors
    ///
    /// The target refused it or could not be reached.
    pub async fn send(
        &self,
        target: &Target,
        alert: &Alert,
        idempotency_key: &str,
    ) -> Result<(), DeliveryError> {
        let fail = |message: String, retryable: bool| DeliveryError {
            target: target.name.clone(),
            message,
            retryable,
        };
        if target.kind == TargetKind::Email {
            return crate::email::send(target, alert, idempotency_key)
                .await
                .map_err(|(message, retryable)| fail(message, retryable));
        }
        let payload = serde_json::to_vec(&body(target, alert, idempotency_key))
            .map_err(|e| fail(e.to_string(), false))?;
        let url = match target.kind {
            TargetKind::Telegram => format!(
                "{}/bot{}/sendMessage",
                target.api_base.trim_end_matches('/'),
                target.telegram_token().unwrap_or_default()
            ),
            _ => target.url.clone(),
        };
        let mut request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header(signing::IDEMPOTENCY_HEADER, idempotency_key);
        if target.kind == TargetKind::Webhook {
            let secret = target.signing_secret().unwrap_or_default();
            let now = swarm_common::time::now_ms() / 1000;
            request = request.header(
                signing::HEADER,
                signing::sign(secret.as_bytes(), now, &payload),
            );
        }
        let response = request
            .body(payload)
            .send()
            .await
            // the URL may hold a bot token: keep it out of the message
            .map_err(|e| fail(e.without_url().to_string(), true))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retryable =
            status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
        Err(fail(format!("HTTP {status}"), retryable))
    }
}
