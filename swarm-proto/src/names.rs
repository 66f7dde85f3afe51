//! Stable human names for enum values (CLI arguments, log fields, metric
//! labels) and the payload → queue routing rule.

use crate::v1::{AgentKind, Priority, TaskPayload, TaskSpec, TaskState, task_payload};

/// How many specialist kinds there are (arrays indexed by
/// [`AgentKind::index`]).
pub const KIND_COUNT: usize = 5;
/// How many priorities there are (arrays indexed by [`Priority::rank`]).
pub const PRIORITY_COUNT: usize = 4;

/// Every agent kind that has a queue, in a fixed order.
pub const AGENT_KINDS: [AgentKind; KIND_COUNT] = [
    AgentKind::ScrapingSpecialist,
    AgentKind::KeywordPrecision,
    AgentKind::ApiReliability,
    AgentKind::PerformanceOptimizer,
    AgentKind::DataQuality,
];

/// Priorities from most to least urgent; the index is the priority's rank.
pub const PRIORITIES: [Priority; PRIORITY_COUNT] = [
    Priority::Critical,
    Priority::High,
    Priority::Normal,
    Priority::Low,
];

impl AgentKind {
    /// The kebab-case name used by binaries, the CLI and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            AgentKind::Unspecified => "unspecified",
            AgentKind::ScrapingSpecialist => "scraping-specialist",
            AgentKind::KeywordPrecision => "keyword-precision",
            AgentKind::ApiReliability => "api-reliability",
            AgentKind::PerformanceOptimizer => "performance-optimizer",
            AgentKind::DataQuality => "data-quality",
        }
    }

    /// Parses a kebab-case name (as printed by [`AgentKind::name`]).
    pub fn parse(name: &str) -> Option<Self> {
        AGENT_KINDS.into_iter().find(|k| k.name() == name)
    }

    /// Index into [`AGENT_KINDS`]; `None` for `Unspecified`.
    pub fn index(self) -> Option<usize> {
        AGENT_KINDS.iter().position(|k| *k == self)
    }
}

impl Priority {
    /// Lower-case name: critical, high, normal, low.
    pub fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal | Priority::Unspecified => "normal",
            Priority::Low => "low",
        }
    }

    /// Parses a name printed by [`Priority::name`].
    pub fn parse(name: &str) -> Option<Self> {
        PRIORITIES.into_iter().find(|p| p.name() == name)
    }

    /// 0 (critical) ..= 3 (low); `Unspecified` counts as normal.
    pub fn rank(self) -> usize {
        match self {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Normal | Priority::Unspecified => 2,
            Priority::Low => 3,
        }
    }
}

impl TaskState {
    /// Lower-case name used by the CLI.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Unspecified => "any",
            TaskState::Ready => "ready",
            TaskState::Scheduled => "scheduled",
            TaskState::Leased => "leased",
            TaskState::Completed => "completed",
            TaskState::Dead => "dead",
            TaskState::Cancelled => "cancelled",
        }
    }

    /// Parses a name printed by [`TaskState::name`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            TaskState::Unspecified,
            TaskState::Ready,
            TaskState::Scheduled,
            TaskState::Leased,
            TaskState::Completed,
            TaskState::Dead,
            TaskState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

impl TaskPayload {
    /// The queue a payload belongs to when the spec names none; `None` for
    /// payloads every kind understands (Noop) or an empty payload.
    pub fn default_kind(&self) -> Option<AgentKind> {
        use task_payload::Kind;
        match self.kind.as_ref()? {
            Kind::FetchSource(_) => Some(AgentKind::ScrapingSpecialist),
            Kind::AnalyzeDocument(_) => Some(AgentKind::KeywordPrecision),
            Kind::ValidateCandidate(_) => Some(AgentKind::DataQuality),
            Kind::ProbeSource(_) | Kind::DeliverAlert(_) => Some(AgentKind::ApiReliability),
            Kind::OptimizeSchedules(_) => Some(AgentKind::PerformanceOptimizer),
            Kind::Noop(_) => None,
        }
    }

    /// A payload of `kind`.
    pub fn of(kind: task_payload::Kind) -> Self {
        Self { kind: Some(kind) }
    }

