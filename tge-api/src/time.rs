//! Dates and times of the API without a calendar crate: RFC 3339 output
//! from unix microseconds, parsing of `since`/`until` and date filters, and
//! the start day of an event period (same rule as the SQL `tge_event_start`).

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `2027-03-01T12:00:00.123456Z` from unix microseconds.
pub fn rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{frac:06}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// A valid `YYYY-MM-DD` as (year, month, day).
pub fn parse_date(text: &str) -> Option<(i64, i64, i64)> {
    let mut parts = text.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (number(y)?, number(m)?, number(d)?);
    ((1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d)).then_some((y, m, d))
}

/// Unix microseconds of `YYYY-MM-DD` (midnight UTC) or of an RFC 3339 time
/// in UTC (`YYYY-MM-DDTHH:MM:SS[.frac]Z` or with a `±HH:MM` offset).
pub fn parse_instant(text: &str) -> Option<i64> {
    let (date, rest) = match text.split_once(['T', 't', ' ']) {
        Some((date, rest)) => (date, Some(rest)),
        None => (text, None),
    };
    let (y, m, d) = parse_date(date)?;
    let day_micros = days_from_civil(y, m, d) * 86_400_000_000;
    let Some(rest) = rest else {
        return Some(day_micros);
    };
    let (clock, offset_secs) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (oh, om) = offset[1..].split_once(':')?;
        let (oh, om) = (number(oh)?, number(om)?);
        if oh > 23 || om > 59 {
            return None;
        }
        (clock, sign * (oh * 3600 + om * 60))
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':');
    let (h, mi, s) = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    if parts.next().is_some() || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let frac_micros = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(6).collect();
        number(&digits)? * 10_i64.pow(6 - digits.len() as u32)
    };
    Some(day_micros + ((h * 3600 + mi * 60 + s - offset_secs) * 1_000_000) + frac_micros)
}

/// First day (`YYYY-MM-DD`) of an event period: a day, a month
/// (`2027-03`) or a quarter (`2027-Q2`); `None` for anything else.
pub fn event_start(event_date: &str) -> Option<String> {
    if parse_date(event_date).is_some() {
        return Some(event_date.to_string());
    }
    let (y, rest) = event_date.split_once('-')?;
    let year = (y.len() == 4).then(|| number(y)).flatten()?;
    if let Some(q) = rest.strip_prefix('Q') {
        let q = number(q).filter(|q| (1..=4).contains(q) && rest.len() == 2)?;
        return Some(format!("{year:04}-{:02}-01", (q - 1) * 3 + 1));
    }
    let month = (rest.len() == 2).then(|| number(rest)).flatten()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{year:04}-{month:02}-01"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let t = parse_instant("2027-03-01T12:34:56.789Z").unwrap();
        assert_eq!(rfc3339(t), "2027-03-01T12:34:56.789000Z");
        assert_eq!(
            parse_instant("2027-03-01T14:34:56.789+02:00"),
            Some(t),
            "offsets are applied"
        );
        assert_eq!(parse_instant("1970-01-01"), Some(0));
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(parse_instant("2027-02-29"), None, "not a leap year");
        assert_eq!(
            parse_instant("2028-02-29").map(rfc3339).unwrap(),
            "2028-02-29T00:00:00.000000Z"
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("2027-03-01T25:00:00Z"), None);
    }

    #[test]
    fn event_periods_start_on_their_first_day() {
        assert_eq!(event_start("2027-03-05").as_deref(), Some("2027-03-05"));
        assert_eq!(event_start("2027-03").as_deref(), Some("2027-03-01"));
        assert_eq!(event_start("2027-Q3").as_deref(), Some("2027-07-01"));
        assert_eq!(event_start("2027-Q5"), None);
        assert_eq!(event_start("2027-02-30"), None);
        assert_eq!(event_start("soon"), None);
    }
}
