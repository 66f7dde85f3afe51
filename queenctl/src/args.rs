//! Command-line grammar of queenctl.

use clap::{Args, Parser, Subcommand};
use swarm_proto::v1::ApiKeyScope;
use swarm_proto::{AgentKind, Priority, TaskState};

/// Operate a TGE Swarm queen: agents, tasks, dead letters, stats, pause.
#[derive(Parser)]
#[command(name = "queenctl", version)]
pub struct Cli {
    /// Queen gRPC address.
    #[arg(
        long,
        global = true,
        env = "SWARM_QUEEN_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub queen: String,
    /// The credential and TLS presented to the queen. Without a token
    /// flag, `swarm-data/admin.token` is used when it exists (the
    /// one-process run writes it).
    #[command(flatten)]
    pub link: swarm_common::queen_link::QueenLinkArgs,
    /// Print JSON instead of tables (for scripts).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(flatten)]
    pub telemetry: swarm_common::telemetry::TelemetryArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// List connected agents.
    Agents,
    /// Ask an agent to drain (finish in-flight work, take nothing new, exit).
    Drain { agent_id: String },
    /// Inspect and change tasks.
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// Dead-letter list.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Queue statistics per kind.
    Stats,
    /// Stop leasing tasks of a kind.
    Pause {
        #[arg(value_parser = parse_kind)]
        kind: AgentKind,
    },
    /// Resume leasing tasks of a kind.
    Resume {
        #[arg(value_parser = parse_kind)]
        kind: AgentKind,
    },
    /// Periodic schedules.
    #[command(subcommand)]
    Schedules(SchedulesCommand),
    /// API keys of the query API (kept hashed by the queen, in PostgreSQL).
    Keys(KeysArgs),
    /// Credentials of the queen's gRPC port (admin, agent and reader
    /// tokens; the queen keeps only hashes).
    #[command(subcommand)]
    Auth(AuthCommand),
}

#[derive(Subcommand)]
pub enum AuthCommand {
    /// Make a token here, without a queen, and print it with the
    /// `[[auth.tokens]]` entry (its hash) for the queen's configuration:
    /// how the first admin credential is made.
    NewToken {
        /// admin, agent or reader
        #[arg(long, default_value = "admin", value_parser = ["admin", "agent", "reader"])]
        role: String,
        /// A name to recognize it by.
        #[arg(long, default_value = "ops")]
        name: String,
        /// Agent kinds (repeat) for an agent token.
        #[arg(long = "kind", value_parser = parse_kind)]
        kinds: Vec<AgentKind>,
    },
    /// Create a credential on the queen; its token is printed once.
    Create {
        /// admin, agent or reader
        #[arg(long, value_parser = ["admin", "agent", "reader"])]
        role: String,
        /// A name to recognize it by.
        #[arg(long)]
        name: String,
        /// Agent kinds (repeat) an agent credential may connect as.
        #[arg(long = "kind", value_parser = parse_kind)]
        kinds: Vec<AgentKind>,
        /// Stops working after this many seconds (default: never).
        #[arg(long)]
        expires_in_secs: Option<u64>,
    },
    /// List credentials (never the tokens).
    List,
    /// Revoke a credential by id, at once.
    Revoke { id: String },
    /// A new token for a credential's name and role; the old token keeps
    /// working for `--grace-secs` so replicas can be restarted with the new one.
    Rotate {
        id: String,
        #[arg(long, default_value_t = 600)]
        grace_secs: u64,
    },
}

