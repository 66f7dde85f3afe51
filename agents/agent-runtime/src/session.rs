//! One connection to the queen, from Hello to the end of the stream.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use swarm_common::propagation;
use swarm_proto::v1::agent_gateway_client::AgentGatewayClient;
use swarm_proto::v1::{
    AgentMessage, Credit, Draining, Failure, Heartbeat, Hello, LeaseRef, ResultBatch, Success,
    Task, TaskResult, agent_message, queen_message, task_payload, task_result,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tracing::Instrument;

use crate::handler::{Handler, Outcome, TaskContext};
use crate::noop::run_noop;
use crate::options::AgentOptions;

/// How a session ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Drained: everything held was finished and reported.
    Drained,
    /// The stream broke or the queen closed it; reconnect.
    Lost(String),
}

/// A finished handler run, on its way to the queen.
struct Finished {
    task_id: u64,
    lease_token: u64,
    outcome: Outcome,
    elapsed: Duration,
}

struct InFlight {
    lease_token: u64,
    abort: tokio::task::AbortHandle,
}

/// Runs one session. `drain` turning true starts a drain; `connected`
/// reports whether the session is established (readiness).
pub(crate) async fn run_session(
    options: &AgentOptions,
    handler: Arc<dyn Handler>,
    drain: &mut watch::Receiver<bool>,
    connected: &(dyn Fn(bool) + Send + Sync),
) -> End {
    let channel = match swarm_common::grpc::endpoint(&options.queen_addr) {
        Ok(endpoint) => match endpoint.connect().await {
            Ok(channel) => channel,
            Err(error) => return End::Lost(format!("cannot connect: {error}")),
        },
        Err(error) => return End::Lost(format!("bad queen address: {error}")),
    };
    let mut client = AgentGatewayClient::new(channel).max_decoding_message_size(64 * 1024 * 1024);
    let (out, out_rx) = mpsc::unbounded_channel::<AgentMessage>();
    let send = |msg: agent_message::Msg| {
        let _ = out.send(AgentMessage { msg: Some(msg) });
    };
    send(agent_message::Msg::Hello(Hello {
        agent_id: options.agent_id.clone(),
        kind: options.kind as i32,
        version: options.version.clone(),
        capacity: options.capacity,
    }));
    let mut inbound = match client.connect(UnboundedReceiverStream::new(out_rx)).await {
        Ok(response) => response.into_inner(),
        Err(status) => return End::Lost(format!("queen refused the stream: {status}")),
    };
    let heartbeat_every = match inbound.message().await {
        Ok(Some(m)) => match m.msg {
            Some(queen_message::Msg::Welcome(w)) => {
                tracing::info!(session = %w.session_id, queen = %options.queen_addr, "connected to the queen");
                Duration::from_millis(u64::from(w.heartbeat_interval_ms.max(100)))
            }
            _ => return End::Lost("queen did not welcome the agent".into()),
        },
        Ok(None) => return End::Lost("queen closed the stream".into()),
        Err(status) => return End::Lost(format!("stream error: {status}")),
    };
    connected(true);
    metrics::counter!("swarm_agent_sessions_total").increment(1);

    let mut draining = *drain.borrow();
    if draining {
        send(agent_message::Msg::Draining(Draining {
            reason: "draining".into(),
        }));
        return End::Drained;
    }
    send(agent_message::Msg::Credit(Credit {
        credits: options.capacity,
    }));

    let kind = options.kind.name();
    let mut in_flight: HashMap<u64, InFlight> = HashMap::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Finished>();
    let mut heartbeat = tokio::time::interval(heartbeat_every);
    heartbeat.tick().await;
    let mut log = open_log(options);

    let end = loop {
        tokio::select! {
            message = inbound.message() => {
                let msg = match message {
                    Ok(Some(m)) => m.msg,
                    Ok(None) => break End::Lost("queen closed the stream".into()),
                    Err(status) => break End::Lost(format!("stream error: {status}")),
                };
                match msg {
                    Some(queen_message::Msg::Assign(assign)) => {
                        for task in assign.tasks {
                            if draining {
                                let result = release(&task, "agent is draining");
                                send(agent_message::Msg::Results(ResultBatch { results: vec![result], credits: 0 }));
                                continue;
                            }
                            let (id, token) = (task.id, task.lease_token);
                            let abort = spawn_task(task, handler.clone(), done_tx.clone(), kind, &options.fail_noop_labels);
                            in_flight.insert(id, InFlight { lease_token: token, abort });
                        }
                        metrics::gauge!("swarm_agent_in_flight", "kind" => kind).set(in_flight.len() as f64);
                    }
                    Some(queen_message::Msg::Cancel(cancel)) => {
                        if in_flight.get(&cancel.task_id).is_some_and(|f| f.lease_token == cancel.lease_token) {
                            if let Some(f) = in_flight.remove(&cancel.task_id) {
                                f.abort.abort();
                            }
                            tracing::info!(task = cancel.task_id, reason = %cancel.reason, "task cancelled by the queen");
                            if !draining {
                                send(agent_message::Msg::Credit(Credit { credits: 1 }));
                            }
                        }
                    }
                    Some(queen_message::Msg::Drain(d)) => {
                        tracing::info!(reason = %d.reason, "queen asked to drain");
                        draining = true;
                        send(agent_message::Msg::Draining(Draining { reason: d.reason }));
                    }
                    Some(queen_message::Msg::Rejected(r)) => {
                        metrics::counter!("swarm_agent_results_rejected_total", "kind" => kind).increment(1);
                        tracing::warn!(task = r.task_id, reason = %r.reason, "queen rejected a result");
                    }
                    Some(queen_message::Msg::Welcome(_)) | None => {}
                }
            }
            Some(first) = done_rx.recv() => {
                let mut results = Vec::new();
                let mut next = Some(first);
                while let Some(f) = next {
                    // only the run of the current lease counts (a cancelled
                    // run may finish after the task was leased here again)
                    if in_flight.get(&f.task_id).is_some_and(|e| e.lease_token == f.lease_token) {
                        in_flight.remove(&f.task_id);
                        results.push(to_result(f, kind, log.as_mut()));
                    }
                    next = done_rx.try_recv().ok();
                }
                if let Some(log) = log.as_mut() {
                    let _ = log.flush();
                }
                let credits = if draining { 0 } else { results.len() as u32 };
                if !results.is_empty() {
                    send(agent_message::Msg::Results(ResultBatch { results, credits }));
                }
                metrics::gauge!("swarm_agent_in_flight", "kind" => kind).set(in_flight.len() as f64);
            }
            _ = heartbeat.tick() => {
                let leases = in_flight.iter().map(|(id, f)| LeaseRef { task_id: *id, lease_token: f.lease_token }).collect();
                send(agent_message::Msg::Heartbeat(Heartbeat { in_flight: leases }));
            }
            changed = drain.changed(), if !draining => {
                if changed.is_err() || *drain.borrow() {
                    draining = true;
                    tracing::info!(in_flight = in_flight.len(), "draining: finishing in-flight tasks");
                    send(agent_message::Msg::Draining(Draining { reason: "agent shutting down".into() }));
                }
            }
        }
        if draining && in_flight.is_empty() {
            break End::Drained;
        }
    };
    connected(false);
    if matches!(end, End::Lost(_)) {
        // The queen redelivers whatever this session held; stop working on it.
        for (_, f) in in_flight.drain() {
            f.abort.abort();
        }
    }
    if end == End::Drained {
        // assignments already on their way are given back, not dropped
        let _ = tokio::time::timeout(Duration::from_millis(200), async {
            while let Ok(Some(m)) = inbound.message().await {
                if let Some(queen_message::Msg::Assign(assign)) = m.msg {
                    let results = assign
                        .tasks
                        .iter()
                        .map(|t| release(t, "agent is draining"))
                        .collect();
                    send(agent_message::Msg::Results(ResultBatch {
                        results,
                        credits: 0,
                    }));
                }
            }
        })
        .await;
    }
    drop(out); // ends the request stream: the queen sees a clean close
    // give the transport a moment to flush the last results
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Ok(Some(_)) = inbound.message().await {}
    })
    .await;
    end
}

