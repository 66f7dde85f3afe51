//! `queenctl`: the queen's admin CLI. Every command goes to the queen's
//! admin gRPC API (`--queen`). Tables by default, `--json` for scripts;
//! errors go to stderr with a non-zero exit code.

mod args;
mod auth;
mod keys;
mod render;
mod table;

use std::process::ExitCode;

use anyhow::Context;
use args::{Cli, Command, DlqCommand, PayloadArgs, SchedulesCommand, TasksCommand};
use clap::Parser;
use swarm_common::telemetry;
use swarm_proto::v1::*;
use swarm_proto::{AgentKind, Priority, TaskState};
use tracing::Instrument;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let telemetry = match telemetry::init_with_filter("queenctl", &cli.telemetry, "warn") {
        Ok(t) => Some(t),
        Err(error) => {
            eprintln!("warning: tracing disabled: {error}");
            None
        }
    };
    // the root span of the trace that submit/cancel/replay continue in the queen
    let span = tracing::info_span!("queenctl");
    let result = execute(&cli).instrument(span).await;
    if let Some(t) = telemetry {
        t.shutdown().await;
    }
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where the one-process run writes its admin token (used when no token
/// flag is given).
const EMBEDDED_ADMIN_TOKEN: &str = "swarm-data/admin.token";

/// Turns a gRPC status into a readable error.
pub(crate) fn status(context: &str) -> impl FnOnce(tonic::Status) -> anyhow::Error + '_ {
    move |s| anyhow::anyhow!("{context}: {} ({:?})", s.message(), s.code())
}

async fn execute(cli: &Cli) -> anyhow::Result<String> {
    if let Command::Keys(args::KeysArgs {
        database_url: Some(_),
        ..
    }) = &cli.command
    {
        return Err(keys::database_url_gone());
    }
    if let Command::Auth(args::AuthCommand::NewToken { role, name, kinds }) = &cli.command {
        return auth::new_token(role, name, kinds, cli.json);
    }
    let mut link_args = cli.link.clone();
    if link_args.queen_token.is_none() && link_args.queen_token_file.is_none() {
        let written = std::path::Path::new(EMBEDDED_ADMIN_TOKEN);
        if written.exists() {
            link_args.queen_token_file = Some(written.to_path_buf());
        }
    }
    let link = link_args.link(&cli.queen)?;
    let mut client = queen_client::admin(&link)
        .await
        .with_context(|| format!("cannot reach the queen at {}", cli.queen))?;
    let json = cli.json;
    Ok(match &cli.command {
        Command::Keys(keys) => keys::execute(&mut client, keys, json).await?,
        Command::Auth(command) => auth::execute(&mut client, command, json).await?,
        Command::Agents => {
            let agents = client
                .list_agents(ListAgentsRequest {})
                .await
                .map_err(status("listing agents"))?
                .into_inner()
                .agents;
            render::agents(&agents, json)
        }
        Command::Drain { agent_id } => {
            let r = client
                .drain_agent(DrainAgentRequest {
                    agent_id: agent_id.clone(),
                })
                .await
                .map_err(status("draining"))?
                .into_inner();
            render::message(
                json,
                &format!("asked {} session(s) of {agent_id} to drain", r.sessions),
            )
        }
        Command::Tasks(TasksCommand::List { state, kind, limit }) => {
            let tasks = client
                .list_tasks(ListTasksRequest {
                    state: state.unwrap_or(TaskState::Unspecified) as i32,
                    kind: kind.unwrap_or(AgentKind::Unspecified) as i32,
                    limit: *limit,
                })
                .await
                .map_err(status("listing tasks"))?
                .into_inner()
                .tasks;
            render::tasks(&tasks, json)
        }
        Command::Tasks(TasksCommand::Get { id }) => {
            let task = client
                .get_task(GetTaskRequest { id: *id })
                .await
                .map_err(status("getting the task"))?
                .into_inner();
            render::tasks(std::slice::from_ref(&task), json)
        }
        Command::Tasks(TasksCommand::Cancel { id }) => {
            let r = client
                .cancel_task(CancelTaskRequest { id: *id })
                .await
                .map_err(status("cancelling"))?
                .into_inner();
            let previous = TaskState::try_from(r.previous_state).unwrap_or_default();
            render::message(
                json,
                &format!("cancelled task {id} (was {})", previous.name()),
            )
        }
        Command::Tasks(TasksCommand::Submit(a)) => {
            let spec = spec(
                a.kind,
                a.priority,
                &a.payload,
                a.dedup_key.clone(),
                a.max_attempts,
                a.delay_ms,
            );
            let mut submitted = Vec::new();
            let mut left = a.count.max(1) as usize;
            while left > 0 {
                let n = left.min(5_000);
                let r = client
                    .submit_tasks(SubmitTasksRequest {
                        tasks: vec![spec.clone(); n],
                    })
                    .await
                    .map_err(status("submitting"))?
                    .into_inner();
                submitted.extend(r.tasks);
                left -= n;
            }
            render::submitted(&submitted, json)
        }
        Command::Dlq(DlqCommand::List { kind, limit }) => {
            let tasks = client
                .list_dead_letters(ListDeadLettersRequest {
                    kind: kind.unwrap_or(AgentKind::Unspecified) as i32,
                    limit: *limit,
                })
                .await
                .map_err(status("listing dead letters"))?
                .into_inner()
                .tasks;
            render::tasks(&tasks, json)
        }
        Command::Dlq(DlqCommand::Replay { ids, all, kind }) => {
            if ids.is_empty() && !all {
                anyhow::bail!("name the task ids to replay, or pass --all");
            }
            let r = client
                .replay_dead_letters(ReplayDeadLettersRequest {
                    ids: ids.clone(),
                    all: *all,
                    kind: kind.unwrap_or(AgentKind::Unspecified) as i32,
                })
                .await
                .map_err(status("replaying"))?
                .into_inner();
            render::replayed(&r.replayed, json)
        }
        Command::Stats => {
            let stats = client
                .get_stats(GetStatsRequest {})
                .await
                .map_err(status("reading stats"))?
                .into_inner();
            render::stats(&stats, json)
        }
        Command::Pause { kind } | Command::Resume { kind } => {
            let pause = matches!(cli.command, Command::Pause { .. });
            let req = KindRequest { kind: *kind as i32 };
            let r = if pause {
                client.pause_kind(req).await
            } else {
                client.resume_kind(req).await
            }
            .map_err(status("changing the pause state"))?
            .into_inner();
            render::message(
                json,
                &format!(
                    "{} is {}",
                    kind.name(),
                    if r.paused { "paused" } else { "running" }
                ),
            )
        }
        Command::Schedules(SchedulesCommand::List) => {
            let schedules = client
                .list_schedules(ListSchedulesRequest {})
                .await
                .map_err(status("listing schedules"))?
                .into_inner()
                .schedules;
            render::schedules(&schedules, json)
        }
        Command::Schedules(SchedulesCommand::Set {
            name,
            every_ms,
            task,
        }) => {
            let s = client
                .upsert_schedule(Schedule {
                    name: name.clone(),
                    task: Some(spec(
                        task.kind,
                        task.priority,
                        &task.payload,
                        None,
                        None,
                        None,
                    )),
                    interval_ms: *every_ms,
                    paused: false,
                    next_run_unix_ms: 0,
                })
                .await
                .map_err(status("saving the schedule"))?
                .into_inner();
            render::schedules(std::slice::from_ref(&s), json)
        }
        Command::Schedules(SchedulesCommand::Remove { name }) => {
            client
                .delete_schedule(DeleteScheduleRequest { name: name.clone() })
                .await
                .map_err(status("removing the schedule"))?;
            render::message(json, &format!("removed schedule {name}"))
        }
    })
}

