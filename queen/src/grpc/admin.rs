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
use crate::auth::{Authenticator, Rpc, principal_of};
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
    credentials: Arc<Authenticator>,
}

impl AdminService {
    /// Administers `queen`, the API keys in `keys` and the gRPC
    /// `credentials`.
    pub fn new(queen: Queen, keys: Arc<ApiKeys>, credentials: Arc<Authenticator>) -> Self {
        Self {
            queen,
            keys,
            credentials,
        }
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
        let caller = principal_of(&request, Rpc::SubmitTasks)?;
        let span = tracing::info_span!("submit_tasks", tasks = tracing::field::Empty);
        swarm_common::propagation::set_parent_from_metadata(&span, request.metadata());
        let mut specs = request.into_inner().tasks;
        if specs.len() > MAX_SUBMIT {
            return Err(Status::invalid_argument(format!(
                "at most {MAX_SUBMIT} tasks per request (got {})",
                specs.len()
            )));
        }
        if let Some(refused) = specs.iter().position(|spec| !caller.may_submit(spec)) {
            metrics::counter!("swarm_grpc_auth_denied_total").increment(1);
            return Err(Status::permission_denied(format!(
                "credential `{}` may not submit task {refused} ({}): its role does not submit that payload to that queue",
                caller.name,
                specs[refused]
                    .payload
                    .as_ref()
                    .map_or("empty", swarm_proto::v1::TaskPayload::variant_name)
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
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Administer)?;
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
        request: Request<ListAgentsRequest>,
    ) -> Result<Response<ListAgentsResponse>, Status> {
        principal_of(&request, Rpc::ReadQueue)?;
        let agents = self.queen.lock().agents();
        Ok(Response::new(ListAgentsResponse { agents }))
    }

    async fn drain_agent(
        &self,
        request: Request<DrainAgentRequest>,
    ) -> Result<Response<DrainAgentResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
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
        request: Request<GetStatsRequest>,
    ) -> Result<Response<Stats>, Status> {
        principal_of(&request, Rpc::ReadQueue)?;
        Ok(Response::new(self.queen.lock().stats()))
    }

    async fn pause_kind(
        &self,
        request: Request<KindRequest>,
    ) -> Result<Response<KindStatus>, Status> {
        principal_of(&request, Rpc::Administer)?;
        self.set_paused(request.into_inner().kind, true).await
    }

    async fn resume_kind(
        &self,
        request: Request<KindRequest>,
    ) -> Result<Response<KindStatus>, Status> {
        principal_of(&request, Rpc::Administer)?;
        self.set_paused(request.into_inner().kind, false).await
    }

    async fn upsert_schedule(
        &self,
        request: Request<Schedule>,
    ) -> Result<Response<Schedule>, Status> {
        principal_of(&request, Rpc::Administer)?;
        let schedule = request.into_inner();
        let saved = self
            .queen
            .with_durable(|s, now| s.upsert_schedule(schedule, now))
            .await??;
        Ok(Response::new(saved))
    }

    async fn list_schedules(
        &self,
        request: Request<ListSchedulesRequest>,
    ) -> Result<Response<ListSchedulesResponse>, Status> {
        principal_of(&request, Rpc::ReadQueue)?;
        let schedules = self.queen.lock().schedules();
        Ok(Response::new(ListSchedulesResponse { schedules }))
    }

    async fn delete_schedule(
        &self,
        request: Request<DeleteScheduleRequest>,
    ) -> Result<Response<DeleteScheduleResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Tune)?;
        super::tuning::set_interval(&self.queen, request).await
    }

    async fn recommend_replicas(
        &self,
        request: Request<RecommendReplicasRequest>,
    ) -> Result<Response<RecommendReplicasResponse>, Status> {
        principal_of(&request, Rpc::Tune)?;
        super::tuning::recommend_replicas(&self.queen, request).await
    }

    async fn create_api_key(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Administer)?;
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
        principal_of(&request, Rpc::Administer)?;
        let span = traced(tracing::info_span!("revoke_api_key"), &request);
        super::keys::revoke(&self.keys, request.into_inner().id)
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn create_credential(
        &self,
        request: Request<CreateCredentialRequest>,
    ) -> Result<Response<CreateCredentialResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
        let span = traced(tracing::info_span!("create_credential"), &request);
        super::credentials::create(&self.credentials, request.into_inner())
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn list_credentials(
        &self,
        request: Request<ListCredentialsRequest>,
    ) -> Result<Response<ListCredentialsResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
        Ok(Response::new(super::credentials::list(&self.credentials)))
    }

    async fn revoke_credential(
        &self,
        request: Request<RevokeCredentialRequest>,
    ) -> Result<Response<RevokeCredentialResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
        let span = traced(tracing::info_span!("revoke_credential"), &request);
        super::credentials::revoke(&self.credentials, &request.into_inner().id)
            .instrument(span)
            .await
            .map(Response::new)
    }

    async fn rotate_credential(
        &self,
        request: Request<RotateCredentialRequest>,
    ) -> Result<Response<CreateCredentialResponse>, Status> {
        principal_of(&request, Rpc::Administer)?;
        let span = traced(tracing::info_span!("rotate_credential"), &request);
        super::credentials::rotate(&self.credentials, request.into_inner())
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
