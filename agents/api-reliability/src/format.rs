//! What an alert says, and the body each kind of target expects. Names
//! come from crawled documents, so whatever they hold is shown as text,
//! never as markup: control characters become spaces for every target,
//! Slack's `&`, `<` and `>` are entity-escaped (no `<!channel>`,
//! `<@U…>` or `<url|text>` link) and `@` cannot start a mention, Discord's
//! markdown is backslash-escaped, `@everyone` / `@here` broken up and
//! `allowed_mentions` empty; the generic webhook carries the fields as
//! JSON data, Telegram and email plain text.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{Target, TargetKind};

/// An alert about a TGE event, rendered from the stored event.
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

/// `text` with control characters (newlines, escapes, …) as spaces.
pub fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `text` safe in a Slack message: entities for `&`, `<`, `>` (Slack's
/// control sequences: mentions, channel pings, links) and a word joiner
/// after `@` (no `@channel` / `@here` even with name linking on).
pub fn slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in plain(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{2060}"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` safe in a Discord message: markdown characters backslash-escaped
/// (no links, no `<@id>` mentions, no formatting) and a zero-width space
/// after `@` (no `@everyone` / `@here`).
pub fn discord(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in plain(text).chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '[' | ']' | '(' | ')' | '#' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200b}"),
            _ => out.push(c),
        }
    }
    out
}

impl Alert {
    /// One line of plain text (Telegram, email).
    pub fn text(&self) -> String {
        self.text_with(plain)
    }

    /// One line with the names from documents passed through `escape`.
    pub fn text_with(&self, escape: fn(&str) -> String) -> String {
        let symbol = self
            .symbol
            .as_deref()
            .map(|s| format!(" (${})", escape(s)))
            .unwrap_or_default();
        format!(
            "TGE {reason}: {project}{symbol} is {status} — confidence {confidence:.0}%, {n} source(s) [event {id} v{version}]",
            reason = self.reason.replace('_', " "),
            project = escape(&self.project),
            status = escape(&self.status),
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
        TargetKind::Slack => json!({ "text": alert.text_with(slack) }),
        TargetKind::Discord => json!({
            "content": alert.text_with(discord),
            "allowed_mentions": { "parse": [] },
        }),
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

    #[test]
    fn names_from_documents_cannot_ping_link_or_format() {
        let alert = Alert {
            event_id: 7,
            version: 1,
            project: "@everyone @here <!channel> <!here> <@U024BE7LH> [claim](https://evil.test) *now*\nTGE live: Fake".into(),
            symbol: Some("<@U1>".into()),
            status: "live".into(),
            confidence: 0.9,
            corroboration: 1,
            reason: "created".into(),
        };
        let slack_text = body(&target(TargetKind::Slack), &alert, "k")["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for raw in [
            "<!channel>",
            "<!here>",
            "<@U024BE7LH>",
            "<@U1>",
            "@everyone",
            "@here",
            "\n",
        ] {
            assert!(!slack_text.contains(raw), "{raw} in {slack_text}");
        }
        assert!(slack_text.contains("&lt;!channel&gt;"), "{slack_text}");
        let discord_body = body(&target(TargetKind::Discord), &alert, "k");
        let content = discord_body["content"].as_str().unwrap_or_default();
        for raw in [
            "@everyone",
            "@here",
            "<@U024BE7LH>",
            "[claim](",
            "*now*",
            "\n",
        ] {
            assert!(!content.contains(raw), "{raw} in {content}");
        }
        assert!(
            content.contains("\\[claim\\]\\(https\\://evil.test\\)"),
            "{content}"
        );
        assert_eq!(discord_body["allowed_mentions"]["parse"], json!([]));
        // plain text targets: one line, the name as it is otherwise
        let plain_text = alert.text();
        assert!(!plain_text.contains('\n'));
        assert!(plain_text.contains("[claim](https://evil.test)"));
        // the webhook carries the name as data
        let hook = body(&target(TargetKind::Webhook), &alert, "k");
        assert_eq!(hook["alert"]["project"], alert.project.as_str());
    }
}
