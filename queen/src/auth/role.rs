//! Who a caller is and what it may do: an admin credential may call every
//! RPC; a reader only reads the queue's state (stats, agents, schedules); an agent credential connects only as its kinds and calls only the
//! admin RPCs those kinds' roles need (`swarm_proto::names::ROLES`: the
//! api-reliability watcher submits alert deliveries, the performance
//! optimizer reads stats and retunes schedules, the scraper's push listener
//! submits what it received).

use swarm_proto::AgentKind;
use swarm_proto::v1::TaskSpec;

/// What a credential is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Admin,
    /// Agents of these kinds.
    Agent(Vec<AgentKind>),
    /// Reads the queue's state (`queen --api-only` replicas, dashboards).
    Reader,
}

impl Role {
    /// `admin` or `agent`.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent(_) => "agent",
            Role::Reader => "reader",
        }
    }

    /// The kinds of an agent credential (empty for admin).
    pub fn kinds(&self) -> &[AgentKind] {
        match self {
            Role::Admin | Role::Reader => &[],
            Role::Agent(kinds) => kinds,
        }
    }
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The credential's id (`config:<name>` for configured tokens).
    pub id: String,
    /// The credential's name.
    pub name: String,
    /// What it may do.
    pub role: Role,
}

/// The admin RPCs, by what they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rpc {
    /// `SubmitTasks`: authorized per task ([`Principal::may_submit`]).
    SubmitTasks,
    /// `GetStats`, `ListAgents`, `ListSchedules`.
    ReadQueue,
    /// `SetScheduleInterval`, `RecommendReplicas`.
    Tune,
    /// Everything else: admin only.
    Administer,
}

impl Principal {
    /// The caller of a queen that enforces no credentials (loopback, none
    /// configured): it may do everything.
    pub fn open() -> Self {
        Self {
            id: "open".into(),
            name: "unauthenticated (no credentials configured)".into(),
            role: Role::Admin,
        }
    }

    /// Whether the caller may connect as an agent of `kind`.
    pub fn may_connect_as(&self, kind: AgentKind) -> bool {
        match &self.role {
            Role::Admin => true,
            Role::Agent(kinds) => kinds.contains(&kind),
            Role::Reader => false,
        }
    }

    /// Whether the caller may call an RPC of class `rpc` at all (what an
    /// agent kind may do is its role in `swarm_proto::names::ROLES`).
    pub fn may_call(&self, rpc: Rpc) -> bool {
        match (&self.role, rpc) {
            (Role::Admin, _) => true,
            (Role::Agent(kinds), Rpc::SubmitTasks) => kinds
                .iter()
                .any(|k| k.role().is_some_and(|r| !r.submits.is_empty())),
            (Role::Agent(kinds), Rpc::ReadQueue) => kinds.iter().any(|k| k.may_read_queue()),
            (Role::Agent(kinds), Rpc::Tune) => kinds.iter().any(|k| k.may_tune()),
            (Role::Agent(_), Rpc::Administer) => false,
            (Role::Reader, rpc) => rpc == Rpc::ReadQueue,
        }
    }

    /// Whether the caller may submit `spec` (admins anything; agents only
    /// what one of their kinds' roles submits, to the payload's own queue).
    pub fn may_submit(&self, spec: &TaskSpec) -> bool {
        match &self.role {
            Role::Admin => true,
            Role::Agent(kinds) => {
                spec.routes_by_payload()
                    && spec
                        .payload
                        .as_ref()
                        .is_some_and(|p| kinds.iter().any(|k| k.may_submit(p)))
            }
            Role::Reader => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swarm_proto::v1::{AnalyzeDocument, DeliverAlert, FetchSource, task_payload};

    fn agent(kinds: &[AgentKind]) -> Principal {
        Principal {
            id: "t".into(),
            name: "t".into(),
            role: Role::Agent(kinds.to_vec()),
        }
    }

    #[test]
    fn agents_connect_only_as_their_kinds() {
        let kp = agent(&[AgentKind::KeywordPrecision]);
        assert!(kp.may_connect_as(AgentKind::KeywordPrecision));
        assert!(!kp.may_connect_as(AgentKind::ScrapingSpecialist));
        assert!(Principal::open().may_connect_as(AgentKind::ScrapingSpecialist));
    }

    #[test]
    fn agents_submit_only_what_their_role_submits() {
        let alert = TaskSpec::routed(task_payload::Kind::DeliverAlert(DeliverAlert::default()));
        let fetch = TaskSpec::routed(task_payload::Kind::FetchSource(FetchSource::default()));
        let analyze = TaskSpec::routed(task_payload::Kind::AnalyzeDocument(
            AnalyzeDocument::default(),
        ));
        let reliability = agent(&[AgentKind::ApiReliability]);
        assert!(reliability.may_submit(&alert));
        assert!(!reliability.may_submit(&fetch));
        let kp = agent(&[AgentKind::KeywordPrecision]);
        assert!(!kp.may_call(Rpc::SubmitTasks));
        assert!(
            !kp.may_submit(&alert),
            "keyword-precision cannot submit alerts"
        );
        let scraper = agent(&[AgentKind::ScrapingSpecialist]);
        assert!(scraper.may_submit(&analyze));
        let mut misrouted = analyze.clone();
        misrouted.kind = AgentKind::ApiReliability as i32;
        assert!(
            !scraper.may_submit(&misrouted),
            "payload and queue must agree"
        );
    }

    #[test]
    fn only_admins_administer_and_only_the_optimizer_tunes() {
        let optimizer = agent(&[AgentKind::PerformanceOptimizer]);
        assert!(optimizer.may_call(Rpc::Tune) && optimizer.may_call(Rpc::ReadQueue));
        assert!(!optimizer.may_call(Rpc::Administer));
        assert!(!agent(&[AgentKind::DataQuality]).may_call(Rpc::Tune));
        assert!(Principal::open().may_call(Rpc::Administer));
        let reader = Principal {
            role: Role::Reader,
            ..agent(&[])
        };
        assert!(reader.may_call(Rpc::ReadQueue));
        assert!(!reader.may_call(Rpc::Tune) && !reader.may_call(Rpc::SubmitTasks));
        assert!(!reader.may_connect_as(AgentKind::DataQuality));
    }
}
