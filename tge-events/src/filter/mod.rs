//! Listing events, defined once: the parameters of a list ([`Filter`]),
//! which events match, their order and the pagination cursor. The
//! in-memory backend applies them in Rust ([`select`]); PostgreSQL pushes
//! the same rules into SQL, and the behaviour suite checks both agree.

mod cursor;
mod parse;
mod select;

use std::cmp::Ordering;

pub use parse::KNOWN;
pub use select::{Candidate, select};

use crate::calendar;

/// Event statuses, by name.
pub const STATUSES: [&str; 5] = ["announced", "scheduled", "live", "postponed", "cancelled"];
/// Largest page.
pub const MAX_LIMIT: u32 = 500;
/// Sort key of an event without a known period (sorts last ascending).
pub const NO_DATE: &str = "9999-12-31";

/// A bad list parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("bad parameter `{param}`: {detail}")]
pub struct Error {
    /// The parameter's name.
    pub param: String,
    /// What is wrong, for the caller.
    pub detail: String,
}

impl Error {
    fn new(param: &str, detail: impl Into<String>) -> Self {
        Self {
            param: param.to_string(),
            detail: detail.into(),
        }
    }
}

/// Sort keys of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    /// When the latest report was observed (`sort=last_seen`).
    LastSeen,
    /// When the first report was observed (`sort=first_seen`).
    FirstSeen,
    /// Event confidence (`sort=confidence`).
    Confidence,
    /// Start day of the event period, unknown last ascending (`sort=event_date`).
    EventDate,
}

impl SortField {
    /// Name in `sort=`.
    pub fn name(self) -> &'static str {
        match self {
            Self::LastSeen => "last_seen",
            Self::FirstSeen => "first_seen",
            Self::Confidence => "confidence",
            Self::EventDate => "event_date",
        }
    }
}

/// Where the previous page ended: the sort key and id of its last item.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorKey {
    /// Unix microseconds (first/last seen).
    Time(i64),
    /// Event confidence (0..1).
    Confidence(f64),
    /// Start day of the event period ([`NO_DATE`] when unknown).
    Date(String),
}

impl CursorKey {
    /// Order of two keys of the same sort.
    pub fn compare(&self, other: &CursorKey) -> Ordering {
        match (self, other) {
            (CursorKey::Time(x), CursorKey::Time(y)) => x.cmp(y),
            (CursorKey::Confidence(x), CursorKey::Confidence(y)) => x.total_cmp(y),
            (CursorKey::Date(x), CursorKey::Date(y)) => x.cmp(y),
            _ => Ordering::Equal,
        }
    }
}

/// What a listed event shows of itself to be sorted and paged.
pub trait Sortable {
    /// Event id (the tie-breaker of every sort).
    fn id(&self) -> i64;
    /// When the first report was observed (unix µs).
    fn first_seen_us(&self) -> i64;
    /// When the latest report was observed (unix µs).
    fn last_seen_us(&self) -> i64;
    /// Event confidence (0..1).
    fn confidence(&self) -> f64;
    /// Event date as reported (day, month or quarter), if known.
    fn event_date(&self) -> Option<&str>;
}

/// The sort key of `event` under `sort`.
pub fn key_of(event: &impl Sortable, sort: SortField) -> CursorKey {
    match sort {
        SortField::LastSeen => CursorKey::Time(event.last_seen_us()),
        SortField::FirstSeen => CursorKey::Time(event.first_seen_us()),
        SortField::Confidence => CursorKey::Confidence(event.confidence()),
        SortField::EventDate => CursorKey::Date(
            event
                .event_date()
                .and_then(calendar::event_start)
                .unwrap_or_else(|| NO_DATE.into()),
        ),
    }
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Project key, exact.
    pub project: Option<String>,
    /// Project key prefix.
    pub project_prefix: Option<String>,
    /// Symbol key.
    pub symbol: Option<String>,
    /// Status names to match (any of [`STATUSES`]); empty matches all.
    pub statuses: Vec<String>,
    /// Period starting on or after this day (`YYYY-MM-DD`).
    pub date_from: Option<String>,
    /// Period starting on or before this day.
    pub date_to: Option<String>,
    /// First seen at or after (unix µs).
    pub since_us: Option<i64>,
    /// First seen before (unix µs).
    pub until_us: Option<i64>,
    /// Only events with at least this confidence (0..1).
    pub min_confidence: Option<f64>,
    /// Only events with evidence from this kind of source.
    pub source_kind: Option<String>,
    /// Only events of watchlisted projects (`false`: all events).
    pub watchlist: bool,
    /// Sort key.
    pub sort: SortField,
    /// Largest key first (ties still by id in the same direction).
    pub descending: bool,
    /// The previous page's last (sort key, id).
    pub after: Option<(CursorKey, i64)>,
    /// Page size (at most [`MAX_LIMIT`]).
    pub limit: u32,
}

impl Filter {
    /// A canonical text of the request (cache key).
    pub fn cache_key(&self) -> String {
        format!("{self:?}")
    }

    /// The order of the list: by sort key, then id, in the direction.
    pub fn order(&self, a: &impl Sortable, b: &impl Sortable) -> Ordering {
        let o = key_of(a, self.sort)
            .compare(&key_of(b, self.sort))
            .then(a.id().cmp(&b.id()));
        if self.descending { o.reverse() } else { o }
    }

    /// Whether `event` comes after the cursor (always without one).
    pub fn after_cursor(&self, event: &impl Sortable) -> bool {
        self.after.as_ref().is_none_or(|(key, id)| {
            let o = key_of(event, self.sort)
                .compare(key)
                .then(event.id().cmp(id));
            o == if self.descending {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        })
    }

    /// The cursor of the page ending with `event`.
    pub fn cursor_after(&self, event: &impl Sortable) -> String {
        self.cursor(&key_of(event, self.sort), event.id())
    }
}

#[cfg(test)]
mod tests;
