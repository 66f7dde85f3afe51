//! Fuzz target `query`: a query string of `GET /api/v1/tges` through the
//! list filter the API parses it with (`tge_api::filter::Filter` is
//! `tge_events::Filter`; the API decodes the query into pairs the same
//! way, `application/x-www-form-urlencoded`). Invariants: no panic (every
//! bad value is an error naming its parameter); an accepted filter has a
//! page size of 1..=500 and a cache key, a minimum confidence in 0..=1
//! and known status names.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tge_events::filter::{Filter, MAX_LIMIT, STATUSES};

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Ok(filter) = Filter::parse(&pairs) {
        assert!(
            (1..=MAX_LIMIT).contains(&filter.limit),
            "limit {}",
            filter.limit
        );
        let _ = filter.cache_key();
        if let Some(min) = filter.min_confidence {
            assert!((0.0..=1.0).contains(&min), "min_confidence {min}");
        }
        for status in &filter.statuses {
            assert!(STATUSES.contains(&status.as_str()), "status {status}");
        }
    }
});
