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

/// The variant of a [`TaskPayload`] without its data: what the routing
/// rule and the role table ([`ROLES`]) are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// `FetchSource`: poll a source.
    FetchSource,
    /// `AnalyzeDocument`: classify a fetched document.
    AnalyzeDocument,
    /// `ValidateCandidate`: validate a TGE candidate.
    ValidateCandidate,
    /// `ProbeSource`: probe a source whose breaker is half-open.
    ProbeSource,
    /// `DeliverAlert`: deliver an alert to one target.
    DeliverAlert,
    /// `OptimizeSchedules`: recompute poll intervals and replicas.
    OptimizeSchedules,
    /// `Noop`: the diagnostic payload every kind runs.
    Noop,
}

impl PayloadKind {
    /// The queue a payload of this kind belongs to when the spec names
    /// none; `None` for Noop, which every kind understands.
    pub fn default_kind(self) -> Option<AgentKind> {
        match self {
            PayloadKind::FetchSource => Some(AgentKind::ScrapingSpecialist),
            PayloadKind::AnalyzeDocument => Some(AgentKind::KeywordPrecision),
            PayloadKind::ValidateCandidate => Some(AgentKind::DataQuality),
            PayloadKind::ProbeSource | PayloadKind::DeliverAlert => Some(AgentKind::ApiReliability),
            PayloadKind::OptimizeSchedules => Some(AgentKind::PerformanceOptimizer),
            PayloadKind::Noop => None,
        }
    }
}

/// What an agent of one kind may ask of the queen beyond running the tasks
/// of its own queue. Anything not listed is refused: a compromised agent
/// can inject no more than its role produces anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// Payloads it may return as follow-ups in a successful `TaskResult`.
    pub follow_ups: &'static [PayloadKind],
    /// Payloads it may submit over the admin API (`SubmitTasks`).
    pub submits: &'static [PayloadKind],
    /// Whether it may call the tuning RPCs (`SetScheduleInterval`,
    /// `RecommendReplicas`).
    pub tunes: bool,
    /// Whether it reads the queue's state over the admin API
    /// (`ListSchedules`, `GetStats`, `ListAgents`).
    pub reads_queue: bool,
}

/// The roles, indexed like [`AGENT_KINDS`] — the one table of who may
/// produce what:
///
/// - scraping-specialist: `AnalyzeDocument` follow-ups of a fetch; its
///   push listener (WebSocket sources) submits the same over the admin API;
/// - keyword-precision: `ValidateCandidate` follow-ups;
/// - api-reliability: no follow-ups; its alert watcher submits `DeliverAlert`;
/// - performance-optimizer: no follow-ups, no submits; reads schedules,
///   stats and agents and calls the tuning RPCs;
/// - data-quality: nothing (its detections go to the findings stream).
///
/// Noop (diagnostics) is no role's follow-up: operators submit it.
pub const ROLES: [Role; KIND_COUNT] = [
    // scraping-specialist
    Role {
        follow_ups: &[PayloadKind::AnalyzeDocument],
        submits: &[PayloadKind::AnalyzeDocument],
        tunes: false,
        reads_queue: false,
    },
    // keyword-precision
    Role {
        follow_ups: &[PayloadKind::ValidateCandidate],
        submits: &[],
        tunes: false,
        reads_queue: false,
    },
    // api-reliability
    Role {
        follow_ups: &[],
        submits: &[PayloadKind::DeliverAlert],
        tunes: false,
        reads_queue: false,
    },
    // performance-optimizer
    Role {
        follow_ups: &[],
        submits: &[],
        tunes: true,
        reads_queue: true,
    },
    // data-quality
    Role {
        follow_ups: &[],
        submits: &[],
        tunes: false,
        reads_queue: false,
    },
];

impl AgentKind {
    /// The role of this kind; `None` for `Unspecified` (no agent).
    pub fn role(self) -> Option<&'static Role> {
        self.index().map(|i| &ROLES[i])
    }

    /// Whether an agent of this kind may return `payload` as a follow-up
    /// of a task it ran. An empty payload is never allowed.
    pub fn may_follow_up(self, payload: &TaskPayload) -> bool {
        match (self.role(), payload.payload_kind()) {
            (Some(role), Some(kind)) => role.follow_ups.contains(&kind),
            _ => false,
        }
    }

    /// Whether an agent of this kind may submit `payload` over the admin
    /// API (`SubmitTasks`). An empty payload is never allowed.
    pub fn may_submit(self, payload: &TaskPayload) -> bool {
        match (self.role(), payload.payload_kind()) {
            (Some(role), Some(kind)) => role.submits.contains(&kind),
            _ => false,
        }
    }

    /// Whether an agent of this kind may call the tuning RPCs
    /// (`SetScheduleInterval`, `RecommendReplicas`).
    pub fn may_tune(self) -> bool {
        self.role().is_some_and(|r| r.tunes)
    }

    /// Whether an agent of this kind reads the queue's state over the admin
    /// API (`ListSchedules`, `GetStats`, `ListAgents`).
    pub fn may_read_queue(self) -> bool {
        self.role().is_some_and(|r| r.reads_queue)
    }
}

