//! `QueenAdmin`: submit, inspect and steer the queue; tuning
//! ([`super::tuning`]) and the query API's keys ([`super::keys`]).

use std::sync::Arc;

use swarm_proto::v1::queen_admin_server::QueenAdmin;
use swarm_proto::v1::*;
use swarm_proto::{AgentKind, TaskState};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::Queen;
use crate::api_keys::ApiKeys;
use crate::scheduler::admin_helpers::kind_filter;

/// Default and largest page of a listing.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;
/// Most tasks in one submit request.
const MAX_SUBMIT: usize = 10_000;

/// The `QueenAdmin` service.
pub struct AdminService {
    queen: Queen,
    keys: Arc<ApiKeys>,
}

impl AdminService {
    /// Administers `queen`, and the API keys in `keys`.
    pub fn new(queen: Queen, keys: Arc<ApiKeys>) -> Self {
        Self { queen, keys }
    }
}

fn limit(raw: u32) -> usize {
    match raw {
        0 => DEFAULT_LIMIT,
        n => (n as usize).min(MAX_LIMIT),
    }
}

fn kind_index(raw: i32) -> Result<usize, Status> {
    AgentKind::try_from(raw)
        .ok()
        .and_then(AgentKind::index)
        .ok_or_else(|| Status::invalid_argument(format!("a task kind is required (got {raw})")))
}

#[tonic::async_trait]
impl QueenAdmin for AdminService {
    async fn submit_tasks(
        &self,
        request: Request<SubmitTasksRequest>,
    ) -> Result<Response<SubmitTasksResponse>, Status> {
        let span = tracing::info_span!("submit_tasks", tasks = tracing::field::Empty);
        swarm_common::propagation::set_parent_from_metadata(&span, request.metadata());
        let mut specs = request.into_inner().tasks;
        if specs.len() > MAX_SUBMIT {
            return Err(Status::invalid_argument(format!(
                "at most {MAX_SUBMIT} tasks per request (got {})",
                specs.len()
            )));
        }
        span.record("tasks", specs.len());
        async move {
            let trace = swarm_common::propagation::current_context_map();
            if !trace.is_empty() {
                for spec in specs.iter_mut().filter(|s| s.trace_context.is_empty()) {
                    spec.trace_context = trace.clone();
                }
            }
            let tasks = self.queen.submit(specs).await?;
            Ok(Response::new(SubmitTasksResponse { tasks }))
        }
        .instrument(span)
        .await
    }

    async fn list_tasks(
        &self,
        request: Request<ListTasksRequest>,
    ) -> Result<Response<ListTasksResponse>, Status> {
        let req = request.into_inner();
        let state = TaskState::try_from(req.state)
            .map_err(|_| Status::invalid_argument(format!("unknown state {}", req.state)))?;
        let kind = kind_filter(req.kind).map_err(Status::invalid_argument)?;
        let tasks = self.queen.lock().list(state, kind, limit(req.limit));
        Ok(Response::new(ListTasksResponse { tasks }))
    }

    async fn get_task(
        &self,
        request: Request<GetTaskRequest>,
    ) -> Result<Response<TaskInfo>, Status> {
        let id = request.into_inner().id;
        self.queen
            .lock()
            .task(id)
            .map(Response::new)
            .ok_or_else(|| {
                Status::not_found(format!(
                    "task {id} not found (unknown, or finished long ago)"
                ))
            })
    }

    async fn cancel_task(
        &self,
        request: Request<CancelTaskRequest>,
    ) -> Result<Response<CancelTaskResponse>, Status> {
        let id = request.into_inner().id;
        let previous = self
            .queen
            .with_durable(|s, now| s.cancel(id, now))
            .await??;
        Ok(Response::new(CancelTaskResponse {
            previous_state: previous as i32,
        }))
    }

    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Result<Response<ListTasksResponse>, Status> {
        let req = request.into_inner();
        let kind = kind_filter(req.kind).map_err(Status::invalid_argument)?;
        let tasks = self
            .queen
            .lock()
            .list(TaskState::Dead, kind, limit(req.limit));
        Ok(Response::new(ListTasksResponse { tasks }))
    }

    async fn replay_dead_letters(
        &self,
        request: Request<ReplayDeadLettersRequest>,
    ) -> Result<Response<ReplayDeadLettersResponse>, Status> {
        let req = request.into_inner();
        if req.ids.is_empty() && !req.all {
            return Err(Status::invalid_argument("name task ids or ask for all"));
        }
        let kind = kind_filter(req.kind).map_err(Status::invalid_argument)?;
        let replayed = self
            .queen
            .with_durable(|s, now| s.replay(&req.ids, req.all, kind, now))
            .await?;
        Ok(Response::new(ReplayDeadLettersResponse { replayed }))
    }

