//! HTML pages into items by CSS selectors: `item` selects each item, the
//! field selectors are relative to it and may end in `@attr` to read an
//! attribute (`a@href`, `time@datetime`). Links are resolved against the
//! page URL; invalid UTF-8 is replaced, not fatal.

use scraper::{ElementRef, Html, Selector};
use swarm_proto::v1::HtmlSelectors;

use super::{Item, Malformed, canonical, parse_time};

/// A field selector: CSS plus an optional attribute.
struct Field {
    selector: Option<Selector>,
    attribute: Option<String>,
}

impl Field {
    fn parse(spec: &str) -> Result<Option<Self>, Malformed> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Ok(None);
        }
        let (css, attribute) = match spec.rsplit_once('@') {
            Some((css, attr)) if !attr.contains(|c: char| c.is_whitespace() || c == ']') => {
                (css.trim(), Some(attr.to_string()))
            }
            _ => (spec, None),
        };
        let selector = if css.is_empty() {
            None // `@href`: the item element itself
        } else {
            Some(selector(css)?)
        };
        Ok(Some(Self {
            selector,
            attribute,
        }))
    }

    fn read(&self, item: ElementRef<'_>) -> Option<String> {
        let element = match &self.selector {
            Some(s) => item.select(s).next()?,
            None => item,
        };
        let value = match &self.attribute {
            Some(attr) => element.value().attr(attr)?.to_string(),
            None => element.text().collect::<String>(),
        };
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        (!value.is_empty()).then_some(value)
    }
}

fn selector(css: &str) -> Result<Selector, Malformed> {
    Selector::parse(css).map_err(|e| Malformed(format!("CSS selector `{css}`: {e}")))
}

/// Parses the page `body` fetched from `page_url` with `selectors`.
///
/// # Errors
///
/// A selector that does not parse (a configuration error, reported as
/// the source's error).
pub fn parse(
    selectors: &HtmlSelectors,
    page_url: &str,
    body: &[u8],
) -> Result<Vec<Item>, Malformed> {
    let item_selector = selector(if selectors.item.trim().is_empty() {
        "article"
    } else {
        &selectors.item
    })?;
    let title = Field::parse(&selectors.title)?;
    let link = Field::parse(if selectors.link.is_empty() {
        "a@href"
    } else {
        &selectors.link
    })?;
    let text = Field::parse(&selectors.text)?;
    let published = Field::parse(&selectors.published)?;
    let base = reqwest::Url::parse(page_url).ok();
    let page = Html::parse_document(&String::from_utf8_lossy(body));
    let language = selector("html[lang]")
        .ok()
        .and_then(|s| page.select(&s).next())
        .and_then(|e| e.value().attr("lang"))
        .map(str::to_string);
    let read = |field: &Option<Field>, item| field.as_ref().and_then(|f| f.read(item));
    Ok(page
        .select(&item_selector)
        .filter_map(|item| {
            let title = read(&title, item).unwrap_or_default();
            let text = match &text {
                Some(field) => field.read(item).unwrap_or_default(),
                None if title.is_empty() => item.text().collect::<String>(),
                None => String::new(),
            };
            if title.is_empty() && text.is_empty() {
                return None;
            }
            let href = read(&link, item)?;
            let url = match &base {
                Some(base) => base.join(&href).ok()?.to_string(),
                None => href,
            };
            let url = canonical(&url);
            Some(Item {
                guid: url.clone(),
                url,
                title,
                text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                published_unix_ms: read(&published, item).and_then(|t| parse_time(&t)),
                language: language.clone(),
                link: None,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = br#"<!doctype html><html lang="en"><body>
      <ul class="notices">
        <li class="notice"><a href="/n/501#top"><h3>Will list  Marlin (MRL)</h3></a>
            <p class="lede">Deposits open <b>today</b>.</p><time datetime="2027-03-01T09:00:00Z">1 Mar</time></li>
        <li class="notice"><a href="https://other.test/n/502"><h3>Maintenance notice</h3></a></li>
        <li class="notice"><h3>No link, skipped</h3></li>
        <li class="notice"><a href="/n/503"></a></li>
      </ul><script>var x = "<li class='notice'>";</script></body></html>"#;

    fn selectors() -> HtmlSelectors {
        HtmlSelectors {
            item: "li.notice".into(),
            title: "h3".into(),
            link: "a@href".into(),
            text: "p.lede".into(),
            published: "time@datetime".into(),
        }
    }

    #[test]
    fn selects_items_and_resolves_links() {
        let items = parse(&selectors(), "https://exchange.test/support/list", PAGE).unwrap();
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0].url, "https://exchange.test/n/501");
        assert_eq!(items[0].title, "Will list Marlin (MRL)");
        assert_eq!(items[0].text, "Deposits open today.");
        assert_eq!(items[0].published_unix_ms, Some(1_803_891_600_000));
        assert_eq!(items[1].url, "https://other.test/n/502");
        assert_eq!(items[1].text, "");
        assert_eq!(items[0].language.as_deref(), Some("en"));
    }

    #[test]
    fn bad_selectors_are_errors_and_bad_bytes_are_not() {
        let mut bad = selectors();
        bad.item = "li[".into();
        let error = parse(&bad, "https://exchange.test/", PAGE).unwrap_err();
        assert!(error.to_string().contains("CSS selector"), "{error}");
        let garbage = parse(
            &selectors(),
            "https://exchange.test/",
            b"\xff\xfe<li class=notice>\x00",
        );
        assert!(garbage.unwrap().is_empty());
    }
}