/// Aborts the inner handler task when the outer one is aborted (cancel).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn release(task: &Task, reason: &str) -> TaskResult {
    TaskResult {
        task_id: task.id,
        lease_token: task.lease_token,
        outcome: Some(task_result::Outcome::Release(swarm_proto::v1::Release {
            reason: reason.into(),
        })),
        duration_ms: 0,
    }
}

fn spawn_task(
    task: Task,
    handler: Arc<dyn Handler>,
    done: mpsc::UnboundedSender<Finished>,
    kind: &'static str,
    fail_labels: &[String],
) -> tokio::task::AbortHandle {
    let span = tracing::info_span!("handle_task", task = task.id, attempt = task.attempt, kind);
    if let Some(spec) = &task.spec {
        propagation::set_parent_from_map(&span, &spec.trace_context);
    }
    let (task_id, lease_token) = (task.id, task.lease_token);
    let fail_labels = fail_labels.to_vec();
    tokio::spawn(
        async move {
            let started = Instant::now();
            let noop = task
                .spec
                .as_ref()
                .and_then(|s| s.payload.as_ref())
                .and_then(|p| match &p.kind {
                    Some(task_payload::Kind::Noop(n)) => Some(n.clone()),
                    _ => None,
                });
            let injected = noop
                .as_ref()
                .is_some_and(|n| !n.label.is_empty() && fail_labels.contains(&n.label));
            let attempt = task.attempt;
            // the handler runs in the task's span: its calls (e.g. admin
            // RPCs to the queen) continue the task's trace
            let in_span = tracing::Span::current();
            let run = tokio::spawn(
                async move {
                    match noop {
                        Some(noop) if injected => Err(crate::HandlerError::retryable(format!(
                            "fault injected for noop label `{}`",
                            noop.label
                        ))),
                        Some(noop) => run_noop(&noop, attempt).await,
                        None => handler.handle(TaskContext { task }).await,
                    }
                }
                .instrument(in_span),
            );
            let abort_inner = run.abort_handle();
            let _guard = AbortOnDrop(abort_inner);
            // a panicking handler fails its task instead of holding it forever
            let outcome = match run.await {
                Ok(outcome) => outcome,
                Err(error) if error.is_panic() => {
                    metrics::counter!("swarm_agent_handler_panics_total", "kind" => kind)
                        .increment(1);
                    Err(crate::HandlerError::retryable("the handler panicked"))
                }
                Err(_) => return,
            };
            let _ = done.send(Finished {
                task_id,
                lease_token,
                outcome,
                elapsed: started.elapsed(),
            });
        }
        .instrument(span),
    )
    .abort_handle()
}