    async fn list_agents(
        &self,
        _request: Request<ListAgentsRequest>,
    ) -> Result<Response<ListAgentsResponse>, Status> {
        let agents = self.queen.lock().agents();
        Ok(Response::new(ListAgentsResponse { agents }))
    }

    async fn drain_agent(
        &self,
        request: Request<DrainAgentRequest>,
    ) -> Result<Response<DrainAgentResponse>, Status> {
        let agent_id = request.into_inner().agent_id;
        let sessions = self.queen.with(|s, _| s.drain_agent(&agent_id));
        if sessions == 0 {
            return Err(Status::not_found(format!(
                "no connected agent `{agent_id}`"
            )));
        }
        Ok(Response::new(DrainAgentResponse { sessions }))
    }

    async fn get_stats(
        &self,
        _request: Request<GetStatsRequest>,
    ) -> Result<Response<Stats>, Status> {
        Ok(Response::new(self.queen.lock().stats()))
    }

    async fn pause_kind(
        &self,
        request: Request<KindRequest>,
    ) -> Result<Response<KindStatus>, Status> {
        self.set_paused(request.into_inner().kind, true).await
    }

    async fn resume_kind(
        &self,
        request: Request<KindRequest>,
    ) -> Result<Response<KindStatus>, Status> {
        self.set_paused(request.into_inner().kind, false).await
    }

    async fn upsert_schedule(
        &self,
        request: Request<Schedule>,
    ) -> Result<Response<Schedule>, Status> {
        let schedule = request.into_inner();
        let saved = self
            .queen
            .with_durable(|s, now| s.upsert_schedule(schedule, now))
            .await??;
        Ok(Response::new(saved))
    }

    async fn list_schedules(
        &self,
        _request: Request<ListSchedulesRequest>,
    ) -> Result<Response<ListSchedulesResponse>, Status> {
        let schedules = self.queen.lock().schedules();
        Ok(Response::new(ListSchedulesResponse { schedules }))
    }

    async fn delete_schedule(
        &self,
        request: Request<DeleteScheduleRequest>,
    ) -> Result<Response<DeleteScheduleResponse>, Status> {
        let name = request.into_inner().name;
        let deleted = self
            .queen
            .with_durable(|s, _| s.delete_schedule(&name))
            .await?;
        if !deleted {
            return Err(Status::not_found(format!("no schedule `{name}`")));
        }
        Ok(Response::new(DeleteScheduleResponse { deleted }))
    }

    async fn set_schedule_interval(
        &self,
        request: Request<SetScheduleIntervalRequest>,
    ) -> Result<Response<SetScheduleIntervalResponse>, Status> {
        super::tuning::set_interval(&self.queen, request).await
    }

    async fn recommend_replicas(
        &self,
        request: Request<RecommendReplicasRequest>,
    ) -> Result<Response<RecommendReplicasResponse>, Status> {
        super::tuning::recommend_replicas(&self.queen, request).await
    }

    async fn create_api_key(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        let span = traced(tracing::info_span!("create_api_key"), &request);
        super::keys::create(&self.keys, request.into_inner())
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn list_api_keys(
        &self,
        request: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        let span = traced(tracing::info_span!("list_api_keys"), &request);
        super::keys::list(&self.keys)
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn revoke_api_key(
        &self,
        request: Request<RevokeApiKeyRequest>,
    ) -> Result<Response<RevokeApiKeyResponse>, Status> {
        let span = traced(tracing::info_span!("revoke_api_key"), &request);
        super::keys::revoke(&self.keys, request.into_inner().id)
            .instrument(span)
            .await
            .map(Response::new)
    }
}

/// `span`, continuing the caller's trace.
fn traced<T>(span: tracing::Span, request: &Request<T>) -> tracing::Span {
    swarm_common::propagation::set_parent_from_metadata(&span, request.metadata());
    span
}

impl AdminService {
    async fn set_paused(&self, raw: i32, paused: bool) -> Result<Response<KindStatus>, Status> {
        let kind = kind_index(raw)?;
        self.queen
            .with_durable(|s, now| s.set_paused(kind, paused, now))
            .await?;
        Ok(Response::new(KindStatus { kind: raw, paused }))
    }
}
