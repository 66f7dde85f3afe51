//! Parameters of `GET /tges`: parsed and checked one by one (every bad
//! value gets its own message), unknown parameters rejected, and the opaque
//! pagination cursor.

use serde::Deserialize;
use swarm_types::{project_key, symbol_key};
use utoipa::IntoParams;

use crate::problem::Problem;
use crate::time;

/// Event statuses.
pub const STATUSES: [&str; 5] = ["announced", "scheduled", "live", "postponed", "cancelled"];
/// Largest page.
pub const MAX_LIMIT: u32 = 500;
const DEFAULT_LIMIT: u32 = 50;

/// Sort keys of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    LastSeen,
    FirstSeen,
    Confidence,
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
    Confidence(f64),
    /// Start day of the event period (`9999-12-31` when unknown).
    Date(String),
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub project: Option<String>,
    pub project_prefix: Option<String>,
    pub symbol: Option<String>,
    pub statuses: Vec<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub since_us: Option<i64>,
    pub until_us: Option<i64>,
    pub min_confidence: Option<f64>,
    pub source_kind: Option<String>,
    pub watchlist: bool,
    pub sort: SortField,
    pub descending: bool,
    pub after: Option<(CursorKey, i64)>,
    pub limit: u32,
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
    min_confidence: Option<f64>,
    /// Only events with evidence from this kind of source (rss, api, ...).
    source_kind: Option<String>,
    /// Only watchlist projects (`true`).
    watchlist: Option<bool>,
    /// last_seen, first_seen, confidence or event_date; a `-` prefix sorts descending. Default `-last_seen`.
    sort: Option<String>,
    /// Page size, 1..500 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

const KNOWN: [&str; 14] = [
    "project",
    "project_prefix",
    "symbol",
    "status",
    "date_from",
    "date_to",
    "since",
    "until",
    "min_confidence",
    "source_kind",
    "watchlist",
    "sort",
    "limit",
    "cursor",
];

fn instant(param: &str, value: &str) -> Result<i64, Problem> {
    time::parse_instant(value).ok_or_else(|| {
        Problem::bad_param(
            param,
            format!("`{param}` must be an RFC 3339 time (2027-03-01T12:00:00Z) or a date (2027-03-01); got `{value}`"),
        )
    })
}

fn day(param: &str, value: &str) -> Result<String, Problem> {
    time::parse_date(value)
        .map(|_| value.to_string())
        .ok_or_else(|| {
            Problem::bad_param(
                param,
                format!("`{param}` must be a date YYYY-MM-DD; got `{value}`"),
            )
        })
}

fn non_empty(param: &str, value: &str) -> Result<String, Problem> {
    let value = value.trim();
    if value.is_empty() || value.len() > 200 {
        return Err(Problem::bad_param(
            param,
            format!("`{param}` must be 1 to 200 characters"),
        ));
    }
    Ok(value.to_string())
}

impl Filter {
    /// Parses query pairs.
    ///
    /// # Errors
    ///
    /// A 400 problem naming the first bad or unknown parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Problem> {
        let mut f = Filter {
            project: None,
            project_prefix: None,
            symbol: None,
            statuses: Vec::new(),
            date_from: None,
            date_to: None,
            since_us: None,
            until_us: None,
            min_confidence: None,
            source_kind: None,
            watchlist: false,
            sort: SortField::LastSeen,
            descending: true,
            after: None,
            limit: DEFAULT_LIMIT,
        };
        let mut cursor = None;
        let mut seen = std::collections::HashSet::new();
        for (name, value) in pairs {
            if !KNOWN.contains(&name.as_str()) {
                return Err(Problem::bad_param(
                    name,
                    format!("unknown parameter `{name}`; known: {}", KNOWN.join(", ")),
                ));
            }
            if !seen.insert(name.as_str()) {
                return Err(Problem::bad_param(
                    name,
                    format!("`{name}` is given more than once"),
                ));
            }
            let v = value.as_str();
            match name.as_str() {
                "project" => f.project = Some(project_key(&non_empty(name, v)?)),
                "project_prefix" => f.project_prefix = Some(project_key(&non_empty(name, v)?)),
                "symbol" => f.symbol = Some(symbol_key(Some(&non_empty(name, v)?))),
                "status" => {
                    for s in v.split(',').map(str::trim) {
                        if !STATUSES.contains(&s) {
                            return Err(Problem::bad_param(
                                name,
                                format!("unknown status `{s}`; expected {}", STATUSES.join(", ")),
                            ));
                        }
                        f.statuses.push(s.to_string());
                    }
                }
                "date_from" => f.date_from = Some(day(name, v)?),
                "date_to" => f.date_to = Some(day(name, v)?),
                "since" => f.since_us = Some(instant(name, v)?),
                "until" => f.until_us = Some(instant(name, v)?),
                "min_confidence" => {
                    let c = v.parse::<f64>().ok().filter(|c| (0.0..=1.0).contains(c));
                    f.min_confidence = Some(c.ok_or_else(|| {
                        Problem::bad_param(
                            name,
                            format!("`min_confidence` must be a number from 0 to 1; got `{v}`"),
                        )
                    })?);
                }
                "source_kind" => f.source_kind = Some(non_empty(name, v)?.to_lowercase()),
                "watchlist" => {
                    f.watchlist = match v {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(Problem::bad_param(
                                name,
                                format!("`watchlist` must be true or false; got `{v}`"),
                            ));
                        }
                    }
                }
                "sort" => {
                    let (desc, field) = match v.strip_prefix('-') {
                        Some(field) => (true, field),
                        None => (false, v.strip_prefix('+').unwrap_or(v)),
                    };
                    f.sort = match field {
                        "last_seen" => SortField::LastSeen,
                        "first_seen" => SortField::FirstSeen,
                        "confidence" => SortField::Confidence,
                        "event_date" => SortField::EventDate,
                        _ => {
                            return Err(Problem::bad_param(
                                name,
                                format!(
                                    "cannot sort by `{field}`; expected last_seen, first_seen, confidence or event_date, optionally prefixed with `-` (descending)"
                                ),
                            ));
                        }
                    };
                    f.descending = desc;
                }
                "limit" => {
                    f.limit = v
                        .parse::<u32>()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| {
                            Problem::bad_param(
                                name,
                                format!(
                                    "`limit` must be an integer from 1 to {MAX_LIMIT}; got `{v}`"
                                ),
                            )
                        })?;
                }
                "cursor" => cursor = Some(v.to_string()),
                _ => {}
            }
        }
        if let (Some(a), Some(b)) = (&f.date_from, &f.date_to)
            && a > b
        {
            return Err(Problem::bad_param(
                "date_to",
                "`date_to` is before `date_from`",
            ));
        }
        if let (Some(a), Some(b)) = (f.since_us, f.until_us)
            && a > b
        {
            return Err(Problem::bad_param("until", "`until` is before `since`"));
        }
        if let Some(cursor) = cursor {
            f.after = Some(decode_cursor(&cursor, f.sort, f.descending)?);
        }
        Ok(f)
    }

    /// The cursor after `key`/`id` for this sort.
    pub fn cursor(&self, key: &CursorKey, id: i64) -> String {
        let value = match key {
            CursorKey::Time(t) => t.to_string(),
            CursorKey::Confidence(c) => c.to_bits().to_string(),
            CursorKey::Date(d) => d.clone(),
        };
        let raw = format!(
            "{}|{}|{value}|{id}",
            self.sort.name(),
            if self.descending { "d" } else { "a" }
        );
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// A canonical text of the request (cache key).
    pub fn cache_key(&self) -> String {
        format!("{self:?}")
    }
}

