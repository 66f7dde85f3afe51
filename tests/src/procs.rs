//! Starting, signalling and killing the swarm's binaries.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use queen::client::AdminClient;
use swarm_proto::v1::GetStatsRequest;
use tokio::process::{Child, Command};

use crate::wait::wait_until;

/// Path of a workspace binary.
pub fn bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("SWARM_BIN_DIR").map_or_else(
        || {
            let exe = std::env::current_exe().expect("current exe");
            // target/<profile>/deps/<test> -> target/<profile>
            exe.parent()
                .and_then(Path::parent)
                .expect("target dir")
                .to_path_buf()
        },
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not built; run `cargo build --workspace --bins` (infra/dev/test.sh does)",
        path.display()
    );
    path
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[allow(unsafe_code)]
fn signal(child: &Child, sig: i32) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) with a pid we own; no memory is touched.
        unsafe {
            libc::kill(pid as i32, sig);
        }
    }
}

/// A queen process.
pub struct QueenProc {
    /// The running queen process.
    pub child: Child,
    /// Loopback port of the gRPC server agents and the admin API use.
    pub grpc_port: u16,
    /// Loopback port of the Prometheus metrics endpoint.
    pub metrics_port: u16,
    /// Database the queen was started on (`QUEEN__DATABASE_URL`).
    pub db_url: String,
    /// File the queen's stderr goes to.
    pub log: PathBuf,
    /// The admin token the test presents (a queen enforcing credentials).
    pub token: Option<String>,
}

impl QueenProc {
    /// Starts a queen that enforces credentials, with `token` as the test's
    /// admin token (the config in `env`, e.g. `QUEEN_CONFIG`, declares it).
    pub async fn start_with_token(
        db_url: &str,
        env: &[(&str, &str)],
        token: &str,
    ) -> anyhow::Result<Self> {
        Self::launch(
            db_url,
            free_port(),
            free_port(),
            env,
            Some(token.to_string()),
        )
        .await
    }

    /// Starts a queen on `db_url` with fresh ports; `env` adds QUEEN__*
    /// settings. Returns once its admin API answers.
    pub async fn start(db_url: &str, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_on(db_url, free_port(), free_port(), env).await
    }

    /// Starts a queen on given ports (a restart keeps the agents' address).
    pub async fn start_on(
        db_url: &str,
        grpc_port: u16,
        metrics_port: u16,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        Self::launch(db_url, grpc_port, metrics_port, env, None).await
    }

    async fn launch(
        db_url: &str,
        grpc_port: u16,
        metrics_port: u16,
        env: &[(&str, &str)],
        token: Option<String>,
    ) -> anyhow::Result<Self> {
        let log =
            std::env::temp_dir().join(format!("queen-{grpc_port}-{}.log", rand::random::<u32>()));
        let file = std::fs::File::create(&log)?;
        let mut cmd = Command::new(bin("queen"));
        cmd.env("QUEEN__GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
            .env("QUEEN__METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("QUEEN__DATABASE_URL", db_url)
            .env("QUEEN__STORE", "postgres")
            .env("QUEEN__HEARTBEAT_INTERVAL_MS", "500")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn()?;
        let queen = Self {
            child,
            grpc_port,
            metrics_port,
            db_url: db_url.to_string(),
            log,
            token,
        };
        let link = queen.link()?;
        wait_until(Duration::from_secs(20), "the queen to answer", || {
            let link = link.clone();
            async move {
                let mut c = queen::client::admin(&link).await.ok()?;
                c.get_stats(GetStatsRequest {}).await.ok().map(|_| ())
            }
        })
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}; queen log:\n{}",
                std::fs::read_to_string(&queen.log).unwrap_or_default()
            )
        })?;
        Ok(queen)
    }

    /// `http://127.0.0.1:<grpc>`.
    pub fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    /// The link the test's admin calls use (with its token, if any).
    ///
    /// # Errors
    ///
    /// The token cannot travel in a header.
    pub fn link(&self) -> anyhow::Result<queen::client::QueenLink> {
        let link = queen::client::QueenLink::new(self.addr());
        Ok(match &self.token {
            Some(token) => link.with_token(token)?,
            None => link,
        })
    }

    /// An admin client.
    pub async fn admin(&self) -> anyhow::Result<AdminClient> {
        Ok(queen::client::admin(self.link()?).await?)
    }

    /// SIGKILL and reap.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// SIGTERM (graceful).
    pub fn terminate(&self) {
        signal(&self.child, libc::SIGTERM);
    }

    /// The queen's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// An agent process (`swarm-agent`).
pub struct AgentProc {
    /// The running `swarm-agent` process.
    pub child: Child,
    /// Agent id passed as `--id`.
    pub id: String,
    /// File the agent appends completed tasks to (`--completion-log`).
    pub completion_log: PathBuf,
    /// File the agent's stderr goes to.
    pub log: PathBuf,
}