fn spec(
    kind: Option<AgentKind>,
    priority: Priority,
    payload: &PayloadArgs,
    dedup_key: Option<String>,
    max_attempts: Option<u32>,
    delay_ms: Option<u64>,
) -> TaskSpec {
    let kind_payload = match payload.clone() {
        PayloadArgs::Noop {
            sleep_ms,
            fail_attempts,
            fail_permanently,
            label,
        } => task_payload::Kind::Noop(Noop {
            sleep_ms,
            fail_attempts,
            fail_permanently,
            label,
        }),
        PayloadArgs::FetchSource {
            source_id,
            url,
            source_kind,
        } => task_payload::Kind::FetchSource(FetchSource {
            source_id,
            url,
            source_kind,
            ..FetchSource::default()
        }),
        PayloadArgs::ProbeSource { source_id, url } => {
            task_payload::Kind::ProbeSource(ProbeSource { source_id, url })
        }
        PayloadArgs::OptimizeSchedules { window_secs } => {
            task_payload::Kind::OptimizeSchedules(OptimizeSchedules { window_secs })
        }
    };
    TaskSpec {
        kind: kind.unwrap_or(AgentKind::Unspecified) as i32,
        payload: Some(TaskPayload {
            kind: Some(kind_payload),
        }),
        priority: priority as i32,
        dedup_key: dedup_key.unwrap_or_default(),
        max_attempts: max_attempts.unwrap_or(0),
        not_before_unix_ms: delay_ms.map_or(0, |d| swarm_common::time::now_ms() + d as i64),
        trace_context: Default::default(),
    }
}
