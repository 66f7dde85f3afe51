//! Tokens the swarm has seen go live: when an event reaches `live`, the
//! coordinator records its symbol and project with the time it went live;
//! the classifier agent asks before it reports a TGE, so a later listing or
//! airdrop of a token that already trades is not announced as a new one.
//! This is what the pipeline learns on top of the operator's known-tokens
//! list (the classifier's config file).

use std::time::Duration;

use crate::layout::{known_project_key, known_symbol_key};
use crate::memory::{Memory, Result};

/// How long a token stays known without going live again (about a year
/// and a month: long enough for any relisting story, short enough that a
/// reused ticker frees up).
pub const KNOWN_FOR: Duration = Duration::from_secs(400 * 86_400);

/// Records that the event of `project` (+ `symbol`) went live at `at_ms`
/// (unix ms). The first time is kept: a later report that it is live does
/// not move the date.
///
/// # Errors
///
/// The memory is unreachable.
pub async fn record_live(
    memory: &dyn Memory,
    project: &str,
    symbol: Option<&str>,
    at_ms: i64,
) -> Result<()> {
    let at = at_ms.to_string();
    if let Some(symbol) = symbol.map(str::trim).filter(|s| !s.is_empty()) {
        memory
            .set_if_absent(&known_symbol_key(symbol), &at, KNOWN_FOR)
            .await?;
    }
    if !project.trim().is_empty() {
        memory
            .set_if_absent(&known_project_key(project), &at, KNOWN_FOR)
            .await?;
    }
    Ok(())
}

/// When the token named `symbol` (or, without a known symbol, `project`)
/// went live, as far as the swarm has seen (unix ms).
///
/// # Errors
///
/// The memory is unreachable.
pub async fn live_since(
    memory: &dyn Memory,
    project: &str,
    symbol: Option<&str>,
) -> Result<Option<i64>> {
    if let Some(symbol) = symbol.map(str::trim).filter(|s| !s.is_empty())
        && let Some(at) = memory.get(&known_symbol_key(symbol)).await?
    {
        return Ok(at.parse().ok());
    }
    if project.trim().is_empty() {
        return Ok(None);
    }
    Ok(memory
        .get(&known_project_key(project))
        .await?
        .and_then(|at| at.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalMemory;

    #[tokio::test]
    async fn the_first_time_a_token_went_live_is_kept_and_found_by_symbol_or_name() {
        let memory = LocalMemory::default();
        assert_eq!(
            live_since(&memory, "Nimbus", Some("NMB")).await.unwrap(),
            None
        );
        record_live(&memory, "Nimbus Labs", Some("nmb"), 1_000)
            .await
            .unwrap();
        record_live(&memory, "Nimbus Labs", Some("NMB"), 9_000)
            .await
            .unwrap();
        // symbols are case-folded, the first date stays
        assert_eq!(
            live_since(&memory, "x", Some("$NMB")).await.unwrap(),
            Some(1_000)
        );
        // a report naming the project only finds it by name (spacing and case aside)
        assert_eq!(
            live_since(&memory, "nimbus  labs", None).await.unwrap(),
            Some(1_000)
        );
        assert_eq!(
            live_since(&memory, "Other", Some("OTH")).await.unwrap(),
            None
        );
        // an empty name is never known
        record_live(&memory, " ", None, 5).await.unwrap();
        assert_eq!(live_since(&memory, " ", None).await.unwrap(), None);
    }
}
