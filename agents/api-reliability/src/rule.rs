//! Which event changes become alerts.

use swarm_types::EventChange;

use crate::config::{RuleConfig, Trigger};

/// Why an alert is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The event was just created.
    Created,
    /// The event's status differs from the last one seen.
    StatusChange,
    /// Any other change, when the rule asks for every update.
    Update,
}

impl Reason {
    /// Lower-case name for logs, metrics and the alert body.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Created => "created",
            Reason::StatusChange => "status_change",
            Reason::Update => "update",
        }
    }
}

/// Whether an event of `project` at `confidence` passes the rule's
/// threshold and watchlist (what must still hold when the alert is sent).
pub fn holds(rule: &RuleConfig, project: &str, confidence: f64) -> bool {
    !confidence.is_nan()
        && confidence >= rule.min_confidence
        && (rule.watchlist.is_empty()
            || rule
                .watchlist
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(project.trim())))
}

/// Decides whether `change` (with the status last seen for the event, when
/// known) passes the rule.
pub fn evaluate(
    rule: &RuleConfig,
    change: &EventChange,
    previous_status: Option<&str>,
) -> Option<Reason> {
    if !holds(rule, &change.project, change.confidence) {
        return None;
    }
    let on = |t: Trigger| rule.on.contains(&t);
    if change.created {
        return on(Trigger::Created).then_some(Reason::Created);
    }
    if on(Trigger::StatusChange) && previous_status != Some(change.status.as_str()) {
        return Some(Reason::StatusChange);
    }
    on(Trigger::AnyUpdate).then_some(Reason::Update)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(created: bool, status: &str, confidence: f64) -> EventChange {
        EventChange {
            event_id: 7,
            version: 2,
            created,
            project: "Quillnet".into(),
            symbol: Some("QLN".into()),
            status: status.into(),
            confidence,
            corroboration: 2,
        }
    }

    #[test]
    fn confidence_watchlist_and_status_changes() {
        let rule = RuleConfig {
            min_confidence: 0.6,
            watchlist: vec!["quillnet".into()],
            on: vec![Trigger::Created, Trigger::StatusChange],
        };
        assert_eq!(
            evaluate(&rule, &change(true, "announced", 0.7), None),
            Some(Reason::Created)
        );
        assert_eq!(
            evaluate(&rule, &change(true, "announced", 0.5), None),
            None,
            "below the minimum"
        );
        assert_eq!(
            evaluate(&rule, &change(false, "live", 0.9), Some("announced")),
            Some(Reason::StatusChange)
        );
        assert_eq!(
            evaluate(&rule, &change(false, "live", 0.9), Some("live")),
            None,
            "same status"
        );
        let other = EventChange {
            project: "Orrery".into(),
            ..change(true, "announced", 0.9)
        };
        assert_eq!(evaluate(&rule, &other, None), None, "not on the watchlist");
        let every = RuleConfig {
            on: vec![Trigger::AnyUpdate],
            watchlist: Vec::new(),
            ..rule
        };
        assert_eq!(
            evaluate(&every, &change(false, "live", 0.9), Some("live")),
            Some(Reason::Update)
        );
        assert_eq!(
            evaluate(&every, &change(true, "live", 0.9), None),
            None,
            "creation not asked for"
        );
    }
}
