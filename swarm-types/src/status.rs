//! The lifecycle of an event (announced → scheduled → live, or postponed /
//! cancelled) and how the statuses of its reports combine into one.

use serde::{Deserialize, Serialize};

/// Lifecycle of a TGE event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A TGE has been announced, with no date yet.
    Announced,
    /// The TGE has a date.
    Scheduled,
    /// The token is live (trading or claimable).
    Live,
    /// The TGE was put off; a later reschedule lifts this.
    Postponed,
    /// The TGE will not happen.
    Cancelled,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 5] = [
        Status::Announced,
        Status::Scheduled,
        Status::Live,
        Status::Postponed,
        Status::Cancelled,
    ];

    /// The status named `name` (the stored form).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Announced => "announced",
            Status::Scheduled => "scheduled",
            Status::Live => "live",
            Status::Postponed => "postponed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Position on the forward path announced → scheduled → live; `None`
    /// for the statuses a source declares (postponed, cancelled).
    fn progress(self) -> Option<u8> {
        match self {
            Status::Announced => Some(0),
            Status::Scheduled => Some(1),
            Status::Live => Some(2),
            Status::Postponed | Status::Cancelled => None,
        }
    }

    /// The lifecycle status of an event from its reports' statuses in the
    /// order they were observed: the event moves forward only (a late copy
    /// of the first announcement does not undo "live"); a report that it
    /// is postponed or cancelled always applies, and a later report that
    /// reschedules it (or says it is live) lifts that.
    pub fn lifecycle(observed_in_order: impl IntoIterator<Item = Status>) -> Status {
        let mut current: Option<Status> = None;
        for report in observed_in_order {
            current = Some(match (current, report.progress()) {
                (None, _) | (_, None) => report,
                (Some(now), Some(next)) => match now.progress() {
                    Some(at) if at > next => now,
                    _ => report,
                },
            });
        }
        current.unwrap_or(Status::Announced)
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn lifecycle_moves_forward_and_obeys_postponements() {
        assert_eq!(Status::lifecycle([]), Announced);
        assert_eq!(Status::lifecycle([Announced, Scheduled, Live]), Live);
        assert_eq!(
            Status::lifecycle([Scheduled, Live, Announced, Scheduled]),
            Live,
            "late copies do not move an event back"
        );
        assert_eq!(Status::lifecycle([Scheduled, Postponed]), Postponed);
        assert_eq!(
            Status::lifecycle([Scheduled, Postponed, Scheduled]),
            Scheduled
        );
        assert_eq!(Status::lifecycle([Live, Cancelled]), Cancelled);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.name()), Some(s));
        }
    }
}