fn to_result(f: Finished, kind: &'static str, log: Option<&mut CompletionLog>) -> TaskResult {
    metrics::histogram!("swarm_agent_task_duration_seconds", "kind" => kind)
        .record(f.elapsed.as_secs_f64());
    let outcome = match f.outcome {
        Ok(done) => {
            metrics::counter!("swarm_agent_tasks_total", "kind" => kind, "outcome" => "success")
                .increment(1);
            if let Some(log) = log {
                // "<task id> <completion time in unix microseconds>"
                let _ = writeln!(log, "{} {}", f.task_id, unix_micros());
            }
            task_result::Outcome::Success(Success {
                follow_ups: done.follow_ups,
                summary: done.summary,
            })
        }
        Err(error) => {
            metrics::counter!("swarm_agent_tasks_total", "kind" => kind, "outcome" => "failure")
                .increment(1);
            tracing::info!(task = f.task_id, retryable = error.retryable, error = %error.message, "task failed");
            task_result::Outcome::Failure(Failure {
                error: error.message,
                retryable: error.retryable,
            })
        }
    };
    TaskResult {
        task_id: f.task_id,
        lease_token: f.lease_token,
        outcome: Some(outcome),
        duration_ms: f.elapsed.as_millis().min(u128::from(u32::MAX)) as u32,
    }
}

/// Buffered completion log, flushed after each batch of results.
type CompletionLog = std::io::BufWriter<std::fs::File>;

fn unix_micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

fn open_log(options: &AgentOptions) -> Option<CompletionLog> {
    let path = options.completion_log.as_ref()?;
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        Ok(file) => Some(std::io::BufWriter::new(file)),
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "cannot open the completion log");
            None
        }
    }
}
