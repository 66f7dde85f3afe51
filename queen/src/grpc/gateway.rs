//! `AgentGateway.Connect`: one bidirectional stream per agent. The first
//! message must be `Hello`; then credits, heartbeats and results flow in,
//! assignments, cancels and drains flow out. When the stream ends for any
//! reason the session's leases are redelivered at once. The caller's
//! credential must be for the kind its Hello names.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use swarm_proto::AgentKind;
use swarm_proto::v1::agent_gateway_server::AgentGateway;
use swarm_proto::v1::{AgentMessage, QueenMessage, agent_message};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::Queen;
use crate::auth::{Authenticator, Principal};
use crate::scheduler::Hello;

/// How long a new stream may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest capacity an agent may announce.
const MAX_CAPACITY: u32 = 10_000;

/// The `AgentGateway` service.
pub struct GatewayService {
    queen: Queen,
    credentials: Arc<Authenticator>,
}

impl GatewayService {
    /// Serves agents of `queen` whose `credentials` stay live (a stream
    /// whose credential is revoked or expires is closed).
    pub fn new(queen: Queen, credentials: Arc<Authenticator>) -> Self {
        Self { queen, credentials }
    }
}

type OutStream = Pin<Box<dyn Stream<Item = Result<QueenMessage, Status>> + Send>>;

fn parse_hello(msg: Option<AgentMessage>, peer: String) -> Result<Hello, Status> {
    let Some(AgentMessage {
        msg: Some(agent_message::Msg::Hello(hello)),
    }) = msg
    else {
        return Err(Status::invalid_argument(
            "the first message on a stream must be Hello",
        ));
    };
    let kind = AgentKind::try_from(hello.kind)
        .ok()
        .filter(|k| k.index().is_some())
        .ok_or_else(|| {
            Status::invalid_argument(format!(
                "hello names an unknown agent kind ({})",
                hello.kind
            ))
        })?;
    if hello.agent_id.is_empty()
        || hello.agent_id.len() > 200
        || hello.agent_id.chars().any(char::is_control)
    {
        return Err(Status::invalid_argument(
            "agent_id must be 1..=200 bytes without control characters",
        ));
    }
    if hello.version.len() > 100 || hello.version.chars().any(char::is_control) {
        return Err(Status::invalid_argument(
            "version must be at most 100 bytes without control characters",
        ));
    }
    if hello.capacity == 0 || hello.capacity > MAX_CAPACITY {
        return Err(Status::invalid_argument(format!(
            "capacity must be 1..={MAX_CAPACITY}"
        )));
    }
    Ok(Hello {
        agent_id: hello.agent_id,
        kind,
        version: hello.version,
        capacity: hello.capacity,
        peer,
    })
}

#[tonic::async_trait]
impl AgentGateway for GatewayService {
    type ConnectStream = OutStream;

    async fn connect(
        &self,
        request: Request<Streaming<AgentMessage>>,
    ) -> Result<Response<Self::ConnectStream>, Status> {
        let peer = request
            .remote_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let caller = request
            .extensions()
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("a credential is required"))?;
        let mut inbound = request.into_inner();
        let first = tokio::time::timeout(HELLO_TIMEOUT, inbound.message())
            .await
            .map_err(|_| Status::deadline_exceeded("no Hello within 10 s"))??;
        let hello = parse_hello(first, peer)?;
        if !caller.may_connect_as(hello.kind) {
            metrics::counter!("swarm_grpc_auth_denied_total").increment(1);
            tracing::warn!(credential = %caller.name, kind = hello.kind.name(), agent = %hello.agent_id, "agent refused: its credential is not for that kind");
            return Err(Status::permission_denied(format!(
                "credential `{}` may not connect as {}",
                caller.name,
                hello.kind.name()
            )));
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let sid = self
            .queen
            .with(|s, now| s.register(hello, tx, now))
            .map_err(Status::invalid_argument)?;
        let reader = tokio::spawn(read_loop(self.queen.clone(), sid, inbound));
        tokio::spawn(watch_credential(
            self.queen.clone(),
            self.credentials.clone(),
            caller,
            sid,
            reader,
        ));
        Ok(Response::new(Box::pin(UnboundedReceiverStream::new(rx))))
    }
}

/// Closes session `sid` when its credential is revoked or expires (the
/// agent's reconnect is then refused); ends with the session's reader.
async fn watch_credential(
    queen: Queen,
    credentials: Arc<Authenticator>,
    caller: Principal,
    sid: u64,
    reader: tokio::task::JoinHandle<()>,
) {
    let mut every = tokio::time::interval(crate::auth::gatekeeper::RELOAD_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if reader.is_finished() {
            return;
        }
        if !credentials.is_live(&caller.id) {
            tracing::warn!(session = sid, credential = %caller.name, "credential revoked or expired; closing the agent's stream");
            queen.with(|s, now| s.disconnect(sid, now));
            return;
        }
    }
}

async fn read_loop(queen: Queen, sid: u64, mut inbound: Streaming<AgentMessage>) {
    loop {
        match inbound.message().await {
            Ok(Some(message)) => {
                if let Err(reason) = handle(&queen, sid, message) {
                    tracing::warn!(session = sid, reason, "protocol error; closing the stream");
                    break;
                }
            }
            Ok(None) => break,
            Err(status) => {
                tracing::debug!(session = sid, %status, "agent stream error");
                break;
            }
        }
    }
    queen.with(|s, now| s.disconnect(sid, now));
}

fn handle(queen: &Queen, sid: u64, message: AgentMessage) -> Result<(), &'static str> {
    use agent_message::Msg;
    match message.msg {
        Some(Msg::Credit(credit)) => queen.with(|s, now| s.grant(sid, credit.credits, now)),
        Some(Msg::Heartbeat(hb)) => queen.with(|s, now| s.heartbeat(sid, &hb.in_flight, now)),
        Some(Msg::Results(batch)) => {
            queen.with(|s, now| s.results(sid, batch.results, batch.credits, now));
        }
        Some(Msg::Draining(_)) => queen.with(|s, _| s.mark_draining(sid)),
        Some(Msg::Hello(_)) => return Err("second Hello on one stream"),
        None => return Err("empty message"),
    }
    Ok(())
}
