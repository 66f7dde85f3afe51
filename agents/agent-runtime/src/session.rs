//! One connection to the queen, from Hello to the end of the stream.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use swarm_proto::v1::agent_gateway_client::AgentGatewayClient;
use swarm_proto::v1::{
    AgentMessage, Credit, Draining, Heartbeat, Hello, LeaseRef, QueenMessage, ResultBatch, Task,
    agent_message, queen_message,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tonic::Streaming;

use crate::handler::Handler;
use crate::options::AgentOptions;
use crate::task_run::{CompletionLog, Finished, open_log, release, spawn_task, to_result};

/// How a session ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Drained: everything held was finished and reported.
    Drained,
    /// The stream broke or the queen closed it; reconnect.
    Lost(String),
}

struct InFlight {
    lease_token: u64,
    abort: tokio::task::AbortHandle,
}

/// Messages to the queen (the request stream of the session).
#[derive(Clone)]
struct Outbox(mpsc::UnboundedSender<AgentMessage>);

impl Outbox {
    fn send(&self, msg: agent_message::Msg) {
        let _ = self.0.send(AgentMessage { msg: Some(msg) });
    }
}

/// Runs one session. `drain` turning true starts a drain; `connected`
/// reports whether the session is established (readiness).
pub(crate) async fn run_session(
    options: &AgentOptions,
    handler: Arc<dyn Handler>,
    drain: &mut watch::Receiver<bool>,
    connected: &(dyn Fn(bool) + Send + Sync),
) -> End {
    let (out, mut inbound, heartbeat_every) = match handshake(options).await {
        Ok(established) => established,
        Err(end) => return end,
    };
    connected(true);
    metrics::counter!("swarm_agent_sessions_total").increment(1);
    if *drain.borrow() {
        out.send(agent_message::Msg::Draining(Draining {
            reason: "draining".into(),
        }));
        return End::Drained;
    }
    out.send(agent_message::Msg::Credit(Credit {
        credits: options.capacity,
    }));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Finished>();
    let mut session = Session {
        options,
        handler,
        out,
        kind: options.kind.name(),
        in_flight: HashMap::new(),
        done_tx,
        draining: false,
        log: open_log(options),
    };
    let end = session
        .serve(&mut inbound, &mut done_rx, drain, heartbeat_every)
        .await;
    connected(false);
    session.close(end, inbound).await
}

/// Connects, says hello and waits for the welcome; returns the outbox, the
/// queen's stream and the heartbeat interval the queen asked for.
async fn handshake(
    options: &AgentOptions,
) -> Result<(Outbox, Streaming<QueenMessage>, Duration), End> {
    let channel = match options.queen.connect().await {
        Ok(channel) => channel,
        Err(error) => return Err(End::Lost(format!("cannot connect: {error}"))),
    };
    let mut client = AgentGatewayClient::with_interceptor(channel, options.queen.interceptor())
        .max_decoding_message_size(64 * 1024 * 1024);
    let (tx, out_rx) = mpsc::unbounded_channel::<AgentMessage>();
    let out = Outbox(tx);
    out.send(agent_message::Msg::Hello(Hello {
        agent_id: options.agent_id.clone(),
        kind: options.kind as i32,
        version: options.version.clone(),
        capacity: options.capacity,
    }));
    let mut inbound = match client.connect(UnboundedReceiverStream::new(out_rx)).await {
        Ok(response) => response.into_inner(),
        Err(status) => return Err(End::Lost(format!("queen refused the stream: {status}"))),
    };
    match inbound.message().await {
        Ok(Some(QueenMessage {
            msg: Some(queen_message::Msg::Welcome(w)),
        })) => {
            tracing::info!(session = %w.session_id, queen = %options.queen.addr(), "connected to the queen");
            let every = Duration::from_millis(u64::from(w.heartbeat_interval_ms.max(100)));
            Ok((out, inbound, every))
        }
        Ok(Some(_)) => Err(End::Lost("queen did not welcome the agent".into())),
        Ok(None) => Err(End::Lost("queen closed the stream".into())),
        Err(status) => Err(End::Lost(format!("stream error: {status}"))),
    }
}

/// An established session: what it holds and how it answers the queen.
struct Session<'a> {
    options: &'a AgentOptions,
    handler: Arc<dyn Handler>,
    out: Outbox,
    kind: &'static str,
    in_flight: HashMap<u64, InFlight>,
    done_tx: mpsc::UnboundedSender<Finished>,
    /// Nothing new is taken; the session ends when `in_flight` is empty.
    draining: bool,
    log: Option<CompletionLog>,
}

