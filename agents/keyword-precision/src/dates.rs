//! The event date an announcement gives, with its precision, resolved
//! against the document's publish time.

use regex::Regex;
use serde::Serialize;

/// How precise a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// A calendar day (`2027-03-04`).
    Day,
    /// A month (`2027-03`).
    Month,
    /// A quarter (`2027-Q1`).
    Quarter,
    /// No date found.
    Unknown,
}

/// A date found in a text: ISO day (`2027-03-04`), month (`2027-03`),
/// quarter (`2027-Q1`), or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDate {
    /// The date in ISO form, `None` when none was found.
    pub value: Option<String>,
    /// How precise `value` is.
    pub precision: Precision,
}

impl EventDate {
    /// No date.
    pub fn unknown() -> Self {
        Self {
            value: None,
            precision: Precision::Unknown,
        }
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Date patterns, compiled once.
pub struct DateFinder {
    iso: Regex,
    month_day: Regex,
    day_month: Regex,
    month_year: Regex,
    quarter: Regex,
    relative: Regex,
}

fn month_index(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| lower.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// Unix ms of the start (UTC) of an ISO day `YYYY-MM-DD`.
pub fn parse_iso_day(day: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// (year, month, day) of a unix time in milliseconds (UTC).
pub fn civil(ms: i64) -> (i64, u32, u32) {
    let days = ms.div_euclid(86_400_000);
    // Howard Hinnant's days-from-civil inverse
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl DateFinder {
    /// Compiles the patterns.
    ///
    /// # Panics
    ///
    /// Never: the patterns are fixed and valid.
    pub fn new() -> Self {
        let month = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";
        let re = |p: &str| crate::patterns::compile(&format!("(?i){p}"));
        Self {
            iso: re(r"\b(20\d\d)-(\d\d)-(\d\d)\b"),
            month_day: re(&format!(
                r"\b{month}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(20\d\d))?"
            )),
            day_month: re(&format!(
                r"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{month}\b(?:,?\s+(20\d\d))?"
            )),
            month_year: re(&format!(r"\b{month}\s+(20\d\d)\b")),
            quarter: re(r"\bq([1-4])\s*(?:of\s+)?(20\d\d)\b|\b(20\d\d)\s*q([1-4])\b"),
            relative: re(r"\b(today|tonight|tomorrow)\b"),
        }
    }

    /// The most precise date in `text`; years default to the publish
    /// year (or the next one when the month has already passed).
    pub fn find(&self, text: &str, published_ms: i64) -> EventDate {
        let (py, pm, pd) = civil(published_ms);
        let year_for = |m: u32, explicit: Option<i64>| {
            explicit.unwrap_or(if m + 1 < pm { py + 1 } else { py })
        };
        if let Some(c) = self.iso.captures(text) {
            return day(&c[1], &c[2], &c[3]);
        }
        if let Some(c) = self.month_day.captures(text)
            && let (Some(m), Ok(d)) = (month_index(&c[1]), c[2].parse::<u32>())
            && (1..=31).contains(&d)
        {
            let y = year_for(m, c.get(3).and_then(|y| y.as_str().parse().ok()));
            return day(&y.to_string(), &format!("{m:02}"), &format!("{d:02}"));
        }
        if let Some(c) = self.day_month.captures(text)
            && let (Ok(d), Some(m)) = (c[1].parse::<u32>(), month_index(&c[2]))
            && (1..=31).contains(&d)
        {
            let y = year_for(m, c.get(3).and_then(|y| y.as_str().parse().ok()));
            return day(&y.to_string(), &format!("{m:02}"), &format!("{d:02}"));
        }
        if let Some(c) = self.relative.captures(text) {
            let offset = if c[1].eq_ignore_ascii_case("tomorrow") {
                1
            } else {
                0
            };
            // saturating: a publish time near i64::MAX (bad input) must not overflow
            let (y, m, d) = civil(published_ms.saturating_add(offset * 86_400_000));
            return day(&y.to_string(), &format!("{m:02}"), &format!("{d:02}"));
        }
        if let Some(c) = self.month_year.captures(text)
            && let Some(m) = month_index(&c[1])
        {
            return EventDate {
                value: Some(format!("{}-{m:02}", &c[2])),
                precision: Precision::Month,
            };
        }
        if let Some(c) = self.quarter.captures(text) {
            let (q, y) = match (c.get(1), c.get(2)) {
                (Some(q), Some(y)) => (q.as_str(), y.as_str()),
                _ => (
                    c.get(4).map_or("", |m| m.as_str()),
                    c.get(3).map_or("", |m| m.as_str()),
                ),
            };
            return EventDate {
                value: Some(format!("{y}-Q{q}")),
                precision: Precision::Quarter,
            };
        }
        let _ = pd;
        EventDate {
            value: None,
            precision: Precision::Unknown,
        }
    }
}

fn day(y: &str, m: &str, d: &str) -> EventDate {
    EventDate {
        value: Some(format!("{y}-{m}-{d}")),
        precision: Precision::Day,
    }
}

impl Default for DateFinder {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEC_1_2026: i64 = 1_796_083_200_000;

    #[test]
    fn finds_dates_with_their_precision() {
        let f = DateFinder::new();
        assert_eq!(civil(DEC_1_2026), (2026, 12, 1));
        let d = |t: &str| f.find(t, DEC_1_2026);
        assert_eq!(
            d("TGE on March 3, 2027").value.as_deref(),
            Some("2027-03-03")
        );
        assert_eq!(
            d("TGE on March 3").value.as_deref(),
            Some("2027-03-03"),
            "month passed: next year"
        );
        assert_eq!(
            d("claim opens 14th December").value.as_deref(),
            Some("2026-12-14")
        );
        assert_eq!(d("launch 2027-01-09 14:00 UTC").precision, Precision::Day);
        assert_eq!(d("token in Q2 2027").value.as_deref(), Some("2027-Q2"));
        assert_eq!(d("TGE in February 2027").value.as_deref(), Some("2027-02"));
        assert_eq!(
            d("claim goes live tomorrow").value.as_deref(),
            Some("2026-12-02")
        );
        assert_eq!(d("soon").precision, Precision::Unknown);
    }

    /// Found by the fuzzer (`infra/dev/fuzz.sh`): "tomorrow" in a text
    /// published at a time near `i64::MAX` overflowed the day offset.
    #[test]
    fn relative_dates_at_extreme_publish_times_do_not_overflow() {
        let f = DateFinder::new();
        for published in [i64::MAX, i64::MAX - 5, i64::MIN, -1] {
            for text in ["claim goes live tomorrow", "TGE today"] {
                let found = f.find(text, published);
                assert_eq!(found.precision, Precision::Day, "{text} at {published}");
            }
        }
    }
}