fn bad_cursor(detail: &str) -> Problem {
    Problem::bad_param(
        "cursor",
        format!(
            "`cursor` {detail}; pass the `next_cursor` of the previous page unchanged, with the same `sort`"
        ),
    )
}

fn decode_cursor(text: &str, sort: SortField, desc: bool) -> Result<(CursorKey, i64), Problem> {
    if !text.len().is_multiple_of(2) || text.len() > 400 {
        return Err(bad_cursor("is malformed"));
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad_cursor("is malformed"))?;
    let raw = String::from_utf8(bytes).map_err(|_| bad_cursor("is malformed"))?;
    let parts: Vec<&str> = raw.split('|').collect();
    let [field, dir, value, id] = parts[..] else {
        return Err(bad_cursor("is malformed"));
    };
    if field != sort.name() || dir != if desc { "d" } else { "a" } {
        return Err(bad_cursor("belongs to another sort order"));
    }
    let id = id.parse().map_err(|_| bad_cursor("is malformed"))?;
    let key = match sort {
        SortField::LastSeen | SortField::FirstSeen => {
            CursorKey::Time(value.parse().map_err(|_| bad_cursor("is malformed"))?)
        }
        SortField::Confidence => CursorKey::Confidence(f64::from_bits(
            value.parse().map_err(|_| bad_cursor("is malformed"))?,
        )),
        SortField::EventDate => {
            time::parse_date(value).ok_or_else(|| bad_cursor("is malformed"))?;
            CursorKey::Date(value.to_string())
        }
    };
    Ok((key, id))
}

/// The sort key of `event` under `sort`.
pub fn key_of(event: &crate::model::Event, sort: SortField) -> CursorKey {
    match sort {
        SortField::LastSeen => CursorKey::Time(event.last_seen_us),
        SortField::FirstSeen => CursorKey::Time(event.first_seen_us),
        SortField::Confidence => CursorKey::Confidence(event.confidence),
        SortField::EventDate => CursorKey::Date(
            event
                .event_date
                .as_deref()
                .and_then(time::event_start)
                .unwrap_or_else(|| "9999-12-31".into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn every_bad_parameter_is_named() {
        for (name, value) in [
            ("limit", "0"),
            ("limit", "x"),
            ("min_confidence", "2"),
            ("status", "rumoured"),
            ("since", "last week"),
            ("date_from", "2027-13-01"),
            ("sort", "price"),
            ("watchlist", "maybe"),
            ("cursor", "zz"),
            ("colour", "red"),
        ] {
            let p = Filter::parse(&pairs(&[(name, value)])).unwrap_err();
            assert_eq!(p.status, 400);
            assert_eq!(
                p.param.as_deref(),
                Some(name),
                "{name}={value}: {}",
                p.detail
            );
        }
    }

    #[test]
    fn cursors_round_trip_and_stay_with_their_sort() {
        let f = Filter::parse(&pairs(&[("sort", "-confidence")])).unwrap();
        let c = f.cursor(&CursorKey::Confidence(0.3), 7);
        let g = Filter::parse(&pairs(&[("sort", "-confidence"), ("cursor", &c)])).unwrap();
        assert_eq!(g.after, Some((CursorKey::Confidence(0.3), 7)));
        let wrong = Filter::parse(&pairs(&[("sort", "confidence"), ("cursor", &c)])).unwrap_err();
        assert!(wrong.detail.contains("another sort"), "{}", wrong.detail);
    }
}
