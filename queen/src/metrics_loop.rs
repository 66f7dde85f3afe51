//! Refreshes the queen's gauges once a second from the scheduler's state:
//! queue depth per kind and priority, scheduled, leases outstanding, dead
//! letters, connected agents per kind. (Counters and histograms are
//! recorded where things happen.)

use std::time::Duration;

use swarm_proto::names::{AGENT_KINDS, PRIORITIES};

use crate::Queen;

pub(crate) async fn run(queen: Queen) {
    describe();
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    loop {
        interval.tick().await;
        let stats = queen.lock().stats();
        for (i, kind) in stats.kinds.iter().enumerate() {
            let k = AGENT_KINDS[i].name();
            for (rank, depth) in kind.ready_by_priority.iter().enumerate() {
                metrics::gauge!("swarm_queue_depth", "kind" => k, "priority" => PRIORITIES[rank].name())
                    .set(*depth as f64);
            }
            metrics::gauge!("swarm_queue_scheduled", "kind" => k).set(kind.scheduled as f64);
            metrics::gauge!("swarm_leases_outstanding", "kind" => k).set(kind.leased as f64);
            metrics::gauge!("swarm_dead_letters", "kind" => k).set(kind.dead as f64);
            metrics::gauge!("swarm_agents_connected", "kind" => k).set(f64::from(kind.agents));
            if kind.recommended_replicas > 0 {
                metrics::gauge!("swarm_recommended_replicas", "kind" => k)
                    .set(f64::from(kind.recommended_replicas));
            }
            metrics::gauge!("swarm_kind_paused", "kind" => k).set(if kind.paused {
                1.0
            } else {
                0.0
            });
        }
    }
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(
        "swarm_queue_depth",
        "Ready tasks waiting for an agent, per kind and priority"
    );
    describe_gauge!(
        "swarm_queue_scheduled",
        "Tasks waiting for their not-before or retry time"
    );
    describe_gauge!(
        "swarm_leases_outstanding",
        "Tasks leased to agents and not yet finished"
    );
    describe_gauge!("swarm_dead_letters", "Tasks in the dead-letter list");
    describe_gauge!(
        "swarm_agents_connected",
        "Connected agent sessions per kind"
    );
    describe_gauge!("swarm_kind_paused", "1 when leasing of the kind is paused");
    describe_gauge!(
        "swarm_recommended_replicas",
        "Agent replicas the performance optimizer recommends per kind (Little's law with headroom)"
    );
    describe_counter!(
        "swarm_polls_skipped_total",
        "Source polls not submitted, by reason (breaker_open)"
    );
    describe_counter!(
        "swarm_tasks_submitted_total",
        "Tasks accepted (including follow-ups and schedules)"
    );
    describe_counter!(
        "swarm_task_outcomes_total",
        "Task outcomes: completed, retried, dead, redelivered, lease_expired, cancelled"
    );
    describe_counter!(
        "swarm_results_rejected_total",
        "Results refused, by reason (stale_lease, not_leased, unknown_task)"
    );
    describe_histogram!(
        "swarm_dispatch_latency_seconds",
        Unit::Seconds,
        "Time from ready to leased"
    );
    describe_histogram!(
        "swarm_persist_commit_seconds",
        Unit::Seconds,
        "Duration of one group commit"
    );
    describe_histogram!("swarm_persist_batch_rows", "Row changes per group commit");
    describe_counter!("swarm_persist_errors_total", "Failed commits (retried)");
}
