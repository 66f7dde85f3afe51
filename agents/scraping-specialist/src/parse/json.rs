//! JSON API bodies and WebSocket messages into items, by a field mapping
//! of JSON Pointers (RFC 6901). An item without text is skipped; a body
//! that is not JSON, or whose `items` pointer leads nowhere, is an error.

use serde_json::Value;
use swarm_proto::v1::JsonMapping;

use super::{Item, Malformed, canonical, epoch_number, parse_time, strip_markup};

/// The mapping of an X (Twitter) v2 recent-search answer.
pub fn x_search_mapping() -> JsonMapping {
    JsonMapping {
        items: "/data".into(),
        id: "/id".into(),
        title: String::new(),
        url: String::new(),
        text: "/text".into(),
        published: "/created_at".into(),
        language: "/lang".into(),
    }
}

/// Parses `body` with `mapping`.
///
/// # Errors
///
/// Not JSON, or no array/object where `mapping.items` points.
pub fn parse(mapping: &JsonMapping, body: &[u8]) -> Result<Vec<Item>, Malformed> {
    let document: Value =
        serde_json::from_slice(body).map_err(|e| Malformed(format!("JSON: {e}")))?;
    let found = if mapping.items.is_empty() {
        Some(&document)
    } else {
        document.pointer(&mapping.items)
    };
    let items: Vec<&Value> = match found {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(object @ Value::Object(_)) => vec![object],
        // an API answering "no results" often leaves the array out
        None | Some(Value::Null) if !mapping.items.is_empty() && document.is_object() => Vec::new(),
        _ => {
            return Err(Malformed(format!(
                "JSON: no array of items at `{}`",
                mapping.items
            )));
        }
    };
    Ok(items.into_iter().filter_map(|v| item(mapping, v)).collect())
}

fn field<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    if pointer.is_empty() {
        return None;
    }
    value.pointer(pointer).filter(|v| !v.is_null())
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn item(mapping: &JsonMapping, value: &Value) -> Option<Item> {
    let text_field = |pointer: &str| field(value, pointer).and_then(text_of);
    let title = text_field(&mapping.title)
        .map(|t| strip_markup(&t))
        .unwrap_or_default();
    let text = text_field(&mapping.text)
        .map(|t| strip_markup(&t))
        .unwrap_or_default();
    if title.is_empty() && text.is_empty() {
        return None;
    }
    let id = text_field(&mapping.id);
    let url = text_field(&mapping.url);
    let guid = id.clone().or_else(|| url.clone())?;
    let published_unix_ms = field(value, &mapping.published).and_then(|v| match v {
        Value::Number(n) => n.as_i64().map(epoch_number),
        Value::String(s) => parse_time(s),
        _ => None,
    });
    Some(Item {
        url: canonical(url.as_deref().unwrap_or(&guid)),
        guid,
        title,
        text,
        published_unix_ms,
        language: text_field(&mapping.language).filter(|l| l != "und"),
        link: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> JsonMapping {
        JsonMapping {
            items: "/data/articles".into(),
            id: "/code".into(),
            title: "/title".into(),
            url: "/links/web".into(),
            text: "/body".into(),
            published: "/releaseDate".into(),
            language: String::new(),
        }
    }

    #[test]
    fn maps_fields_and_skips_unusable_items() {
        let body = br#"{"data":{"articles":[
            {"code":"n-1","title":"Listing: <b>Fennel (FNL)</b>","links":{"web":"https://ex.test/n-1#x"},
             "body":"Trading opens 2027-02-01","releaseDate":1801440000000},
            {"code":"n-2","title":"","body":null},
            {"title":"no id and no url"},
            {"code":7,"body":"numeric id","releaseDate":"2027-02-01T10:00:00Z"},
            "not an object"
        ]}}"#;
        let items = parse(&mapping(), body).unwrap();
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0].guid, "n-1");
        assert_eq!(items[0].url, "https://ex.test/n-1");
        assert_eq!(items[0].title, "Listing: Fennel (FNL)");
        assert_eq!(items[0].published_unix_ms, Some(1_801_440_000_000));
        assert_eq!(items[1].guid, "7");
        assert_eq!(items[1].url, "7", "no url: the id stands in");
        assert_eq!(items[1].published_unix_ms, Some(1_801_476_000_000));
    }

    #[test]
    fn a_single_object_is_one_item_and_seconds_are_read() {
        let m = JsonMapping {
            items: String::new(),
            id: "/id".into(),
            text: "/msg".into(),
            published: "/ts".into(),
            ..JsonMapping::default()
        };
        let items = parse(&m, br#"{"id":"w1","msg":"Claim is live","ts":1801440000}"#).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].published_unix_ms, Some(1_801_440_000_000));
    }

    #[test]
    fn x_search_answers_are_read() {
        let body = br#"{"data":[{"id":"1866","text":"Our TGE is live","created_at":"2027-01-05T12:00:00.000Z","lang":"en"}],"meta":{"newest_id":"1866"}}"#;
        let items = parse(&x_search_mapping(), body).unwrap();
        assert_eq!(items[0].text, "Our TGE is live");
        assert_eq!(items[0].language.as_deref(), Some("en"));
        let empty = parse(&x_search_mapping(), br#"{"meta":{"result_count":0}}"#).unwrap();
        assert!(empty.is_empty(), "no results is not an error");
    }

    #[test]
    fn bad_bodies_are_errors() {
        assert!(parse(&mapping(), b"<html>").is_err());
        assert!(parse(&mapping(), b"\xff\xfe{").is_err());
        assert!(parse(&mapping(), br#"{"data":{"articles":"text"}}"#).is_err());
        assert!(
            parse(&mapping(), br#"[1,2]"#).is_err(),
            "array where an object was expected"
        );
    }
}
