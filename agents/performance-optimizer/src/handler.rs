//! The agent's `OptimizeSchedules` handler: adaptive poll intervals,
//! replica recommendations (Little's law on the queen's measured service
//! times) and hot-spot reports on the findings stream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agent_runtime::{Done, Handler, HandlerError, Outcome, TaskContext};
use swarm_common::time::now_ms;
use swarm_memory::FindingsSink;
use swarm_memory::Memory;
use swarm_memory::reliability::{PollSample, samples};
use swarm_proto::AgentKind;
use swarm_proto::names::schedule_source;
use swarm_proto::v1::set_schedule_interval_request::Target;
use swarm_proto::v1::{
    GetStatsRequest, KindStats, ListAgentsRequest, ListSchedulesRequest, RecommendReplicasRequest,
    SetScheduleIntervalRequest, task_payload,
};
use swarm_types::Finding;
use swarm_types::finding::HotSpots;

use crate::interval::{self, IntervalPolicy};
use crate::replicas::{self, KindLoad, ReplicaPolicy};

/// Samples per source considered.
const SAMPLES: usize = 20;

/// Settings of the optimizer (its binary's flags).
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// How source poll intervals are tuned.
    #[command(flatten)]
    pub intervals: IntervalPolicy,
    /// How replica counts are recommended.
    #[command(flatten)]
    pub replicas: ReplicaPolicy,
    /// Service time assumed for a kind with no measurement, in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub default_service_secs: f64,
    /// Tasks per replica assumed for a kind with no connected agent.
    #[arg(long, default_value_t = 16)]
    pub default_capacity: u32,
}

/// Tasks that arrived per kind so far, and when that was read.
struct Arrivals {
    at_ms: i64,
    per_kind: HashMap<i32, u64>,
}

/// Computes intervals and recommendations and sets them on the queen
/// (admin RPCs `SetScheduleInterval`, `RecommendReplicas`).
pub struct OptimizerHandler {
    queen: queen_client::QueenLink,
    memory: Arc<dyn Memory>,
    findings: FindingsSink,
    settings: Settings,
    previous: Mutex<Option<Arrivals>>,
}

fn arrived(k: &KindStats) -> u64 {
    k.completed + k.failed + k.ready_by_priority.iter().sum::<u64>() + k.scheduled + k.leased
}

impl OptimizerHandler {
    /// An optimizer for the queen at `queen` reading samples from `memory`
    /// and reporting hot spots to `findings`.
    pub fn new(
        queen: queen_client::QueenLink,
        memory: Arc<dyn Memory>,
        findings: FindingsSink,
        settings: Settings,
    ) -> Self {
        Self {
            queen,
            memory,
            findings,
            settings,
            previous: Mutex::new(None),
        }
    }

    /// Adapts every source schedule's interval; returns (changed, hot spots).
    async fn intervals(
        &self,
        admin: &mut queen_client::AdminClient,
        window_secs: u32,
    ) -> Result<(usize, Vec<(String, u64)>, Vec<PollSample>), HandlerError> {
        let schedules = admin
            .list_schedules(ListSchedulesRequest {})
            .await
            .map_err(|e| HandlerError::retryable(format!("listing schedules: {}", e.message())))?
            .into_inner()
            .schedules;
        let since = if window_secs > 0 {
            now_ms() - i64::from(window_secs) * 1000
        } else {
            0
        };
        let mut changed = 0;
        let mut p99 = Vec::new();
        let mut all = Vec::new();
        for schedule in schedules.iter().filter(|s| !s.paused) {
            let Some(source) = schedule_source(&schedule.name) else {
                continue;
            };
            let recent: Vec<PollSample> =
                samples::recent_with_hits(self.memory.as_ref(), source, SAMPLES)
                    .await
                    .map_err(|e| HandlerError::retryable(format!("reading samples: {e}")))?
                    .into_iter()
                    .filter(|s| s.at_unix_ms >= since)
                    .collect();
            if let Some(p) = interval::latency_quantile(&recent, 0.99) {
                metrics::gauge!("swarm_source_latency_p99_seconds", "source" => source.to_string())
                    .set(p as f64 / 1000.0);
                p99.push((source.to_string(), p));
            }
            let next = interval::adapt(schedule.interval_ms, &recent, &self.settings.intervals);
            metrics::gauge!("swarm_source_poll_interval_seconds", "source" => source.to_string())
                .set(next as f64 / 1000.0);
            if next != schedule.interval_ms {
                tracing::info!(
                    source,
                    from_ms = schedule.interval_ms,
                    to_ms = next,
                    polls = recent.len(),
                    "poll interval recommended"
                );
                let applied = admin
                    .set_schedule_interval(SetScheduleIntervalRequest {
                        target: Some(Target::Name(schedule.name.clone())),
                        interval_ms: next,
                    })
                    .await
                    .map_err(|e| {
                        HandlerError::retryable(format!(
                            "setting the interval of {}: {}",
                            schedule.name,
                            e.message()
                        ))
                    })?
                    .into_inner();
                if applied.found {
                    changed += 1;
                } else {
                    tracing::warn!(
                        schedule = %schedule.name,
                        "schedule gone before its interval was set"
                    );
                }
            }
            all.extend(recent);
        }
        p99.sort_by_key(|(_, ms)| std::cmp::Reverse(*ms));
        p99.truncate(3);
        Ok((changed, p99, all))
    }

