//! Dates and times of events (chrono): RFC 3339 output from unix
//! microseconds, parsing of instants and days, and the start day of an
//! event period (a day, a month or a quarter).

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat};

/// `2027-03-01T12:00:00.123456Z` from unix microseconds (the epoch if out
/// of range).
pub fn rfc3339(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A valid `YYYY-MM-DD`, exactly that form.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// Unix microseconds of `YYYY-MM-DD` (midnight UTC) or of an RFC 3339 time
/// (`YYYY-MM-DDTHH:MM:SS[.frac]Z` or with a `±HH:MM` offset).
pub fn parse_instant(text: &str) -> Option<i64> {
    if let Some(day) = parse_date(text) {
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros());
    }
    let time = DateTime::parse_from_rfc3339(text).ok()?;
    parse_date(text.get(..10)?)?;
    Some(time.timestamp_micros())
}

/// First day (`YYYY-MM-DD`) of an event period: a day, a month
/// (`2027-03`) or a quarter (`2027-Q2`); `None` for anything else.
pub fn event_start(event_date: &str) -> Option<String> {
    period_start(event_date).map(|d| d.format("%Y-%m-%d").to_string())
}

/// [`event_start`] as a date.
pub fn period_start(event_date: &str) -> Option<NaiveDate> {
    if let Some(day) = parse_date(event_date) {
        return Some(day);
    }
    let (y, rest) = event_date.split_once('-')?;
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) || rest.len() != 2 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let month = match rest.strip_prefix('Q') {
        Some(q) => (q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))? - 1) * 3 + 1,
        None if rest.bytes().all(|b| b.is_ascii_digit()) => rest.parse().ok()?,
        None => return None,
    };
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    (start.month() == month).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let t = parse_instant("2027-03-01T12:34:56.789Z").unwrap();
        assert_eq!(rfc3339(t), "2027-03-01T12:34:56.789000Z");
        assert_eq!(parse_instant("2027-03-01T14:34:56.789+02:00"), Some(t));
        assert_eq!(parse_instant("1970-01-01"), Some(0));
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(parse_instant("2027-02-29"), None, "not a leap year");
        assert_eq!(
            parse_instant("2028-02-29").map(rfc3339).unwrap(),
            "2028-02-29T00:00:00.000000Z"
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("2027-03-01T25:00:00Z"), None);
        assert_eq!(parse_date("2027-3-01"), None);
        assert_eq!(parse_date("+2027-03-01"), None);
    }

    #[test]
    fn event_periods_start_on_their_first_day() {
        assert_eq!(event_start("2027-03-05").as_deref(), Some("2027-03-05"));
        assert_eq!(event_start("2027-03").as_deref(), Some("2027-03-01"));
        assert_eq!(event_start("2027-Q3").as_deref(), Some("2027-07-01"));
        assert_eq!(event_start("2027-Q5"), None);
        assert_eq!(event_start("2027-13"), None);
        assert_eq!(event_start("2027-02-30"), None);
        assert_eq!(event_start("soon"), None);
    }
}
