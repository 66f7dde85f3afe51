//! The main text of a linked page, readability-style but small: the
//! article container the page marks (`[itemprop=articleBody]`, then
//! `<article>`, `[role=main]`, `<main>`; the one with the most text), else
//! the element holding the densest run of `<p>` text. Scripts, styles,
//! navigation, headers, footers, asides, forms and elements whose class or
//! id says share/related/newsletter/cookie are dropped; entities come
//! decoded from the HTML parser; whitespace is collapsed within a block and
//! blocks are joined by newlines; the result is capped at a char boundary.
//! Invalid UTF-8 is replaced, not fatal; a huge page is read from its start.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Node, Selector};

use super::prefix;

/// Most bytes of HTML parsed (the main text of a page is near its start).
const MAX_HTML_BYTES: usize = 2 * 1024 * 1024;
/// Least text a marked container must hold to count as the main text (an
/// empty `<article>` teaser must not hide the paragraphs).
const MIN_CONTAINER_BYTES: usize = 120;
/// Containers the page marks as its main content, most specific first.
const CONTAINERS: &[&str] = &["[itemprop=articleBody]", "article", "[role=main]", "main"];
/// Elements whose text is never main text.
const JUNK_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "button", "select", "option", "textarea", "iframe", "svg", "canvas", "object", "embed",
    "dialog", "menu",
];
/// Class or id words (split at `-`, `_`, spaces) of page furniture.
const JUNK_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "related",
    "newsletter",
    "subscribe",
    "cookie",
    "cookies",
    "consent",
    "comments",
    "comment",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "promo",
    "advert",
    "ads",
    "popup",
    "modal",
    "banner",
    "navbar",
    "menu",
];
/// Elements that end a run of text (their text is its own block).
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "br",
    "hr",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "body",
];

/// The main text of the HTML page `body`, at most `max_bytes` bytes;
/// empty when the page has none.
pub fn main_text(body: &[u8], max_bytes: usize) -> String {
    let html = String::from_utf8_lossy(&body[..body.len().min(MAX_HTML_BYTES)]);
    let page = Html::parse_document(&html);
    if let Some(text) = marked_container(&page, max_bytes) {
        return text;
    }
    densest_paragraphs(&page, max_bytes).unwrap_or_default()
}

/// The text of the marked container with the most text, if one holds
/// enough.
fn marked_container(page: &Html, max_bytes: usize) -> Option<String> {
    for css in CONTAINERS {
        let Ok(selector) = Selector::parse(css) else {
            continue;
        };
        let best = page
            .select(&selector)
            .filter(|e| !in_junk(*e))
            .map(|e| text_of(e, max_bytes))
            .max_by_key(String::len);
        if let Some(text) = best.filter(|t| t.len() >= MIN_CONTAINER_BYTES) {
            return Some(text);
        }
    }
    None
}

/// The text of the element whose `<p>` children hold the most text.
fn densest_paragraphs(page: &Html, max_bytes: usize) -> Option<String> {
    let selector = Selector::parse("p").ok()?;
    let mut scores = HashMap::new();
    for paragraph in page.select(&selector) {
        if in_junk(paragraph) {
            continue;
        }
        let Some(parent) = paragraph.parent().and_then(ElementRef::wrap) else {
            continue;
        };
        let len = text_of(paragraph, max_bytes).len();
        let entry = scores.entry(parent.id()).or_insert((parent, 0usize));
        entry.1 += len;
    }
    let (parent, score) = scores.into_values().max_by_key(|(_, score)| *score)?;
    (score > 0).then(|| text_of(parent, max_bytes))
}

/// Whether `element` or one of its ancestors is page furniture.
fn in_junk(element: ElementRef<'_>) -> bool {
    is_junk(element)
        || element
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(is_junk)
}

