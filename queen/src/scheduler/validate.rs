//! Input validation at the queue's door: every string that reaches the
//! store (PostgreSQL text columns: `tasks.dedup_key`, `tasks.last_error`,
//! `schedules.name`) is checked or bounded here, before the scheduler
//! changes anything. A value PostgreSQL would refuse (a NUL character, a
//! key longer than a btree index entry) must never get as far as the
//! persister: one such write used to make every later batch fail.

use swarm_proto::v1::TaskSpec;
use swarm_proto::{AgentKind, Priority};

/// Longest accepted dedup key, in bytes.
pub(super) const MAX_DEDUP_KEY: usize = 512;
/// Most attempts a task may ask for.
pub(super) const MAX_ATTEMPTS_LIMIT: u32 = 100;
/// Longest schedule name, in bytes (the primary key of `schedules`: far
/// below PostgreSQL's btree entry limit of about 2.7 kB, and leaves room in
/// the `schedule:<name>` dedup key of its runs).
pub(super) const MAX_SCHEDULE_NAME: usize = 200;
/// Longest error text kept with a task (`last_error`), in bytes.
pub(super) const MAX_ERROR_TEXT: usize = 2_048;

/// Checks a spec and returns the index of its kind.
pub(super) fn spec(spec: &TaskSpec) -> Result<usize, String> {
    let payload = spec
        .payload
        .as_ref()
        .filter(|p| p.kind.is_some())
        .ok_or("payload is missing")?;
    let kind = AgentKind::try_from(spec.kind).map_err(|_| format!("unknown kind {}", spec.kind))?;
    let kind = match kind {
        AgentKind::Unspecified => payload.default_kind().ok_or_else(|| {
            format!(
                "a {} payload needs an explicit kind",
                payload.variant_name()
            )
        })?,
        kind => kind,
    };
    Priority::try_from(spec.priority).map_err(|_| format!("unknown priority {}", spec.priority))?;
    if spec.dedup_key.len() > MAX_DEDUP_KEY {
        return Err(format!("dedup key longer than {MAX_DEDUP_KEY} bytes"));
    }
    if spec.dedup_key.contains('\0') {
        return Err("dedup key contains a NUL character".into());
    }
    if spec.max_attempts > MAX_ATTEMPTS_LIMIT {
        return Err(format!("max_attempts above {MAX_ATTEMPTS_LIMIT}"));
    }
    kind.index().ok_or_else(|| "kind has no queue".to_string())
}

/// Checks a schedule name: 1..=[`MAX_SCHEDULE_NAME`] bytes, not blank, no
/// control characters (NUL, newlines, escapes: names end up in logs too).
pub(super) fn schedule_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("schedule name is empty".into());
    }
    if name.len() > MAX_SCHEDULE_NAME {
        return Err(format!(
            "schedule name longer than {MAX_SCHEDULE_NAME} bytes ({})",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("schedule name contains a control character".into());
    }
    Ok(())
}

/// An error text as kept with a task: without NUL characters, cut (at a
/// character boundary) to [`MAX_ERROR_TEXT`] bytes. Agents send these.
pub(super) fn error_text(mut error: String) -> String {
    if error.contains('\0') {
        error.retain(|c| c != '\0');
    }
    if error.len() > MAX_ERROR_TEXT {
        let mut end = MAX_ERROR_TEXT - '…'.len_utf8();
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
        error.push('…');
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_names_that_postgresql_would_refuse_are_invalid() {
        assert!(schedule_name("source:feed-a").is_ok());
        assert!(schedule_name(&"n".repeat(MAX_SCHEDULE_NAME)).is_ok());
        for bad in [
            String::new(),
            "  ".into(),
            "poll\0feed".into(),
            "line\nbreak".into(),
            "esc\u{1b}[31m".into(),
            "n".repeat(MAX_SCHEDULE_NAME + 1),
            "é".repeat(MAX_SCHEDULE_NAME / 2 + 1),
        ] {
            assert!(schedule_name(&bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn error_texts_are_bounded_and_nul_free() {
        assert_eq!(error_text("a\0b".into()), "ab");
        let long = error_text("é".repeat(5_000));
        assert!(long.len() <= MAX_ERROR_TEXT, "{}", long.len());
        assert!(long.ends_with('…'));
        assert_eq!(error_text("fine".into()), "fine");
    }
}
