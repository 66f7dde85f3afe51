//! Fuzz target `feeds`: arbitrary bytes as an RSS 2.0 / Atom / JSON Feed
//! body through the scraper's feed parser, and its text helpers (markup
//! stripping, canonical URLs, publication times, char-boundary prefixes).
//! Invariants: no panic; no more items than input bytes; item text never
//! larger than the input allows (entities only shrink, markup is removed);
//! canonical URLs without a fragment; prefixes within their byte budget
//! and on char boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scraping_specialist::parse::{canonical, feed, parse_time, prefix, strip_markup};

fuzz_target!(|data: &[u8]| {
    if let Ok(items) = feed::parse(data) {
        assert!(
            items.len() <= data.len(),
            "{} items from {} bytes",
            items.len(),
            data.len()
        );
        // decoded text can outgrow its source only by replacement chars
        // for invalid UTF-8 (3 bytes per byte) and spaces between tags
        let budget = data.len() * 4 + 64;
        for item in &items {
            assert!(
                item.title.len() <= budget,
                "title of {} bytes",
                item.title.len()
            );
            assert!(
                item.text.len() <= budget,
                "text of {} bytes",
                item.text.len()
            );
        }
    }
    let text = String::from_utf8_lossy(data);
    let stripped = strip_markup(&text);
    assert!(stripped.len() <= text.len(), "stripping grew the text");
    let url = canonical(&text);
    assert!(!url.contains('#'), "fragment kept: {url}");
    let _ = parse_time(&text);
    for budget in [0, 1, 7, data.len() / 2] {
        let head = prefix(&text, budget);
        assert!(head.len() <= budget && text.starts_with(head));
    }
});
