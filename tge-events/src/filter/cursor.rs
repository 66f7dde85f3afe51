//! The opaque pagination cursor: the sort, its direction and the sort key
//! and id of the last item of the previous page, hex-encoded.

use super::{CursorKey, Error, Filter, SortField};
use crate::calendar;

impl Filter {
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
}

fn bad_cursor(detail: &str) -> Error {
    Error::new(
        "cursor",
        format!(
            "`cursor` {detail}; pass the `next_cursor` of the previous page unchanged, with the same `sort`"
        ),
    )
}

pub(super) fn decode(text: &str, sort: SortField, desc: bool) -> Result<(CursorKey, i64), Error> {
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
            calendar::parse_date(value).ok_or_else(|| bad_cursor("is malformed"))?;
            CursorKey::Date(value.to_string())
        }
    };
    Ok((key, id))
}
