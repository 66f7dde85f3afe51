//! Agent sessions: one per connected `AgentGateway.Connect` stream. Credits
//! bound what a session may hold; a result or heartbeat counts only from
//! the session that holds the lease, quoting the current lease token
//! (fencing); follow-ups are limited to what the session's kind produces
//! ([`AgentKind::may_follow_up`]); a session that goes away gives its
//! leases back at once.

use std::collections::HashSet;
use swarm_proto::names::KIND_COUNT;

use swarm_proto::names::AGENT_KINDS;
use swarm_proto::v1::{
    self, Assign, Cancel, Drain, QueenMessage, ResultRejected, TaskResult, TaskSpec, Welcome,
    queen_message, task_result,
};
use swarm_proto::{AgentKind, TaskState};

use super::backoff::retry_delay_ms;
use super::{EntryState, Outbound, Scheduler};

/// Most credits a session may accumulate.
const MAX_CREDITS: u32 = 100_000;
/// Most follow-ups one result may carry; the rest are dropped.
const MAX_FOLLOW_UPS: usize = 10_000;

/// Why a result was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// No live task has that id.
    UnknownTask,
    /// The task is not leased (ready, scheduled, dead).
    NotLeased,
    /// The token is not the current lease's.
    StaleLease,
    /// The token is right but another session holds the lease: someone
    /// learnt or guessed a token that is not theirs.
    NotHolder,
}

impl Refused {
    /// The metric label.
    fn label(self) -> &'static str {
        match self {
            Refused::UnknownTask => "unknown_task",
            Refused::NotLeased => "not_leased",
            Refused::StaleLease => "stale_lease",
            Refused::NotHolder => "not_holder",
        }
    }

    /// What the agent is told: a session that is not the holder hears
    /// `stale_lease` whatever token it quoted, so a rejection never says
    /// whether a token was right.
    fn reason(self) -> &'static str {
        match self {
            Refused::NotHolder => Refused::StaleLease.label(),
            other => other.label(),
        }
    }
}

/// Whether an agent of `role` may return `spec` as a follow-up: its payload
/// is one the role produces, and its routing kind (if set) is the payload's
/// own queue. The reason is a metric label.
fn follow_up_allowed(role: AgentKind, spec: &TaskSpec) -> Result<(), &'static str> {
    let payload = spec.payload.as_ref().ok_or("invalid")?;
    if !role.may_follow_up(payload) {
        return Err("outside_role");
    }
    if !spec.routes_by_payload() {
        return Err("kind_mismatch");
    }
    Ok(())
}

/// What an agent said when it connected.
#[derive(Debug, Clone)]
pub struct Hello {
    /// The id the agent gave itself (by default `<kind>-<pid>`).
    pub agent_id: String,
    /// The task kind the agent runs.
    pub kind: AgentKind,
    /// The agent's build version, for logs and `agents list`.
    pub version: String,
    /// Most tasks the agent holds at once (1..=`MAX_CAPACITY`).
    pub capacity: u32,
    /// The agent's remote address, as the gRPC server saw it (empty if unknown).
    pub peer: String,
}

/// Channel to a session's outbound stream.
pub type SessionTx = Outbound;

/// One connected agent stream.
pub struct Session {
    pub hello: Hello,
    pub session_id: String,
    pub kind: usize,
    pub credits: u32,
    pub leased: HashSet<u64>,
    pub draining: bool,
    /// Whether the session is in its kind's idle queue.
    pub idle_queued: bool,
    pub connected_ms: i64,
    pub last_seen_ms: i64,
    pub completed: u64,
    pub failed: u64,
    tx: Outbound,
}

impl Session {
    /// Sends a message; a closed stream is noticed by its reader.
    pub fn send(&self, msg: queen_message::Msg) {
        let _ = self.tx.send(Ok(QueenMessage { msg: Some(msg) }));
    }

    /// Public view of the session.
    pub fn info(&self) -> v1::AgentInfo {
        v1::AgentInfo {
            agent_id: self.hello.agent_id.clone(),
            kind: self.hello.kind as i32,
            version: self.hello.version.clone(),
            capacity: self.hello.capacity,
            credits: self.credits,
            leased: self.leased.len() as u32,
            draining: self.draining,
            connected_unix_ms: self.connected_ms,
            last_seen_unix_ms: self.last_seen_ms,
            peer: self.hello.peer.clone(),
            session_id: self.session_id.clone(),
            completed: self.completed,
            failed: self.failed,
        }
    }
}

