//! The rules of a list applied in Rust: which events match a [`Filter`],
//! then order, cursor and page size.

use super::{Filter, Sortable};
use crate::calendar;
use crate::keys::project_key;

/// An event as a list sees it: itself and the kinds of its sources.
pub trait Candidate: Sortable {
    /// The project key.
    fn project(&self) -> &str;
    /// The symbol key, if any.
    fn symbol(&self) -> Option<&str>;
    /// The status name.
    fn status(&self) -> &str;
    /// Whether the project is on a watchlist.
    fn watchlist(&self) -> bool;
    /// Whether a report of this event comes from a source of `kind`.
    fn has_source_kind(&self, kind: &str) -> bool;
}

impl Filter {
    /// Whether `e` passes every filter (not the cursor).
    pub fn matches(&self, e: &impl Candidate) -> bool {
        let key = project_key(e.project());
        let start = e.event_date().and_then(calendar::event_start);
        self.project.as_ref().is_none_or(|p| *p == key)
            && self
                .project_prefix
                .as_ref()
                .is_none_or(|p| key.starts_with(p.as_str()))
            && self
                .symbol
                .as_ref()
                .is_none_or(|s| e.symbol() == Some(s.as_str()))
            && (self.statuses.is_empty() || self.statuses.iter().any(|s| s == e.status()))
            && self
                .date_from
                .as_ref()
                .is_none_or(|d| start.as_ref().is_some_and(|s| s >= d))
            && self
                .date_to
                .as_ref()
                .is_none_or(|d| start.as_ref().is_some_and(|s| s <= d))
            && self.since_us.is_none_or(|t| e.first_seen_us() >= t)
            && self.until_us.is_none_or(|t| e.first_seen_us() < t)
            && self.min_confidence.is_none_or(|c| e.confidence() >= c)
            && self
                .source_kind
                .as_ref()
                .is_none_or(|k| e.has_source_kind(k))
            && (!self.watchlist || e.watchlist())
    }
}

/// The page of `events` for `filter`: matching, after the cursor, in order,
/// at most `limit + 1` (one more tells there is a next page).
pub fn select<E: Candidate>(filter: &Filter, events: impl IntoIterator<Item = E>) -> Vec<E> {
    let mut page: Vec<E> = events
        .into_iter()
        .filter(|e| filter.matches(e) && filter.after_cursor(e))
        .collect();
    page.sort_by(|a, b| filter.order(a, b));
    page.truncate(filter.limit as usize + 1);
    page
}
