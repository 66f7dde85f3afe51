//! Parameters of `GET /tges`: the list rules are [`tge_events::filter`]
//! (parsing, matching, order, cursors); here their OpenAPI description and
//! their errors as 400 problems.

use serde::Deserialize;
use utoipa::IntoParams;

pub use tge_events::filter::{CursorKey, Filter, MAX_LIMIT, STATUSES, SortField, Sortable, key_of};

use crate::model::Event;
use crate::problem::Problem;

impl From<tge_events::filter::Error> for Problem {
    fn from(e: tge_events::filter::Error) -> Self {
        Problem::bad_param(&e.param, e.detail)
    }
}

impl Sortable for Event {
    fn id(&self) -> i64 {
        self.id
    }
    fn first_seen_us(&self) -> i64 {
        self.first_seen_us
    }
    fn last_seen_us(&self) -> i64 {
        self.last_seen_us
    }
    fn confidence(&self) -> f64 {
        self.confidence
    }
    fn event_date(&self) -> Option<&str> {
        self.event_date.as_deref()
    }
}

/// Query parameters of `GET /tges` (documentation of the accepted names;
/// parsing is done by [`Filter::parse`] for precise messages).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Project name, exact (case and spacing insensitive).
    project: Option<String>,
    /// Project name prefix (case insensitive).
    project_prefix: Option<String>,
    /// Ticker, with or without `$`.
    symbol: Option<String>,
    /// One or more statuses, comma separated: announced, scheduled, live, postponed, cancelled.
    status: Option<String>,
    /// Event period starting on or after this day (YYYY-MM-DD).
    date_from: Option<String>,
    /// Event period starting on or before this day (YYYY-MM-DD).
    date_to: Option<String>,
    /// First seen at or after (RFC 3339 or YYYY-MM-DD).
    since: Option<String>,
    /// First seen before (RFC 3339 or YYYY-MM-DD).
    until: Option<String>,
    /// Lowest confidence, 0..1.
    #[param(minimum = 0.0, maximum = 1.0)]
    min_confidence: Option<f64>,
    /// Only events with evidence from this kind of source (rss, api, ...).
    source_kind: Option<String>,
    /// Only watchlist projects (`true`).
    watchlist: Option<bool>,
    /// last_seen, first_seen, confidence or event_date; a `-` prefix sorts descending. Default `-last_seen`.
    #[param(pattern = "^[-+]?(last_seen|first_seen|confidence|event_date)$")]
    sort: Option<String>,
    /// Page size, 1..500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_are_400_problems_naming_them() {
        let pairs = vec![("limit".to_string(), "0".to_string())];
        let p: Problem = Filter::parse(&pairs)
            .map(|_| ())
            .map_err(Problem::from)
            .unwrap_err();
        assert_eq!(p.status, 400);
        assert_eq!(p.param.as_deref(), Some("limit"));
    }
}