    /// Short name of the payload variant, for logs.
    pub fn variant_name(&self) -> &'static str {
        use task_payload::Kind;
        match self.kind {
            Some(Kind::FetchSource(_)) => "fetch_source",
            Some(Kind::AnalyzeDocument(_)) => "analyze_document",
            Some(Kind::ValidateCandidate(_)) => "validate_candidate",
            Some(Kind::ProbeSource(_)) => "probe_source",
            Some(Kind::DeliverAlert(_)) => "deliver_alert",
            Some(Kind::OptimizeSchedules(_)) => "optimize_schedules",
            Some(Kind::Noop(_)) => "noop",
            None => "empty",
        }
    }
}

/// What a source is and how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// An RSS 2.0 feed.
    Rss,
    /// An Atom feed.
    Atom,
    /// A JSON Feed (jsonfeed.org).
    JsonFeed,
    /// A JSON API read through a a JSON field mapping.
    JsonApi,
    /// An HTML page read through CSS selectors.
    Html,
    /// X (Twitter) recent search for `query`.
    XSearch,
    /// A WebSocket stream of JSON messages (mapped like a JSON API).
    Websocket,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [SourceKind; 7] = [
        SourceKind::Rss,
        SourceKind::Atom,
        SourceKind::JsonFeed,
        SourceKind::JsonApi,
        SourceKind::Html,
        SourceKind::XSearch,
        SourceKind::Websocket,
    ];

    /// The kind named `name` (as in `FetchSource.source_kind` and the
    /// queen's `[sources]` config).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The name carried in `FetchSource.source_kind`.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Rss => "rss",
            SourceKind::Atom => "atom",
            SourceKind::JsonFeed => "json_feed",
            SourceKind::JsonApi => "json_api",
            SourceKind::Html => "html",
            SourceKind::XSearch => "x_search",
            SourceKind::Websocket => "websocket",
        }
    }
}

/// Prefix of the queen schedule that polls a source: `source:<id>`.
pub const SOURCE_SCHEDULE_PREFIX: &str = "source:";

/// The queen schedule name of source `source_id`.
pub fn source_schedule(source_id: &str) -> String {
    format!("{SOURCE_SCHEDULE_PREFIX}{source_id}")
}

/// The source id of a `source:<id>` schedule; `None` for other schedules.
pub fn schedule_source(schedule: &str) -> Option<&str> {
    schedule
        .strip_prefix(SOURCE_SCHEDULE_PREFIX)
        .filter(|s| !s.is_empty())
}

impl TaskSpec {
    /// A task carrying `payload`, queued for the kind the pipeline sends
    /// that payload to ([`TaskPayload::default_kind`] — the pipeline's shape
    /// is declared there and nowhere else); the other fields default.
    pub fn routed(payload: task_payload::Kind) -> Self {
        let payload = TaskPayload::of(payload);
        Self {
            kind: payload.default_kind().unwrap_or(AgentKind::Unspecified) as i32,
            payload: Some(payload),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_kind_names_round_trip() {
        for kind in SourceKind::ALL {
            assert_eq!(SourceKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(SourceKind::parse("gopher"), None);
    }

    #[test]
    fn source_schedule_names_round_trip() {
        assert_eq!(schedule_source(&source_schedule("feed-a")), Some("feed-a"));
        assert_eq!(schedule_source("optimizer"), None);
        assert_eq!(schedule_source("source:"), None);
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in AGENT_KINDS {
            assert_eq!(AgentKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(AgentKind::parse("queen"), None);
    }

    #[test]
    fn priority_rank_orders_urgency() {
        let ranks: Vec<usize> = PRIORITIES.iter().map(|p| p.rank()).collect();
        assert_eq!(ranks, vec![0, 1, 2, 3]);
        assert_eq!(Priority::Unspecified.rank(), Priority::Normal.rank());
        assert_eq!(Priority::parse("low"), Some(Priority::Low));
    }

    #[test]
    fn payload_routes_to_its_specialist() {
        let fetch = TaskPayload {
            kind: Some(task_payload::Kind::FetchSource(Default::default())),
        };
        assert_eq!(fetch.default_kind(), Some(AgentKind::ScrapingSpecialist));
        let noop = TaskPayload {
            kind: Some(task_payload::Kind::Noop(Default::default())),
        };
        assert_eq!(noop.default_kind(), None);
        let routed = TaskSpec::routed(task_payload::Kind::ValidateCandidate(Default::default()));
        assert_eq!(routed.kind, AgentKind::DataQuality as i32);
        assert!(routed.payload.is_some());
    }
}