impl TaskPayload {
    /// The payload's variant; `None` for an empty payload.
    pub fn payload_kind(&self) -> Option<PayloadKind> {
        use task_payload::Kind;
        Some(match self.kind.as_ref()? {
            Kind::FetchSource(_) => PayloadKind::FetchSource,
            Kind::AnalyzeDocument(_) => PayloadKind::AnalyzeDocument,
            Kind::ValidateCandidate(_) => PayloadKind::ValidateCandidate,
            Kind::ProbeSource(_) => PayloadKind::ProbeSource,
            Kind::DeliverAlert(_) => PayloadKind::DeliverAlert,
            Kind::OptimizeSchedules(_) => PayloadKind::OptimizeSchedules,
            Kind::Noop(_) => PayloadKind::Noop,
        })
    }

    /// The queue a payload belongs to when the spec names none; `None` for
    /// payloads every kind understands (Noop) or an empty payload.
    pub fn default_kind(&self) -> Option<AgentKind> {
        self.payload_kind()?.default_kind()
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
    /// Whether the spec goes to its payload's own queue: its `kind` is
    /// unset (the queen routes it) or is the payload's
    /// [`TaskPayload::default_kind`]. Follow-ups and agents' submits must
    /// be routed so (a Noop payload, which has no queue of its own, never
    /// is; neither is an empty one).
    pub fn routes_by_payload(&self) -> bool {
        let Some(routed) = self.payload.as_ref().and_then(TaskPayload::default_kind) else {
            return false;
        };
        match AgentKind::try_from(self.kind) {
            Ok(AgentKind::Unspecified) => true,
            Ok(kind) => kind == routed,
            Err(_) => false,
        }
    }

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

    fn payload(kind: task_payload::Kind) -> TaskPayload {
        TaskPayload::of(kind)
    }

    #[test]
    fn roles_allow_the_pipeline_and_nothing_else() {
        let fetch = payload(task_payload::Kind::FetchSource(Default::default()));
        let analyze = payload(task_payload::Kind::AnalyzeDocument(Default::default()));
        let validate = payload(task_payload::Kind::ValidateCandidate(Default::default()));
        let probe = payload(task_payload::Kind::ProbeSource(Default::default()));
        let alert = payload(task_payload::Kind::DeliverAlert(Default::default()));
        let optimize = payload(task_payload::Kind::OptimizeSchedules(Default::default()));
        let noop = payload(task_payload::Kind::Noop(Default::default()));
        let empty = TaskPayload::default();
        let all = [
            &fetch, &analyze, &validate, &probe, &alert, &optimize, &noop, &empty,
        ];
        let allowed = |kind: AgentKind, f: fn(AgentKind, &TaskPayload) -> bool| -> Vec<&str> {
            all.iter()
                .filter(|p| f(kind, p))
                .map(|p| p.variant_name())
                .collect()
        };
        use AgentKind as K;
        assert_eq!(
            allowed(K::ScrapingSpecialist, K::may_follow_up),
            ["analyze_document"]
        );
        assert_eq!(
            allowed(K::KeywordPrecision, K::may_follow_up),
            ["validate_candidate"]
        );
        for kind in [
            K::DataQuality,
            K::ApiReliability,
            K::PerformanceOptimizer,
            K::Unspecified,
        ] {
            assert!(allowed(kind, K::may_follow_up).is_empty(), "{kind:?}");
        }
        assert_eq!(
            allowed(K::ScrapingSpecialist, K::may_submit),
            ["analyze_document"]
        );
        assert_eq!(allowed(K::ApiReliability, K::may_submit), ["deliver_alert"]);
        for kind in [
            K::KeywordPrecision,
            K::DataQuality,
            K::PerformanceOptimizer,
            K::Unspecified,
        ] {
            assert!(allowed(kind, K::may_submit).is_empty(), "{kind:?}");
        }
        let tuners: Vec<_> = AGENT_KINDS.into_iter().filter(|k| k.may_tune()).collect();
        assert_eq!(tuners, [K::PerformanceOptimizer]);
        assert!(!K::Unspecified.may_tune());
        assert!(K::PerformanceOptimizer.may_read_queue());
        assert!(!K::DataQuality.may_read_queue());
    }

    #[test]
    fn every_follow_up_a_role_produces_routes_to_a_queue() {
        for role in &ROLES {
            for kind in role.follow_ups.iter().chain(role.submits) {
                assert!(kind.default_kind().is_some(), "{kind:?} has no queue");
            }
        }
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
        assert!(routed.routes_by_payload());
        let mut unset = routed.clone();
        unset.kind = AgentKind::Unspecified as i32;
        assert!(unset.routes_by_payload(), "the queen routes it");
        let mut elsewhere = routed.clone();
        elsewhere.kind = AgentKind::ScrapingSpecialist as i32;
        assert!(!elsewhere.routes_by_payload());
        let mut unknown = routed;
        unknown.kind = 77;
        assert!(!unknown.routes_by_payload());
        let mut noop = TaskSpec::routed(task_payload::Kind::Noop(Default::default()));
        noop.kind = AgentKind::DataQuality as i32;
        assert!(!noop.routes_by_payload());
        assert!(!TaskSpec::default().routes_by_payload());
    }
}
