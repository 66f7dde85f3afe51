//! Alerts by email over SMTP (lettre, tokio, rustls). The idempotency key
//! becomes the Message-ID, so a mail system that sees a redelivery can drop
//! it; transient SMTP answers (4xx) and connection failures are worth a
//! retry, permanent ones (5xx: unknown mailbox, refused sender) are not.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Target;
use crate::format::Alert;

/// Sends `alert` to the target's addresses; on failure, the message and
/// whether to retry.
///
/// # Errors
///
/// The message cannot be built or the SMTP server refused it.
pub async fn send(
    target: &Target,
    alert: &Alert,
    idempotency_key: &str,
) -> Result<(), (String, bool)> {
    let message = message(target, alert, idempotency_key).map_err(|e| (e, false))?;
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&target.smtp_url)
        .map_err(|e| (format!("smtp_url: {e}"), false))?;
    if let (Some(user), Some(var)) = (&target.smtp_user, &target.smtp_password_env) {
        let password = std::env::var(var).unwrap_or_default();
        transport = transport.credentials(Credentials::new(user.clone(), password));
    }
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| (format!("SMTP: {e}"), !e.is_permanent()))
}

/// The mail for `alert`.
fn message(target: &Target, alert: &Alert, idempotency_key: &str) -> Result<Message, String> {
    let mailbox = |a: &str| {
        a.parse::<Mailbox>()
            .map_err(|e| format!("address `{a}`: {e}"))
    };
    let mut builder = Message::builder()
        .from(mailbox(&target.from)?)
        .subject(format!(
            "TGE {}: {} is {}",
            alert.reason.replace('_', " "),
            crate::format::plain(&alert.project),
            alert.status
        ))
        .message_id(Some(format!(
            "<{}@tge-swarm>",
            idempotency_key.replace(':', ".")
        )))
        .header(ContentType::TEXT_PLAIN);
    for to in &target.to {
        builder = builder.to(mailbox(to)?);
    }
    let body = format!(
        "{}\n\nevent {} version {}\nconfidence {:.2}, {} independent source(s)\nidempotency key {}\n",
        alert.text(),
        alert.event_id,
        alert.version,
        alert.confidence,
        alert.corroboration,
        idempotency_key
    );
    builder
        .body(body)
        .map_err(|e| format!("building the mail: {e}"))
}
