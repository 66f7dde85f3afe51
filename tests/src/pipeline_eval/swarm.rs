//! The one-process swarm (`swarm::run`, the same composition as the `swarm`
//! binary) started in this process on fresh loopback ports, polling the
//! harness's feeds, and its progress read from the queen's stats.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use queen::sources::SourceConfig;
use swarm_proto::AgentKind;
use swarm_proto::v1::GetStatsRequest;
use tokio::sync::oneshot;

/// How long the swarm has to come up.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stop may take before the run is abandoned.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running embedded swarm.
pub struct Swarm {
    /// Base URL of its query API.
    pub api: String,
    grpc: queen::client::QueenLink,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Documents through the pipeline, from the queen's stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Documents the classifier finished.
    pub analyzed: u64,
    /// Documents dead-lettered by the classifier.
    pub failed: u64,
    /// Classifier and data-quality tasks ready, leased or waiting to retry.
    pub busy: u64,
}

fn loopback_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
    Ok(listener.local_addr()?)
}

impl Swarm {
    /// Starts the swarm polling `sources` (`x_token`: the bearer token the
    /// X fake wants); returns once its query API answers.
    ///
    /// # Errors
    ///
    /// The swarm failed to start or its API did not answer in time.
    pub async fn start(
        sources: BTreeMap<String, SourceConfig>,
        x_token: &str,
    ) -> anyhow::Result<Self> {
        let token_file =
            std::env::temp_dir().join(format!("pipeline-eval-{}.token", rand::random::<u32>()));
        // the X fake is on loopback: its origin is the configured X API
        // (the token goes nowhere else), and the feeds' loopback address is
        // allow-listed for the outbound guard (refused by default)
        let x_api_base = sources
            .values()
            .find(|s| s.kind == queen::sources::SourceKind::XSearch)
            .and_then(|s| reqwest::Url::parse(&s.url).ok())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        let options = swarm::Options {
            x_api_base,
            outbound_allow: vec!["127.0.0.1/32".into()],
            grpc_addr: loopback_port()?,
            metrics_addr: loopback_port()?,
            coordinator_addr: loopback_port()?,
            api_addr: loopback_port()?,
            demo_feed: false,
            sources,
            data_dir: None,
            // the optimizer runs once at start (keeping intervals within
            // 1-60 s), then not again: it would stretch quiet feeds' polls
            optimize_every: Duration::from_secs(24 * 3600),
            x_bearer_token: Some(x_token.to_string()),
            admin_token_file: Some(token_file.clone()),
            ..swarm::Options::default()
        };
        let api = format!("http://{}", options.api_addr);
        let grpc = format!("http://{}", options.grpc_addr);
        let (stop, stopped) = oneshot::channel::<()>();
        let mut task = tokio::spawn(swarm::run(options, async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();
        let ready = async {
            loop {
                let answer = client
                    .get(format!("{api}/api/v1/tges?limit=1"))
                    .send()
                    .await;
                if answer.is_ok_and(|r| r.status().is_success()) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            () = ready => {}
            ended = &mut task => {
                return Err(match ended {
                    Ok(Err(e)) => e.context("the swarm failed to start"),
                    _ => anyhow::anyhow!("the swarm stopped while starting"),
                });
            }
            () = tokio::time::sleep(START_TIMEOUT) => {
                task.abort();
                anyhow::bail!("the swarm's API did not answer within {START_TIMEOUT:?}");
            }
        }
        let token = std::fs::read_to_string(&token_file)
            .with_context(|| format!("reading the run's admin token {}", token_file.display()))?;
        let _ = std::fs::remove_file(&token_file);
        Ok(Self {
            api,
            grpc: queen::client::QueenLink::new(grpc).with_token(&token)?,
            stop: Some(stop),
            task,
        })
    }

    /// Documents analyzed and failed so far, and work in flight.
    ///
    /// # Errors
    ///
    /// The queen does not answer.
    pub async fn progress(&self) -> anyhow::Result<Progress> {
        let mut admin = queen::client::admin(&self.grpc).await?;
        let stats = admin.get_stats(GetStatsRequest {}).await?.into_inner();
        let mut progress = Progress::default();
        for k in &stats.kinds {
            let busy = k.ready_by_priority.iter().sum::<u64>() + k.leased + k.scheduled;
            if k.kind == AgentKind::KeywordPrecision as i32 {
                progress.analyzed = k.completed;
                progress.failed = k.dead;
                progress.busy += busy;
            } else if k.kind == AgentKind::DataQuality as i32 {
                progress.busy += busy;
            }
        }
        Ok(progress)
    }

    /// Stops the swarm (bounded).
    ///
    /// # Errors
    ///
    /// The swarm ended with an error or did not stop in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(STOP_TIMEOUT, &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(anyhow::anyhow!("the swarm task failed: {join}")),
            Err(_) => {
                self.task.abort();
                anyhow::bail!("the swarm did not stop within {STOP_TIMEOUT:?}")
            }
        }
    }
}