#[derive(Args)]
pub struct KeysArgs {
    /// Gone: keys are administered through the queen (`--queen`).
    #[arg(long, hide = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; it is printed once and only its hash is kept.
    Create {
        /// read or admin (admin can also read)
        #[arg(long, value_parser = parse_scope)]
        scope: ApiKeyScope,
        /// A name to recognize it by.
        #[arg(long, default_value = "")]
        name: String,
        /// Requests per second (default: the API's `rate_per_sec`).
        #[arg(long)]
        rate: Option<f64>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by id.
    Revoke { id: i64 },
}

fn parse_scope(s: &str) -> Result<ApiKeyScope, String> {
    match s {
        "read" => Ok(ApiKeyScope::Read),
        "admin" => Ok(ApiKeyScope::Admin),
        _ => Err(format!("unknown scope `{s}`; expected read or admin")),
    }
}

#[derive(Subcommand)]
pub enum TasksCommand {
    /// List tasks (live ones by default).
    List {
        /// ready, scheduled, leased, dead, completed, cancelled (default: every live task)
        #[arg(long, value_parser = parse_state)]
        state: Option<TaskState>,
        #[arg(long, value_parser = parse_kind)]
        kind: Option<AgentKind>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one task.
    Get { id: u64 },
    /// Submit a task (acknowledged once durable).
    Submit(SubmitArgs),
    /// Cancel a task.
    Cancel { id: u64 },
}

#[derive(Args)]
pub struct SubmitArgs {
    /// Queue (default: the payload's specialist; required for noop).
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<AgentKind>,
    /// critical, high, normal, low
    #[arg(long, value_parser = parse_priority, default_value = "normal")]
    pub priority: Priority,
    /// Deduplicate against a live task with the same key.
    #[arg(long)]
    pub dedup_key: Option<String>,
    /// Attempts before the dead-letter list (default: the kind's policy).
    #[arg(long)]
    pub max_attempts: Option<u32>,
    /// Do not run for this many milliseconds.
    #[arg(long)]
    pub delay_ms: Option<u64>,
    /// Submit this many copies (noop load tests).
    #[arg(long, default_value_t = 1)]
    pub count: u32,
    #[command(subcommand)]
    pub payload: PayloadArgs,
}

#[derive(Subcommand, Clone)]
pub enum PayloadArgs {
    /// Diagnostic task: sleep, optionally fail.
    Noop {
        #[arg(long, default_value_t = 0)]
        sleep_ms: u32,
        #[arg(long, default_value_t = 0)]
        fail_attempts: u32,
        #[arg(long)]
        fail_permanently: bool,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Fetch a source.
    FetchSource {
        #[arg(long)]
        source_id: String,
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "rss")]
        source_kind: String,
    },
    /// Probe a source's health.
    ProbeSource {
        #[arg(long)]
        source_id: String,
        #[arg(long)]
        url: String,
    },
    /// Recompute poll intervals and scale recommendations.
    OptimizeSchedules {
        #[arg(long, default_value_t = 300)]
        window_secs: u32,
    },
}

#[derive(Subcommand)]
pub enum DlqCommand {
    /// List dead letters.
    List {
        #[arg(long, value_parser = parse_kind)]
        kind: Option<AgentKind>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Put dead letters back in their queues.
    Replay {
        /// Task ids (or --all).
        ids: Vec<u64>,
        #[arg(long)]
        all: bool,
        #[arg(long, value_parser = parse_kind)]
        kind: Option<AgentKind>,
    },
}

#[derive(Subcommand)]
pub enum SchedulesCommand {
    /// List schedules.
    List,
    /// Create or replace a schedule that submits a task every interval.
    Set {
        name: String,
        #[arg(long)]
        every_ms: u64,
        #[command(flatten)]
        task: ScheduleTask,
    },
    /// Remove a schedule.
    Remove { name: String },
}

#[derive(Args)]
pub struct ScheduleTask {
    #[arg(long, value_parser = parse_kind)]
    pub kind: Option<AgentKind>,
    #[arg(long, value_parser = parse_priority, default_value = "normal")]
    pub priority: Priority,
    #[command(subcommand)]
    pub payload: PayloadArgs,
}

fn parse_kind(s: &str) -> Result<AgentKind, String> {
    AgentKind::parse(s).ok_or_else(|| {
        format!("unknown kind `{s}`; expected scraping-specialist, keyword-precision, api-reliability, performance-optimizer or data-quality")
    })
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s)
        .ok_or_else(|| format!("unknown priority `{s}`; expected critical, high, normal or low"))
}

fn parse_state(s: &str) -> Result<TaskState, String> {
    TaskState::parse(s).ok_or_else(|| {
        format!(
            "unknown state `{s}`; expected ready, scheduled, leased, dead, completed or cancelled"
        )
    })
}