/// An assignment message.
pub fn assign(tasks: Vec<v1::Task>) -> queen_message::Msg {
    queen_message::Msg::Assign(Assign { tasks })
}

impl Scheduler {
    /// Registers a new session and welcomes it. Returns the session number.
    ///
    /// # Errors
    ///
    /// The hello names no kind.
    pub fn register(&mut self, hello: Hello, tx: Outbound, now_ms: i64) -> Result<u64, String> {
        let kind = hello
            .kind
            .index()
            .ok_or_else(|| "hello must name the agent kind".to_string())?;
        let sid = self.seq.next_session();
        let session_id = format!("{}-{}", self.seq.epoch(), sid);
        let lease_ms = self.policy(kind).lease_ms.min(u32::MAX as u64) as u32;
        let session = Session {
            session_id: session_id.clone(),
            kind,
            credits: 0,
            leased: HashSet::new(),
            draining: false,
            idle_queued: false,
            connected_ms: now_ms,
            last_seen_ms: now_ms,
            completed: 0,
            failed: 0,
            tx,
            hello,
        };
        session.send(queen_message::Msg::Welcome(Welcome {
            session_id,
            heartbeat_interval_ms: self.settings.heartbeat_interval_ms,
            lease_ms,
        }));
        tracing::info!(agent = ?session.hello.agent_id, kind = AGENT_KINDS[kind].name(),
            capacity = session.hello.capacity, peer = ?session.hello.peer, "agent connected");
        self.sessions.insert(sid, session);
        Ok(sid)
    }

    /// The agent granted `credits` more tasks.
    pub fn grant(&mut self, sid: u64, credits: u32, now_ms: i64) {
        let Some(session) = self.sessions.get_mut(&sid) else {
            return;
        };
        session.last_seen_ms = now_ms;
        if credits == 0 {
            return;
        }
        // never more work in flight than the agent said it can hold, whatever
        // it grants (a buggy or hostile agent cannot hoard the queue)
        let capacity = match session.hello.capacity {
            0 => MAX_CREDITS,
            c => c.min(MAX_CREDITS),
        };
        let room = capacity.saturating_sub(session.leased.len() as u32);
        session.credits = session.credits.saturating_add(credits).min(room);
        if session.credits == 0 {
            return;
        }
        if !session.idle_queued && !session.draining {
            session.idle_queued = true;
            self.kinds[session.kind].idle_sessions.push_back(sid);
        }
        self.dirty[session.kind] = true;
        self.dispatch_dirty(now_ms);
    }

    /// Extends the leases the agent says it is still working on.
    pub fn heartbeat(&mut self, sid: u64, in_flight: &[v1::LeaseRef], now_ms: i64) {
        let Some(session) = self.sessions.get_mut(&sid) else {
            return;
        };
        session.last_seen_ms = now_ms;
        let lease_ms = self.settings.policies[session.kind].lease_ms as i64;
        let mut refused = 0u64;
        for lease in in_flight {
            let entry = self.tasks.get_mut(&lease.task_id);
            // only the holding session, quoting the current token, extends
            // a lease (a task that finished meanwhile is refused as well)
            if let Some(entry) = entry
                && let EntryState::Leased {
                    token,
                    session,
                    deadline_ms,
                } = &mut entry.state
                && *token == lease.lease_token
                && *session == sid
            {
                *deadline_ms = now_ms + lease_ms;
                self.timers.deadlines.push(std::cmp::Reverse((
                    *deadline_ms,
                    lease.task_id,
                    *token,
                )));
            } else {
                refused += 1;
            }
        }
        if refused > 0 {
            metrics::counter!("swarm_heartbeat_leases_refused_total").increment(refused);
            tracing::debug!(
                session = sid,
                refused,
                "heartbeat named leases the session does not hold"
            );
        }
    }

    /// The agent will take nothing new.
    pub fn mark_draining(&mut self, sid: u64) {
        if let Some(session) = self.sessions.get_mut(&sid) {
            session.draining = true;
            tracing::info!(agent = ?session.hello.agent_id, leased = session.leased.len(), "agent draining");
        }
    }

    /// Asks every session of `agent_id` to drain. Returns how many.
    pub fn drain_agent(&mut self, agent_id: &str) -> u32 {
        let mut n = 0;
        for session in self.sessions.values_mut() {
            if session.hello.agent_id == agent_id {
                session.draining = true;
                session.send(queen_message::Msg::Drain(Drain {
                    reason: "drain requested by operator".into(),
                }));
                n += 1;
            }
        }
        n
    }

