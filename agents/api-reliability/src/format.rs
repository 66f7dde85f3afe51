//! What an alert says, and the body each kind of target expects.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{Target, TargetKind};

/// An alert about a TGE event (carried as JSON in `DeliverAlert.event_json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The event's id in the synthesis store.
    pub event_id: i64,
    /// The event version that alerted (1 = just created).
    pub version: i32,
    /// The project the event belongs to.
    pub project: String,
    /// The project's ticker, when known.
    pub symbol: Option<String>,
    /// Lifecycle status name (`announced`, `scheduled`, `live`, …).
    pub status: String,
    /// The event's confidence (0.0–1.0).
    pub confidence: f64,
    /// Distinct sources reporting the event.
    pub corroboration: i32,
    /// created, status_change or update.
    pub reason: String,
}

impl Alert {
    /// One line for chat targets.
    pub fn text(&self) -> String {
        let symbol = self
            .symbol
            .as_deref()
            .map(|s| format!(" (${s})"))
            .unwrap_or_default();
        format!(
            "TGE {reason}: {project}{symbol} is {status} — confidence {confidence:.0}%, {n} source(s) [event {id} v{version}]",
            reason = self.reason.replace('_', " "),
            project = self.project,
            status = self.status,
            confidence = self.confidence * 100.0,
            n = self.corroboration,
            id = self.event_id,
            version = self.version,
        )
    }
}

/// The JSON body for `target`, with the idempotency key for the generic
/// webhook (chat services get only the text).
#[allow(
    clippy::match_same_arms,
    reason = "one arm per target kind; email only shares Slack's shape as a placeholder"
)]
pub fn body(target: &Target, alert: &Alert, idempotency_key: &str) -> Value {
    match target.kind {
        TargetKind::Webhook => json!({
            "type": "tge_event",
            "idempotency_key": idempotency_key,
            "alert": alert,
        }),
        TargetKind::Slack => json!({ "text": alert.text() }),
        TargetKind::Discord => json!({ "content": alert.text() }),
        TargetKind::Telegram => json!({
            "chat_id": target.chat_id,
            "text": alert.text(),
            "disable_web_page_preview": true,
        }),
        // mail is not JSON: see crate::email
        TargetKind::Email => json!({ "text": alert.text() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: TargetKind) -> Target {
        Target {
            name: "t".into(),
            kind,
            url: "http://127.0.0.1:9/".into(),
            secret: Some("s".into()),
            secret_env: None,
            api_base: "http://127.0.0.1:9".into(),
            bot_token: Some("123:abc".into()),
            bot_token_env: None,
            chat_id: "-100".into(),
            smtp_url: String::new(),
            smtp_user: None,
            smtp_password_env: None,
            from: String::new(),
            to: Vec::new(),
        }
    }

    #[test]
    fn each_service_gets_its_own_shape() {
        let alert = Alert {
            event_id: 7,
            version: 3,
            project: "Quillnet".into(),
            symbol: Some("QLN".into()),
            status: "announced".into(),
            confidence: 0.91,
            corroboration: 3,
            reason: "status_change".into(),
        };
        let text = alert.text();
        assert!(text.contains("Quillnet ($QLN) is announced"), "{text}");
        assert!(text.contains("91%"), "{text}");
        let hook = body(&target(TargetKind::Webhook), &alert, "alert:t:7:3");
        assert_eq!(hook["idempotency_key"], "alert:t:7:3");
        assert_eq!(hook["alert"]["project"], "Quillnet");
        assert_eq!(body(&target(TargetKind::Slack), &alert, "k")["text"], text);
        assert_eq!(
            body(&target(TargetKind::Discord), &alert, "k")["content"],
            text
        );
        assert_eq!(
            body(&target(TargetKind::Telegram), &alert, "k")["chat_id"],
            "-100"
        );
    }
}
