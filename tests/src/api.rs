//! Query API replicas (`queen --api-only`) and an HAProxy in front of them,
//! on free loopback ports, for the API tests and the API benchmark.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::procs::{bin, free_port, redis_cluster_url};
use crate::wait::wait_until;

/// A `queen --api-only` process.
pub struct ApiProc {
    /// The running `queen --api-only` process.
    pub child: Child,
    /// Loopback port of the query API (`QUEEN__API__ADDR`).
    pub port: u16,
    /// Loopback port of the Prometheus metrics endpoint.
    pub metrics_port: u16,
    /// File the replica's stderr goes to.
    pub log: PathBuf,
}

impl ApiProc {
    /// Starts an API replica on `db_url` (memory: the test Redis Cluster);
    /// `env` adds `QUEEN__API__*` settings. Returns once `/ready` answers.
    pub async fn start(db_url: &str, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with(&bin("queen"), db_url, env).await
    }

    /// [`ApiProc::start`] with a given `queen` binary (benchmarks use a
    /// release build).
    pub async fn start_with(
        queen: &Path,
        db_url: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let (port, metrics_port) = (free_port(), free_port());
        let log = std::env::temp_dir().join(format!("api-{port}-{}.log", rand::random::<u32>()));
        let mut cmd = Command::new(queen);
        cmd.arg("--api-only")
            .env("QUEEN__DATABASE_URL", db_url)
            .env("QUEEN__METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
            .env("QUEEN__API__ADDR", format!("127.0.0.1:{port}"))
            .env("QUEEN__API__MEMORY_URL", redis_cluster_url())
            .env("QUEEN__API__REFRESH_MS", "200")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let api = Self {
            child: cmd.spawn()?,
            port,
            metrics_port,
            log,
        };
        let ready = format!("{}/ready", api.url());
        let client = reqwest::Client::new();
        wait_until(Duration::from_secs(30), "the API to be ready", || {
            let (client, ready) = (client.clone(), ready.clone());
            async move {
                let r = client.get(&ready).send().await.ok()?;
                r.status().is_success().then_some(())
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}; log:\n{}", api.log_text()))?;
        Ok(api)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL and reap.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// An HAProxy running `infra/haproxy/haproxy.cfg` with its addresses set
/// through the environment.
pub struct HaproxyProc {
    /// The running HAProxy process.
    pub child: Child,
    /// Loopback port of the plain HTTP listener (`HTTP_BIND`).
    pub port: u16,
    /// Loopback port of the HAProxy stats page (`STATS_BIND`).
    pub stats_port: u16,
    /// The TLS listener, when started with a certificate.
    pub tls_port: Option<u16>,
    /// File HAProxy's stdout goes to.
    pub log: PathBuf,
}

impl HaproxyProc {
    /// Starts HAProxy in front of `servers` (two API replica addresses) and
    /// waits until both passed their health check.
    pub async fn start(servers: [&str; 2]) -> anyhow::Result<Self> {
        Self::start_with_tls(servers, None).await
    }

    /// [`HaproxyProc::start`], terminating TLS with `cert` (PEM with the
    /// certificate and its key) on one more port.
    pub async fn start_with_tls(servers: [&str; 2], cert: Option<&Path>) -> anyhow::Result<Self> {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/haproxy/haproxy.cfg");
        let (port, stats_port) = (free_port(), free_port());
        let log = std::env::temp_dir().join(format!("haproxy-{port}.log"));
        let tls_port = cert.map(|_| free_port());
        let mut cmd = Command::new("haproxy");
        match (cert, tls_port) {
            (Some(cert), Some(tls)) => {
                cmd.env("TLS_CERT", cert)
                    .env("HTTPS_BIND", format!("127.0.0.1:{tls}"));
            }
            _ => {
                cmd.env_remove("TLS_CERT");
            }
        }
        let child = cmd
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .env("HTTP_BIND", format!("127.0.0.1:{port}"))
            .env("STATS_BIND", format!("127.0.0.1:{stats_port}"))
            .env("API_SERVER_1", servers[0])
            .env("API_SERVER_2", servers[1])
            .env("GRAFANA_SERVER", format!("127.0.0.1:{}", free_port()))
            .env("PROMETHEUS_SERVER", format!("127.0.0.1:{}", free_port()))
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                anyhow::anyhow!("cannot start haproxy (infra/dev/test.sh installs it): {e}")
            })?;
        let proxy = Self {
            child,
            port,
            stats_port,
            tls_port,
            log,
        };
        proxy.wait_up(2).await?;
        Ok(proxy)
    }

    /// Waits until `n` API servers are UP in the stats CSV.
    pub async fn wait_up(&self, n: usize) -> anyhow::Result<()> {
        let stats = format!("http://127.0.0.1:{}/stats;csv", self.stats_port);
        let client = reqwest::Client::new();
        wait_until(Duration::from_secs(20), "API servers up in HAProxy", || {
            let (client, stats) = (client.clone(), stats.clone());
            async move {
                let csv = client.get(&stats).send().await.ok()?.text().await.ok()?;
                (self.servers_up(&csv) >= n).then_some(())
            }
        })
        .await
    }

    /// API servers UP in a stats CSV.
    pub fn servers_up(&self, csv: &str) -> usize {
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f.len() > 17 && f[0] == "api" && f[1] != "BACKEND" && f[1] != "FRONTEND")
            .filter(|f| f[17] == "UP")
            .count()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