    /// Applies a batch of results and returned credits. A result counts
    /// only from the session holding the lease, with the current lease
    /// token; any other is rejected (and returned) — a task is completed
    /// once even when an old holder comes back, and no session can
    /// complete, fail or release another's lease.
    pub fn results(
        &mut self,
        sid: u64,
        results: Vec<TaskResult>,
        credits: u32,
        now_ms: i64,
    ) -> Vec<ResultRejected> {
        let mut rejected = Vec::new();
        for result in results {
            let (task_id, lease_token) = (result.task_id, result.lease_token);
            if let Err(refused) = self.result(sid, result, now_ms) {
                self.totals.rejected_results += 1;
                metrics::counter!("swarm_results_rejected_total", "reason" => refused.label())
                    .increment(1);
                if refused == Refused::NotHolder {
                    tracing::warn!(
                        task = task_id,
                        session = sid,
                        agent = ?self.agent_of(sid),
                        "result for a lease another session holds refused (its token was quoted)"
                    );
                } else {
                    tracing::debug!(
                        task = task_id,
                        session = sid,
                        reason = refused.label(),
                        "result refused"
                    );
                }
                let rejection = ResultRejected {
                    task_id,
                    lease_token,
                    reason: refused.reason().to_string(),
                };
                if let Some(session) = self.sessions.get(&sid) {
                    session.send(queen_message::Msg::Rejected(rejection.clone()));
                }
                rejected.push(rejection);
            }
        }
        self.grant(sid, credits, now_ms);
        self.dispatch_dirty(now_ms);
        rejected
    }

    fn result(&mut self, sid: u64, result: TaskResult, now_ms: i64) -> Result<(), Refused> {
        let id = result.task_id;
        let entry = self.tasks.get(&id).ok_or(Refused::UnknownTask)?;
        let holder = match entry.state {
            EntryState::Leased { token, session, .. } if token == result.lease_token => {
                if session != sid {
                    return Err(Refused::NotHolder);
                }
                session
            }
            EntryState::Leased { .. } => return Err(Refused::StaleLease),
            _ => return Err(Refused::NotLeased),
        };
        let (kind, attempt, max) = (entry.kind, entry.attempt, entry.max_attempts);
        let kind_name = AGENT_KINDS[kind].name();
        self.kinds[kind].service.record(result.duration_ms);
        if let Some(session) = self.sessions.get_mut(&holder) {
            session.leased.remove(&id);
            session.last_seen_ms = now_ms;
        }
        self.kinds[kind].leased = self.kinds[kind].leased.saturating_sub(1);
        match result.outcome {
            Some(task_result::Outcome::Success(success)) => {
                self.finish(id, TaskState::Completed, now_ms);
                self.kinds[kind].counters.completed += 1;
                self.totals.completed += 1;
                if let Some(session) = self.sessions.get_mut(&sid) {
                    session.completed += 1;
                }
                metrics::counter!("swarm_task_outcomes_total", "kind" => kind_name, "outcome" => "completed").increment(1);
                if !success.follow_ups.is_empty() {
                    self.follow_ups(id, AGENT_KINDS[kind], success.follow_ups, now_ms);
                }
            }
            Some(task_result::Outcome::Release(release)) => {
                if let Some(entry) = self.tasks.get_mut(&id) {
                    entry.attempt = entry.attempt.saturating_sub(1);
                    tracing::debug!(task = id, reason = ?release.reason, "lease released");
                }
                self.lease_lost_released(id, now_ms);
            }
            outcome => {
                let (error, retryable) = match outcome {
                    Some(task_result::Outcome::Failure(f)) => {
                        (super::validate::error_text(f.error), f.retryable)
                    }
                    _ => ("result carried no outcome".to_string(), true),
                };
                if let Some(session) = self.sessions.get_mut(&sid) {
                    session.failed += 1;
                }
                if retryable && attempt < max {
                    let delay = retry_delay_ms(self.policy(kind), attempt);
                    if let Some(entry) = self.tasks.get_mut(&id) {
                        entry.last_error = Some(error);
                    }
                    self.make_scheduled(id, now_ms + delay);
                    self.kinds[kind].counters.retried += 1;
                    metrics::counter!("swarm_task_outcomes_total", "kind" => kind_name, "outcome" => "retried").increment(1);
                    if let Some(entry) = self.tasks.get(&id) {
                        self.journal
                            .push(crate::persister::Write::Upsert(entry.to_row()));
                    }
                } else {
                    let why = if retryable {
                        format!("{error} (attempt {attempt} of {max})")
                    } else {
                        format!("{error} (not retryable)")
                    };
                    self.make_dead(id, why);
                }
            }
        }
        Ok(())
    }