impl Session<'_> {
    /// Answers the queen, reports finished tasks and heartbeats until the
    /// stream is lost or a drain completes.
    async fn serve(
        &mut self,
        inbound: &mut Streaming<QueenMessage>,
        done_rx: &mut mpsc::UnboundedReceiver<Finished>,
        drain: &mut watch::Receiver<bool>,
        heartbeat_every: Duration,
    ) -> End {
        let mut heartbeat = tokio::time::interval(heartbeat_every);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                message = inbound.message() => match message {
                    Ok(Some(m)) => self.on_message(m.msg),
                    Ok(None) => return End::Lost("queen closed the stream".into()),
                    Err(status) => return End::Lost(format!("stream error: {status}")),
                },
                Some(first) = done_rx.recv() => self.report(first, done_rx),
                _ = heartbeat.tick() => self.heartbeat(),
                changed = drain.changed(), if !self.draining => {
                    if changed.is_err() || *drain.borrow() {
                        tracing::info!(in_flight = self.in_flight.len(), "draining: finishing in-flight tasks");
                        self.start_drain("agent shutting down".into());
                    }
                }
            }
            if self.draining && self.in_flight.is_empty() {
                return End::Drained;
            }
        }
    }

    fn on_message(&mut self, msg: Option<queen_message::Msg>) {
        match msg {
            Some(queen_message::Msg::Assign(assign)) => self.assign(assign.tasks),
            Some(queen_message::Msg::Cancel(cancel)) => self.cancel(&cancel),
            Some(queen_message::Msg::Drain(d)) => {
                tracing::info!(reason = %d.reason, "queen asked to drain");
                self.start_drain(d.reason);
            }
            Some(queen_message::Msg::Rejected(r)) => {
                metrics::counter!("swarm_agent_results_rejected_total", "kind" => self.kind)
                    .increment(1);
                tracing::warn!(task = r.task_id, reason = %r.reason, "queen rejected a result");
            }
            Some(queen_message::Msg::Welcome(_)) | None => {}
        }
    }

    fn assign(&mut self, tasks: Vec<Task>) {
        for task in tasks {
            if self.draining {
                let result = release(&task, "agent is draining");
                self.out.send(agent_message::Msg::Results(ResultBatch {
                    results: vec![result],
                    credits: 0,
                }));
                continue;
            }
            let (id, lease_token) = (task.id, task.lease_token);
            let abort = spawn_task(
                task,
                self.handler.clone(),
                self.done_tx.clone(),
                self.kind,
                &self.options.fail_noop_labels,
            );
            self.in_flight.insert(id, InFlight { lease_token, abort });
        }
        self.gauge_in_flight();
    }

    fn cancel(&mut self, cancel: &swarm_proto::v1::Cancel) {
        if self
            .in_flight
            .get(&cancel.task_id)
            .is_none_or(|f| f.lease_token != cancel.lease_token)
        {
            return;
        }
        if let Some(f) = self.in_flight.remove(&cancel.task_id) {
            f.abort.abort();
        }
        tracing::info!(task = cancel.task_id, reason = %cancel.reason, "task cancelled by the queen");
        if !self.draining {
            self.out
                .send(agent_message::Msg::Credit(Credit { credits: 1 }));
        }
    }

    /// Sends `first` and every other finished run waiting, in one batch
    /// with their credits.
    fn report(&mut self, first: Finished, done_rx: &mut mpsc::UnboundedReceiver<Finished>) {
        let mut results = Vec::new();
        let mut next = Some(first);
        while let Some(f) = next {
            // only the run of the current lease counts (a cancelled run may
            // finish after the task was leased here again)
            if self
                .in_flight
                .get(&f.task_id)
                .is_some_and(|e| e.lease_token == f.lease_token)
            {
                self.in_flight.remove(&f.task_id);
                results.push(to_result(f, self.kind, self.log.as_mut()));
            }
            next = done_rx.try_recv().ok();
        }
        if let Some(log) = self.log.as_mut() {
            let _ = log.flush();
        }
        let credits = if self.draining {
            0
        } else {
            results.len() as u32
        };
        if !results.is_empty() {
            self.out.send(agent_message::Msg::Results(ResultBatch {
                results,
                credits,
            }));
        }
        self.gauge_in_flight();
    }

    fn heartbeat(&self) {
        let in_flight = self
            .in_flight
            .iter()
            .map(|(id, f)| LeaseRef {
                task_id: *id,
                lease_token: f.lease_token,
            })
            .collect();
        self.out
            .send(agent_message::Msg::Heartbeat(Heartbeat { in_flight }));
    }

    fn start_drain(&mut self, reason: String) {
        self.draining = true;
        self.out
            .send(agent_message::Msg::Draining(Draining { reason }));
    }

    fn gauge_in_flight(&self) {
        metrics::gauge!("swarm_agent_in_flight", "kind" => self.kind)
            .set(self.in_flight.len() as f64);
    }

    /// Ends the session: a lost one stops its work (the queen redelivers
    /// it), a drained one gives back assignments still on their way; then
    /// the request stream is closed cleanly.
    async fn close(mut self, end: End, mut inbound: Streaming<QueenMessage>) -> End {
        if matches!(end, End::Lost(_)) {
            for (_, f) in self.in_flight.drain() {
                f.abort.abort();
            }
        }
        if end == End::Drained {
            let out = &self.out;
            let _ = tokio::time::timeout(Duration::from_millis(200), async {
                while let Ok(Some(m)) = inbound.message().await {
                    if let Some(queen_message::Msg::Assign(assign)) = m.msg {
                        let results = assign
                            .tasks
                            .iter()
                            .map(|t| release(t, "agent is draining"))
                            .collect();
                        out.send(agent_message::Msg::Results(ResultBatch {
                            results,
                            credits: 0,
                        }));
                    }
                }
            })
            .await;
        }
        // ends the request stream: the queen sees a clean close
        drop(self);
        // give the transport a moment to flush the last results
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while let Ok(Some(_)) = inbound.message().await {}
        })
        .await;
        end
    }
}