fn is_junk(element: ElementRef<'_>) -> bool {
    let e = element.value();
    if JUNK_TAGS.contains(&e.name()) || e.attr("hidden").is_some() {
        return true;
    }
    if e.attr("aria-hidden") == Some("true") {
        return true;
    }
    [e.attr("class"), e.attr("id")]
        .into_iter()
        .flatten()
        .flat_map(|v| v.split(|c: char| c.is_whitespace() || c == '-' || c == '_'))
        .any(|word| JUNK_WORDS.iter().any(|j| j.eq_ignore_ascii_case(word)))
}

/// One step of the walk over an element's subtree.
enum Step<'a> {
    Enter(ElementRef<'a>),
    Text(&'a str),
    /// The end of a block element.
    Leave,
}

/// The text under `root` without junk: whitespace collapsed within a
/// block, blocks on their own lines, at most `max_bytes` bytes. Iterative,
/// so a deeply nested page cannot overflow the stack.
fn text_of(root: ElementRef<'_>, max_bytes: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    let mut stack = vec![Step::Enter(root)];
    while let Some(step) = stack.pop() {
        if out.len() + line.len() > max_bytes {
            break;
        }
        match step {
            Step::Text(text) => line.push_str(text),
            Step::Leave => flush(&mut out, &mut line),
            Step::Enter(element) => {
                if is_junk(element) {
                    continue;
                }
                let block = BLOCK_TAGS.contains(&element.value().name());
                if block {
                    flush(&mut out, &mut line);
                    stack.push(Step::Leave);
                }
                let children: Vec<_> = element.children().collect();
                for child in children.into_iter().rev() {
                    match child.value() {
                        Node::Text(text) => stack.push(Step::Text(text)),
                        Node::Element(_) => {
                            if let Some(e) = ElementRef::wrap(child) {
                                stack.push(Step::Enter(e));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    flush(&mut out, &mut line);
    prefix(&out, max_bytes).to_string()
}

/// Appends the collapsed `line` to `out` as a new line.
fn flush(out: &mut String, line: &mut String) {
    let mut words = line.split_whitespace();
    if let Some(first) = words.next() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(first);
        for word in words {
            out.push(' ');
            out.push_str(word);
        }
    }
    line.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: usize = 20 * 1024;

    const NEWS_PAGE: &str = r#"<!doctype html><html lang="en"><head><title>Fernhollow</title>
      <style>.x { color: red }</style><script>var ads = "TGE airdrop now";</script></head>
      <body>
        <header><a href="/">Home</a> <a href="/markets">Markets</a></header>
        <nav><ul><li>Airdrops</li><li>Token launches</li></ul></nav>
        <div class="cookie-banner">We use cookies &amp; trackers.</div>
        <article>
          <h1>Fernhollow sets a date</h1>
          <p>Fernhollow Protocol will hold its token generation event on
             August 12, 2027&nbsp;&mdash; FHW claims open the same day.</p>
          <p>The team&#8217;s <b>points</b> program ends a week earlier.</p>
          <div class="share-buttons">Share on X</div>
          <footer>Tags: defi</footer>
        </article>
        <aside><p>Related: Another project's airdrop is live.</p></aside>
        <footer><p>© News Outlet. All rights reserved.</p></footer>
        <form><input name="email"><button>Subscribe</button></form>
      </body></html>"#;

    #[test]
    fn keeps_the_article_and_drops_the_furniture() {
        let text = main_text(NEWS_PAGE.as_bytes(), CAP);
        assert!(
            text.contains(
                "Fernhollow Protocol will hold its token generation event on August 12, 2027 — FHW claims open the same day."
            ),
            "{text}"
        );
        assert!(text.contains("The team’s points program"), "{text}");
        assert!(text.starts_with("Fernhollow sets a date\n"), "{text}");
        for junk in [
            "Home",
            "Markets",
            "Airdrops",
            "cookies",
            "Share on",
            "Tags",
            "Related",
            "rights",
            "Subscribe",
            "var ads",
            "color",
        ] {
            assert!(!text.contains(junk), "{junk} kept: {text}");
        }
    }

    #[test]
    fn without_a_container_the_densest_paragraphs_win() {
        let page = r#"<html><body>
          <div class="menu"><p>Login</p></div>
          <div id="teaser"><p>Short teaser.</p></div>
          <div id="story">
            <p>Quarrybrook announces its TGE for March 14, 2027.</p>
            <p>QRB claims open the same day for early users &amp; testers.</p>
            <p>Trading starts on two exchanges an hour later.</p>
          </div>
          <script>document.write("<p>injected</p>")</script>
        </body></html>"#;
        let text = main_text(page.as_bytes(), CAP);
        assert_eq!(
            text,
            "Quarrybrook announces its TGE for March 14, 2027.\n\
             QRB claims open the same day for early users & testers.\n\
             Trading starts on two exchanges an hour later."
        );
        // an article element too short to be the story does not hide it
        let teaser = page.replace(
            r#"<div id="teaser"><p>Short teaser.</p></div>"#,
            r#"<article><p>Short teaser.</p></article>"#,
        );
        assert!(teaser.contains("<article>"));
        assert_eq!(main_text(teaser.as_bytes(), CAP), text);
    }

    #[test]
    fn marked_body_beats_the_rest_of_the_article() {
        let page = r#"<html><body><article><div class="byline">By A. Writer</div>
          <div itemprop="articleBody"><p>Marlin Labs confirmed its token generation event for May 2, 2027, with MRL deposits opening the day before on three exchanges.</p></div>
          </article></body></html>"#;
        let text = main_text(page.as_bytes(), CAP);
        assert!(text.starts_with("Marlin Labs confirmed"), "{text}");
        assert!(!text.contains("Writer"), "{text}");
    }

    #[test]
    fn bad_bytes_and_empty_pages_do_not_fail() {
        assert_eq!(main_text(b"", CAP), "");
        assert_eq!(main_text(b"\xff\xfe\x00\x01", CAP), "");
        assert_eq!(
            main_text(b"<html><body><nav>only a menu</nav></body></html>", CAP),
            ""
        );
        let mut broken = b"<html><body><article><p>Velmora token generation event on June 3, 2027 \xff\xfe with VLM claims opening the same day for everyone who bridged.".to_vec();
        broken.extend_from_slice(b"</p><p>unclosed <b>tags <i>everywhere");
        let text = main_text(&broken, CAP);
        assert!(text.contains("Velmora token generation event"), "{text}");
        assert!(
            text.contains('\u{fffd}'),
            "invalid bytes are replaced: {text}"
        );
        assert!(text.ends_with("unclosed tags everywhere"), "{text}");
    }

    #[test]
    fn huge_and_deep_pages_are_capped() {
        let paragraph = "<p>Kestrune airdrop claim is live for liquidity providers, say the docs, with KSTR trading on two exchanges.</p>";
        let mut page = String::from("<html><body><article>");
        for _ in 0..40_000 {
            page.push_str(paragraph);
        }
        page.push_str("</article></body></html>");
        assert!(page.len() > 4 * 1024 * 1024);
        let text = main_text(page.as_bytes(), CAP);
        assert!(
            text.len() <= CAP && text.len() > CAP - 200,
            "{}",
            text.len()
        );
        assert!(text.starts_with("Kestrune airdrop claim is live"));
        // multi-byte text is cut at a char boundary
        let cjk = format!("<article><p>{}</p></article>", "代币生成活动".repeat(2_000));
        let text = main_text(cjk.as_bytes(), 1_000);
        assert!(text.len() <= 1_000 && text.len() >= 997);
        assert!(text.chars().all(|c| "代币生成活动".contains(c)));
        // nesting deeper than real pages: walked without recursion
        let deep = format!(
            "<html><body>{}<p>deep text</p></body></html>",
            "<div>".repeat(5_000)
        );
        assert_eq!(main_text(deep.as_bytes(), CAP), "deep text");
    }
}