    /// Recommends replicas for every kind; returns them by kind name.
    async fn replicas(
        &self,
        admin: &mut queen_client::AdminClient,
        scrape_samples: &[PollSample],
    ) -> Result<Vec<(String, u32)>, HandlerError> {
        let rpc = |what: &'static str| {
            move |e: tonic::Status| HandlerError::retryable(format!("{what}: {}", e.message()))
        };
        let stats = admin
            .get_stats(GetStatsRequest {})
            .await
            .map_err(rpc("reading stats"))?
            .into_inner();
        let agents = admin
            .list_agents(ListAgentsRequest {})
            .await
            .map_err(rpc("listing agents"))?
            .into_inner()
            .agents;
        let now = now_ms();
        let current = Arrivals {
            at_ms: now,
            per_kind: stats.kinds.iter().map(|k| (k.kind, arrived(k))).collect(),
        };
        let previous = self
            .previous
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .replace(current);
        let scrape_secs = (!scrape_samples.is_empty()).then(|| {
            scrape_samples
                .iter()
                .map(|s| s.latency_ms as f64)
                .sum::<f64>()
                / scrape_samples.len() as f64
                / 1000.0
        });
        let mut out = Vec::new();
        for k in &stats.kinds {
            let Ok(kind) = AgentKind::try_from(k.kind) else {
                continue;
            };
            let arrival_per_sec = previous
                .as_ref()
                .and_then(|p| {
                    let before = *p.per_kind.get(&k.kind)?;
                    let secs = (now - p.at_ms) as f64 / 1000.0;
                    (secs > 0.0).then(|| arrived(k).saturating_sub(before) as f64 / secs)
                })
                .unwrap_or(0.0);
            let capacities: Vec<u32> = agents
                .iter()
                .filter(|a| a.kind == k.kind)
                .map(|a| a.capacity)
                .collect();
            let capacity = if capacities.is_empty() {
                self.settings.default_capacity
            } else {
                capacities.iter().sum::<u32>() / capacities.len() as u32
            };
            // the queen's measured mean service time; before any task of the
            // kind finished, the fetch samples (scraper) or the default
            let service_secs = if k.service_mean_ms > 0.0 {
                k.service_mean_ms / 1000.0
            } else {
                match kind {
                    AgentKind::ScrapingSpecialist => {
                        scrape_secs.unwrap_or(self.settings.default_service_secs)
                    }
                    _ => self.settings.default_service_secs,
                }
            };
            if k.service_p99_ms > 0.0 {
                metrics::gauge!("swarm_task_service_p99_seconds", "kind" => kind.name())
                    .set(k.service_p99_ms / 1000.0);
            }
            let load = KindLoad {
                backlog: (k.ready_by_priority.iter().sum::<u64>() + k.scheduled) as f64,
                arrival_per_sec,
                service_secs,
                capacity,
            };
            let replicas = replicas::recommend(&load, &self.settings.replicas);
            tracing::debug!(kind = kind.name(), ?load, replicas, "replicas recommended");
            metrics::gauge!("swarm_optimizer_arrival_rate", "kind" => kind.name())
                .set(arrival_per_sec);
            admin
                .recommend_replicas(RecommendReplicasRequest {
                    kind: kind as i32,
                    replicas,
                })
                .await
                .map_err(rpc("recommending replicas"))?;
            out.push((kind.name().to_string(), replicas));
        }
        Ok(out)
    }
}

impl OptimizerHandler {
    /// Appends this run's hot spots (slowest sources, slowest task kinds by
    /// p99 service time) to the findings stream, where the coordinator keeps
    /// them (`hot_spots` table).
    async fn report_hot_spots(
        &self,
        admin: &mut queen_client::AdminClient,
        task_id: u64,
        sources: &[(String, u64)],
    ) -> Result<(), HandlerError> {
        let stats = admin
            .get_stats(GetStatsRequest {})
            .await
            .map_err(|e| HandlerError::retryable(format!("queen stats: {}", e.message())))?
            .into_inner();
        let mut kinds: Vec<(String, f64)> = stats
            .kinds
            .iter()
            .filter(|k| k.service_p99_ms > 0.0)
            .filter_map(|k| {
                let kind = AgentKind::try_from(k.kind).ok()?;
                Some((kind.name().to_string(), k.service_p99_ms))
            })
            .collect();
        kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
        let report = Finding::HotSpots(HotSpots {
            id: format!("hot-{task_id}"),
            reported_unix_ms: now_ms(),
            sources: sources.to_vec(),
            kinds,
        });
        self.findings
            .report(report)
            .await
            .map_err(|e| HandlerError::retryable(format!("recording hot spots: {e}")))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Handler for OptimizerHandler {
    async fn handle(&self, task: TaskContext) -> Outcome {
        let optimize = *task.payload_as("performance-optimizer", |k| match k {
            task_payload::Kind::OptimizeSchedules(o) => Some(o),
            _ => None,
        })?;
        let mut admin = queen_client::admin(&self.queen)
            .await
            .map_err(|e| HandlerError::retryable(format!("cannot reach the queen: {e}")))?;
        let (changed, hot, all) = self.intervals(&mut admin, optimize.window_secs).await?;
        let recommended = self.replicas(&mut admin, &all).await?;
        let hot_spots: Vec<String> = hot
            .iter()
            .map(|(s, ms)| format!("{s} p99 {ms} ms"))
            .collect();
        if !hot_spots.is_empty() {
            tracing::info!(slowest = %hot_spots.join(", "), "hot spots");
        }
        self.report_hot_spots(&mut admin, task.task.id, &hot)
            .await?;
        let replicas: Vec<String> = recommended
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        Ok(Done {
            follow_ups: Vec::new(),
            summary: format!(
                "{changed} interval(s) changed; replicas {}; slowest sources: {}",
                replicas.join(" "),
                if hot_spots.is_empty() {
                    "none".into()
                } else {
                    hot_spots.join(", ")
                }
            ),
        })
    }
}
