//! Fuzz target `json_mapping`: the scraper's JSON API / WebSocket reader.
//! The first line of the input is a field mapping (`items|id|title|url|
//! text|published|language`, JSON Pointers), the rest a body read with it;
//! the body also goes through the X recent-search mapping and the X
//! helpers (next page token, post links). Invariants: no panic; no more
//! items than input bytes; canonical item URLs without a fragment; post
//! links only to URLs that parse as http(s).

#![no_main]

use libfuzzer_sys::fuzz_target;
use scraping_specialist::parse::json;
use scraping_specialist::x_search;
use swarm_proto::v1::JsonMapping;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let head = String::from_utf8_lossy(head);
    let mut fields = head.split('|').map(str::to_string);
    let mapping = JsonMapping {
        items: fields.next().unwrap_or_default(),
        id: fields.next().unwrap_or_default(),
        title: fields.next().unwrap_or_default(),
        url: fields.next().unwrap_or_default(),
        text: fields.next().unwrap_or_default(),
        published: fields.next().unwrap_or_default(),
        language: fields.next().unwrap_or_default(),
    };
    for mapping in [mapping, json::x_search_mapping()] {
        if let Ok(items) = json::parse(&mapping, body) {
            assert!(
                items.len() <= body.len(),
                "{} items from {} bytes",
                items.len(),
                body.len()
            );
            for item in &items {
                assert!(!item.url.contains('#'), "fragment kept: {}", item.url);
            }
        }
    }
    if let Some(token) = x_search::next_token(body) {
        assert!(!token.is_empty());
    }
    // a post's link is a web page: it parses as an http(s) URL (the text
    // may be spelled loosely, `https:1/x`; the fetcher reads it parsed)
    for link in x_search::links(body).values() {
        let scheme = reqwest::Url::parse(link).map(|u| u.scheme().to_string());
        assert!(
            matches!(scheme.as_deref(), Ok("http" | "https")),
            "{link}: {scheme:?}"
        );
    }
});
