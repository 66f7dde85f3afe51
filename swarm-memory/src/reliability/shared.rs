//! A breaker shared through the memory: every replica reads the same state
//! and updates it with compare-and-set, so concurrent outcomes are all
//! counted and only one replica gets the half-open probe.

use std::sync::Arc;
use std::time::Duration;

use super::breaker::{Admission, BreakerPolicy, BreakerState, Transition};
use crate::Memory;
use crate::layout::breaker_key;
use crate::memory::Result;

/// How long breaker state outlives its last update.
const TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Compare-and-set attempts before giving up on an update.
const ATTEMPTS: u32 = 200;

/// Breakers of sources (or external APIs) kept in the memory.
#[derive(Clone)]
pub struct SharedBreaker {
    memory: Arc<dyn Memory>,
    policy: BreakerPolicy,
}

impl SharedBreaker {
    /// Breakers in `memory` with `policy`.
    pub fn new(memory: Arc<dyn Memory>, policy: BreakerPolicy) -> Self {
        Self { memory, policy }
    }

    /// The policy breakers open and close by.
    pub fn policy(&self) -> &BreakerPolicy {
        &self.policy
    }

    /// The current state of `name`'s breaker (closed when none is stored).
    ///
    /// # Errors
    ///
    /// The memory is unreachable.
    pub async fn state(&self, name: &str) -> Result<BreakerState> {
        Ok(read(self.memory.as_ref(), name).await?.1)
    }

    /// Whether a call to `name` may go ahead now (taking the probe slot when
    /// half-open).
    ///
    /// # Errors
    ///
    /// The memory is unreachable.
    pub async fn admit(&self, name: &str, now_ms: i64) -> Result<Admission> {
        self.update(name, |s| s.admit(now_ms, &self.policy)).await
    }

    /// Records the outcome of a call to `name`.
    ///
    /// # Errors
    ///
    /// The memory is unreachable.
    pub async fn record(
        &self,
        name: &str,
        success: bool,
        now_ms: i64,
    ) -> Result<Option<Transition>> {
        let transition = self
            .update(name, |s| s.record(success, now_ms, &self.policy))
            .await?;
        if let Some(t) = transition {
            match t {
                Transition::Opened | Transition::Reopened => tracing::warn!(
                    breaker = name,
                    transition = ?t,
                    cool_down_ms = self.policy.cool_down_ms,
                    "circuit breaker open: calls refused until the cool-down ends"
                ),
                Transition::Closed => {
                    tracing::info!(breaker = name, "circuit breaker closed: probe succeeded");
                }
            }
            metrics::counter!("swarm_breaker_transitions_total", "to" => match t {
                Transition::Closed => "closed",
                _ => "open",
            })
            .increment(1);
        }
        Ok(transition)
    }

    async fn update<T>(
        &self,
        name: &str,
        mut change: impl FnMut(&mut BreakerState) -> T,
    ) -> Result<T> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                // another replica updated it first: back off a little, with
                // jitter, so that contending replicas spread out
                let micros = rand::random_range(0..(100u64 << attempt.min(5)).min(2_000));
                tokio::time::sleep(Duration::from_micros(micros)).await;
            }
            let (raw, mut state) = read(self.memory.as_ref(), name).await?;
            let before = state.clone();
            let value = change(&mut state);
            if state == before {
                return Ok(value);
            }
            let json = serde_json::to_string(&state).unwrap_or_default();
            if self
                .memory
                .compare_and_set(&breaker_key(name), raw.as_deref(), &json, TTL)
                .await?
            {
                return Ok(value);
            }
        }
        Err(crate::Error::Redis {
            op: "breaker update",
            message: format!("{name}: still contended after {ATTEMPTS} compare-and-set attempts"),
        })
    }
}

/// Reads `name`'s breaker: the raw stored value and its state (an
/// unreadable value counts as closed and is replaced on the next update).
///
/// # Errors
///
/// The memory is unreachable.
pub async fn read(memory: &dyn Memory, name: &str) -> Result<(Option<String>, BreakerState)> {
    let raw = memory.get(&breaker_key(name)).await?;
    let state = raw
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or_default();
    Ok((raw, state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalMemory;
    use crate::reliability::Phase;

    #[tokio::test]
    async fn replicas_share_one_breaker_and_one_probe() {
        let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
        let policy = BreakerPolicy {
            consecutive_failures: 4,
            cool_down_ms: 100,
            ..BreakerPolicy::default()
        };
        let a = SharedBreaker::new(memory.clone(), policy.clone());
        let b = SharedBreaker::new(memory.clone(), policy);
        a.record("src", false, 0).await.unwrap();
        b.record("src", false, 1).await.unwrap();
        a.record("src", false, 2).await.unwrap();
        assert_eq!(
            b.record("src", false, 3).await.unwrap(),
            Some(Transition::Opened)
        );
        assert!(matches!(
            a.admit("src", 50).await.unwrap(),
            Admission::Rejected { .. }
        ));
        assert_eq!(b.admit("src", 200).await.unwrap(), Admission::Probe);
        assert!(matches!(
            a.admit("src", 201).await.unwrap(),
            Admission::Rejected { .. }
        ));
        assert_eq!(
            a.record("src", true, 250).await.unwrap(),
            Some(Transition::Closed)
        );
        assert_eq!(b.state("src").await.unwrap().phase_at(251), Phase::Closed);
    }
}