impl AgentProc {
    /// Starts a generic agent of `kind` against `queen_addr`.
    pub fn start(
        queen_addr: &str,
        kind: &str,
        id: &str,
        capacity: u32,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let tag = rand::random::<u32>();
        let completion_log = std::env::temp_dir().join(format!("agent-{id}-{tag}.done"));
        let log = std::env::temp_dir().join(format!("agent-{id}-{tag}.log"));
        let mut cmd = Command::new(bin("swarm-agent"));
        cmd.args(["--queen", queen_addr, "--kind", kind, "--id", id])
            .arg("--capacity")
            .arg(capacity.to_string())
            .arg("--completion-log")
            .arg(&completion_log)
            .args(extra)
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true);
        Ok(Self {
            child: cmd.spawn()?,
            id: id.to_string(),
            completion_log,
            log,
        })
    }

    /// Task ids this agent completed, in completion order.
    pub fn completed(&self) -> Vec<u64> {
        std::fs::read_to_string(&self.completion_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect()
    }

    /// (task id, completion time in unix microseconds), in completion order.
    pub fn completions(&self) -> Vec<(u64, u128)> {
        std::fs::read_to_string(&self.completion_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
            })
            .collect()
    }

    /// SIGKILL and reap.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// SIGTERM (drain).
    pub fn terminate(&self) {
        signal(&self.child, libc::SIGTERM);
    }

    /// The agent's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Runs `queenctl` with `args` against `addr`; returns (exit code, stdout, stderr).
pub async fn queenctl(addr: &str, args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    queenctl_env(addr, args, &[]).await
}

/// [`queenctl`] with extra environment variables.
pub async fn queenctl_env(
    addr: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> anyhow::Result<(i32, String, String)> {
    let mut cmd = Command::new(bin("queenctl"));
    cmd.env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.arg("--queen").arg(addr).args(args).output().await?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Loopback URL of the test Redis Cluster (`SWARM_TEST_REDIS_CLUSTER`).
pub fn redis_cluster_url() -> String {
    std::env::var("SWARM_TEST_REDIS_CLUSTER").unwrap_or_else(|_| {
        "redis-cluster://127.0.0.1:7001?node=127.0.0.1:7002&node=127.0.0.1:7003".into()
    })
}

/// A memory-coordinator process.
pub struct CoordinatorProc {
    /// The running coordinator process.
    pub child: Child,
    /// Loopback port of the coordinator's HTTP endpoint (`--http-addr`).
    pub http_port: u16,
    /// File the coordinator's stderr goes to.
    pub log: PathBuf,
}

impl CoordinatorProc {
    /// Starts a coordinator consuming `stream` into `db_url`.
    pub fn start(
        redis_url: &str,
        db_url: &str,
        stream: &str,
        consumer: &str,
        claim_min_idle_ms: u64,
    ) -> anyhow::Result<Self> {
        let http_port = free_port();
        let log = std::env::temp_dir().join(format!(
            "coordinator-{consumer}-{}.log",
            rand::random::<u32>()
        ));
        let child = Command::new(bin("memory-coordinator"))
            .args([
                "--redis-url",
                redis_url,
                "run",
                "--database-url",
                db_url,
                "--findings-stream",
                stream,
                "--consumer",
                consumer,
            ])
            .arg("--http-addr")
            .arg(format!("127.0.0.1:{http_port}"))
            .arg("--claim-min-idle-ms")
            .arg(claim_min_idle_ms.to_string())
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true)
            .spawn()?;
        Ok(Self {
            child,
            http_port,
            log,
        })
    }

    /// SIGKILL and reap.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// The process log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Path of a script under `infra/dev/`.
pub fn infra_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("infra")
        .join("dev")
        .join(name)
}

/// A specialist agent binary (`<name> run`) on the Redis Cluster, writing
/// findings to `stream`; `args` adds flags (e.g. `--host-rate 50`). The
/// tests' sources are on loopback: `127.0.0.1/32` is allow-listed for the
/// outbound guard (`SWARM_OUTBOUND_ALLOW`; refused by default).
///
/// # Errors
///
/// The binary cannot be started.
pub fn specialist(name: &str, queen: &str, stream: &str, args: &[&str]) -> anyhow::Result<Child> {
    Ok(Command::new(bin(name))
        .args(["run", "--queen", queen, "--redis-url", &redis_cluster_url()])
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{}", free_port()))
        .args(args)
        .env("SWARM_FINDINGS_STREAM", stream)
        .env("SWARM_X_BEARER_TOKEN", "test-token")
        .env("SWARM_OUTBOUND_ALLOW", "127.0.0.1/32")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()?)
}
