//! Messages on `swarm:channels:queen-commands` (JSON in an
//! [`Envelope`](crate::Envelope)): the performance optimizer tunes the queen.

use serde::{Deserialize, Serialize};

/// A command for the queen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QueenCommand {
    /// Poll the source schedule `source:<source_id>` every `interval_ms`.
    SetInterval { source_id: String, interval_ms: u64 },
    /// Replicas an agent kind should run (exported as
    /// `swarm_recommended_replicas{kind}`).
    RecommendReplicas { kind: String, replicas: u32 },
}

/// Queen schedule name of a source.
pub fn source_schedule(source_id: &str) -> String {
    format!("source:{source_id}")
}

/// The source id of a `source:<id>` schedule.
pub fn schedule_source(schedule: &str) -> Option<&str> {
    schedule.strip_prefix("source:").filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_tagged_json_and_names_round_trip() {
        let c = QueenCommand::SetInterval {
            source_id: "feed-a".into(),
            interval_ms: 30_000,
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""type":"set_interval""#), "{json}");
        assert_eq!(serde_json::from_str::<QueenCommand>(&json).unwrap(), c);
        assert_eq!(schedule_source(&source_schedule("feed-a")), Some("feed-a"));
        assert_eq!(schedule_source("optimizer"), None);
        assert_eq!(schedule_source("source:"), None);
    }
}
