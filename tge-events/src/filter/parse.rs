//! Parsing of list parameters (`GET /tges` query pairs): each checked on
//! its own, every bad value gets its own message, unknown names rejected.

use super::{Error, Filter, MAX_LIMIT, STATUSES, SortField, cursor::decode};
use crate::calendar;
use crate::keys::{project_key, symbol_key};

const DEFAULT_LIMIT: u32 = 50;

/// Names of the accepted parameters.
pub const KNOWN: [&str; 14] = [
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

fn instant(param: &str, value: &str) -> Result<i64, Error> {
    calendar::parse_instant(value).ok_or_else(|| {
        Error::new(
            param,
            format!("`{param}` must be an RFC 3339 time (2027-03-01T12:00:00Z) or a date (2027-03-01); got `{value}`"),
        )
    })
}

fn day(param: &str, value: &str) -> Result<String, Error> {
    calendar::parse_date(value)
        .map(|_| value.to_string())
        .ok_or_else(|| {
            Error::new(
                param,
                format!("`{param}` must be a date YYYY-MM-DD; got `{value}`"),
            )
        })
}

fn non_empty(param: &str, value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.is_empty() || value.len() > 200 {
        return Err(Error::new(
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
    /// An error naming the first bad or unknown parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Error> {
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
                return Err(Error::new(
                    name,
                    format!("unknown parameter `{name}`; known: {}", KNOWN.join(", ")),
                ));
            }
            if !seen.insert(name.as_str()) {
                return Err(Error::new(
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
                            return Err(Error::new(
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
                        Error::new(
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
                            return Err(Error::new(
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
                            return Err(Error::new(
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
                            Error::new(
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
            return Err(Error::new("date_to", "`date_to` is before `date_from`"));
        }
        if let (Some(a), Some(b)) = (f.since_us, f.until_us)
            && a > b
        {
            return Err(Error::new("until", "`until` is before `since`"));
        }
        if let Some(cursor) = cursor {
            f.after = Some(decode(&cursor, f.sort, f.descending)?);
        }
        Ok(f)
    }
}