    /// Enqueues the follow-ups of task `id`, which an agent of `role` ran:
    /// those outside the role (or routed to another queue than their
    /// payload's, or beyond [`MAX_FOLLOW_UPS`]) are dropped, counted and
    /// reported in one warning; the task stays completed.
    fn follow_ups(&mut self, id: u64, role: AgentKind, specs: Vec<TaskSpec>, now_ms: i64) {
        let mut dropped = 0usize;
        let mut first_reason = "";
        let mut first_error = String::new();
        let total = specs.len();
        for (n, spec) in specs.into_iter().enumerate() {
            if n >= MAX_FOLLOW_UPS {
                let rest = total - n;
                metrics::counter!("swarm_follow_ups_rejected_total", "reason" => "too_many")
                    .increment(rest as u64);
                dropped += rest;
                if first_reason.is_empty() {
                    first_reason = "too_many";
                }
                break;
            }
            let verdict = follow_up_allowed(role, &spec).and_then(|()| {
                self.submit_one(spec, now_ms).map(drop).map_err(|error| {
                    if first_error.is_empty() {
                        first_error = error;
                    }
                    "invalid"
                })
            });
            if let Err(reason) = verdict {
                metrics::counter!("swarm_follow_ups_rejected_total", "reason" => reason)
                    .increment(1);
                dropped += 1;
                if first_reason.is_empty() {
                    first_reason = reason;
                }
            }
        }
        if dropped > 0 {
            tracing::warn!(
                task = id,
                kind = role.name(),
                dropped,
                of = total,
                reason = first_reason,
                error = %first_error,
                "follow-up tasks refused"
            );
        }
    }

    /// A released task goes back to the front of its queue, no attempt
    /// counted.
    fn lease_lost_released(&mut self, id: u64, now_ms: i64) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.state = EntryState::Ready;
            let since = entry.run_at_ms.min(now_ms);
            self.kinds[entry.kind].push_front(entry.rank, id, since);
            self.dirty[entry.kind] = true;
        }
    }

    /// The session's stream ended: its leases are redelivered at once.
    pub fn disconnect(&mut self, sid: u64, now_ms: i64) {
        let Some(session) = self.sessions.remove(&sid) else {
            return;
        };
        let lost = session.leased.len();
        tracing::info!(agent = ?session.hello.agent_id, kind = AGENT_KINDS[session.kind].name(),
            redelivering = lost, "agent disconnected");
        let mut ids: Vec<u64> = session.leased.into_iter().collect();
        ids.sort_unstable_by(|a, b| b.cmp(a)); // push_front in reverse keeps FIFO
        for id in ids {
            self.lease_lost(id, "agent disconnected", now_ms);
        }
        self.dispatch_dirty(now_ms);
    }

    /// Sends a cancel for a leased task to its holder.
    pub(super) fn send_cancel(&mut self, id: u64, token: u64, holder: u64, reason: &str) {
        if let Some(session) = self.sessions.get_mut(&holder) {
            session.leased.remove(&id);
            session.send(queen_message::Msg::Cancel(Cancel {
                task_id: id,
                lease_token: token,
                reason: reason.to_string(),
            }));
        }
    }

    /// Sessions connected per kind, in `AGENT_KINDS` order.
    pub fn sessions_per_kind(&self) -> [usize; KIND_COUNT] {
        let mut counts = [0; KIND_COUNT];
        for session in self.sessions.values() {
            counts[session.kind] += 1;
        }
        counts
    }

    /// Every connected session.
    pub fn agents(&self) -> Vec<v1::AgentInfo> {
        let mut agents: Vec<_> = self.sessions.values().map(Session::info).collect();
        agents.sort_by(|a, b| {
            a.agent_id
                .cmp(&b.agent_id)
                .then(a.session_id.cmp(&b.session_id))
        });
        agents
    }

    /// Agent id holding session `sid`.
    pub(super) fn agent_of(&self, sid: u64) -> String {
        self.sessions
            .get(&sid)
            .map(|s| s.hello.agent_id.clone())
            .unwrap_or_default()
    }
}

impl Scheduler {
    /// Ends every session's outbound stream (queen shutdown). Leases they
    /// still hold are redelivered when the queen starts again.
    pub fn close_sessions(&mut self) {
        self.sessions.clear();
        for kind in &mut self.kinds {
            kind.idle_sessions.clear();
        }
    }
}
