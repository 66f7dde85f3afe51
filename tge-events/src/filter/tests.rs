//! Parsing and cursors of list parameters.

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
        assert_eq!(p.param, name, "{name}={value}: {}", p.detail);
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
