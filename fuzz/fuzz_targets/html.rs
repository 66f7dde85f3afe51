//! Fuzz target `html`: the scraper's HTML readers. The first line of the
//! input is a selector set (`item|title|link|text|published`, each a CSS
//! selector, optionally `@attr`), the rest an HTML page read with it; the
//! same page goes through the article extractor (main text of a linked
//! page). Invariants: no panic (a bad selector is an error, not a crash);
//! no more items than elements the input can make; main text within its byte
//! budget and valid UTF-8 by construction.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scraping_specialist::parse::{article, html};
use swarm_proto::v1::HtmlSelectors;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let head = String::from_utf8_lossy(head);
    let mut fields = head.split('|').map(str::to_string);
    let selectors = HtmlSelectors {
        item: fields.next().unwrap_or_default(),
        title: fields.next().unwrap_or_default(),
        link: fields.next().unwrap_or_default(),
        text: fields.next().unwrap_or_default(),
        published: fields.next().unwrap_or_default(),
    };
    if let Ok(items) = html::parse(&selectors, "https://outlet.example.test/news/", body) {
        // every item is an element: one the input spells (at least two
        // bytes, `<p`), or one of the parser's implicit html/head/body
        assert!(items.len() <= body.len() / 2 + 3, "{} items", items.len());
        for item in &items {
            assert!(!item.url.contains('#'), "fragment kept: {}", item.url);
        }
    }
    for max in [0, 64, 20 * 1024] {
        let text = article::main_text(body, max);
        assert!(
            text.len() <= max,
            "{} bytes over a budget of {max}",
            text.len()
        );
    }
});
