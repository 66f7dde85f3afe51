//! Full text of linked pages: a new item that brings only a title or a
//! short summary, and links to a web page, gets that page's main text
//! (`parse::article`) appended, so the classifier reads the story and not
//! just its headline. Pages are fetched through the source [`Fetcher`]
//! (User-Agent, timeouts, robots.txt, shared host buckets, body cap), at
//! most `max_per_poll` per poll and `concurrency` at a time, each host
//! behind its own shared circuit breaker (`page:<host>`), so a dead site is
//! not asked again on every poll. A page that cannot be read never fails
//! the item: it goes on with its summary, and the outcome is counted in
//! `swarm_linked_page_fetches_total{outcome}`.

use std::sync::Arc;

use futures_util::StreamExt;
use swarm_common::time::now_ms;
use swarm_memory::Memory;
use swarm_memory::reliability::{Admission, BreakerPolicy, SharedBreaker};
use swarm_proto::names::SourceKind;

use crate::fetch::{Error, Fetcher};
use crate::parse::{Item, article};

/// How linked pages are read.
#[derive(Debug, Clone)]
pub struct LinkedOptions {
    /// Most pages fetched per poll (0: none); later items keep their
    /// summary.
    pub max_per_poll: usize,
    /// Pages fetched at the same time.
    pub concurrency: usize,
    /// An item whose text has fewer characters than this has its page read.
    pub min_text_chars: usize,
    /// Most bytes of page text kept.
    pub max_text_bytes: usize,
    /// Breakers of page hosts.
    pub breaker: BreakerPolicy,
}

impl Default for LinkedOptions {
    fn default() -> Self {
        Self {
            max_per_poll: 10,
            concurrency: 4,
            min_text_chars: 400,
            max_text_bytes: 20 * 1024,
            breaker: BreakerPolicy::default(),
        }
    }
}

/// Reads the pages items link to.
pub struct LinkedPages {
    options: LinkedOptions,
    breaker: SharedBreaker,
}

/// What became of one page (the metric's `outcome` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOutcome {
    /// Read, and main text found.
    Ok,
    /// Read, but no main text in it.
    Empty,
    /// The site's robots.txt disallows the page: not read.
    RobotsDisallowed,
    /// The page took longer than the fetch timeout.
    Timeout,
    /// The page answered with a non-success HTTP status.
    HttpError,
    /// The page is not HTML (left unread).
    NotHtml,
    /// The page exceeded the body-size cap.
    TooLarge,
    /// The host's breaker is open: not asked.
    BreakerOpen,
    /// Beyond the poll's allowance: not asked.
    OverLimit,
    /// The outbound guard refused the page's address.
    Refused,
    /// Network or other failure.
    Error,
}

impl PageOutcome {
    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            PageOutcome::Ok => "ok",
            PageOutcome::Empty => "empty",
            PageOutcome::RobotsDisallowed => "robots_disallowed",
            PageOutcome::Timeout => "timeout",
            PageOutcome::HttpError => "http_error",
            PageOutcome::NotHtml => "not_html",
            PageOutcome::TooLarge => "too_large",
            PageOutcome::BreakerOpen => "breaker_open",
            PageOutcome::OverLimit => "over_limit",
            PageOutcome::Refused => "refused",
            PageOutcome::Error => "error",
        }
    }

    fn of(error: &Error) -> Self {
        match error {
            Error::Disallowed { .. } => PageOutcome::RobotsDisallowed,
            Error::Timeout { .. } => PageOutcome::Timeout,
            Error::Status { .. } => PageOutcome::HttpError,
            Error::NotHtml { .. } => PageOutcome::NotHtml,
            Error::TooLarge { .. } => PageOutcome::TooLarge,
            Error::Refused { .. } => PageOutcome::Refused,
            Error::Url(_) | Error::Request { .. } | Error::Memory(_) => PageOutcome::Error,
        }
    }
}

impl LinkedPages {
    /// Pages read with `options`; host breakers live in `memory`.
    pub fn new(memory: Arc<dyn Memory>, options: LinkedOptions) -> Self {
        let breaker = SharedBreaker::new(memory, options.breaker.clone());
        Self { options, breaker }
    }

    /// Appends the main text of their linked pages to the `items` of a
    /// `kind` source that need it; returns each page's outcome in item
    /// order.
    pub async fn enrich(
        &self,
        fetcher: &Fetcher,
        kind: SourceKind,
        items: &mut [Item],
    ) -> Vec<PageOutcome> {
        let wanted: Vec<(usize, String)> = items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.page_of(kind, item).map(|url| (i, url)))
            .collect();
        let over = wanted.len().saturating_sub(self.options.max_per_poll);
        let read: Vec<(usize, PageOutcome, Option<String>)> =
            futures_util::stream::iter(wanted.into_iter().take(self.options.max_per_poll))
                .map(|(i, url)| async move {
                    let (outcome, text) = self.read(fetcher, &url).await;
                    (i, outcome, text)
                })
                .buffer_unordered(self.options.concurrency.max(1))
                .collect()
                .await;
        let mut outcomes = Vec::with_capacity(read.len() + over);
        for (i, outcome, text) in read {
            if let (Some(text), Some(item)) = (text, items.get_mut(i)) {
                item.text = combined(&item.text, &text);
            }
            outcomes.push((i, outcome));
        }
        outcomes.sort_by_key(|(i, _)| *i);
        let mut outcomes: Vec<PageOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
        outcomes.extend(std::iter::repeat_n(PageOutcome::OverLimit, over));
        for outcome in &outcomes {
            metrics::counter!("swarm_linked_page_fetches_total", "outcome" => outcome.name())
                .increment(1);
        }
        outcomes
    }

    /// The page `item` links to, when its own text is short and the link
    /// is a web page: its `link`, else (but for X posts and push messages)
    /// its URL.
    fn page_of(&self, kind: SourceKind, item: &Item) -> Option<String> {
        if kind == SourceKind::Websocket || item.text.chars().count() >= self.options.min_text_chars
        {
            return None;
        }
        let link = match &item.link {
            Some(link) => link,
            None if kind == SourceKind::XSearch => return None,
            None => &item.url,
        };
        let url = reqwest::Url::parse(link).ok()?;
        (matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .then(|| url.to_string())
    }

    /// Fetches `url` through its host's breaker and extracts its text.
    async fn read(&self, fetcher: &Fetcher, url: &str) -> (PageOutcome, Option<String>) {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let breaker = format!("page:{host}");
        match self.breaker.admit(&breaker, now_ms()).await {
            Ok(Admission::Rejected { retry_in_ms }) => {
                tracing::debug!(url, retry_in_ms, "linked page not read: host breaker open");
                return (PageOutcome::BreakerOpen, None);
            }
            Ok(Admission::Allowed | Admission::Probe) => {}
            // the memory is down: read anyway (the breaker is an optimisation)
            Err(error) => tracing::debug!(%error, "page breaker unavailable"),
        }
        let (outcome, text, host_ok) = match fetcher.fetch_page(url).await {
            Ok(page) => {
                let text = article::main_text(&page.bytes, self.options.max_text_bytes);
                if text.is_empty() {
                    tracing::debug!(url, "linked page has no main text");
                    (PageOutcome::Empty, None, Some(true))
                } else {
                    (PageOutcome::Ok, Some(text), Some(true))
                }
            }
            Err(error) => {
                let outcome = PageOutcome::of(&error);
                tracing::debug!(url, outcome = outcome.name(), %error, "linked page not read");
                // a host that answered is up, whatever it said; one that
                // timed out, failed or answered 5xx counts against it
                let host_ok = match &error {
                    Error::Disallowed { .. } | Error::Url(_) | Error::Memory(_) => None,
                    error => Some(!error.retryable()),
                };
                (outcome, None, host_ok)
            }
        };
        if let Some(success) = host_ok
            && let Err(error) = self.breaker.record(&breaker, success, now_ms()).await
        {
            tracing::debug!(%error, "cannot record the page outcome");
        }
        (outcome, text)
    }
}

/// The item's summary followed by the page's text (the summary alone is
/// left out when the page already says it).
fn combined(summary: &str, page: &str) -> String {
    let summary = summary.trim();
    if summary.is_empty() || page.contains(summary) {
        page.to_string()
    } else {
        format!("{summary}\n\n{page}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(url: &str, text: &str) -> Item {
        Item {
            guid: url.into(),
            url: url.into(),
            title: "A title".into(),
            text: text.into(),
            published_unix_ms: None,
            language: None,
            link: None,
        }
    }

    fn pages() -> LinkedPages {
        let memory: Arc<dyn Memory> = Arc::new(swarm_memory::LocalMemory::default());
        LinkedPages::new(memory, LinkedOptions::default())
    }

    #[test]
    fn only_short_items_linking_to_web_pages_are_read() {
        let p = pages();
        let page =
            |kind: &str, i: &Item| p.page_of(SourceKind::parse(kind).unwrap_or(SourceKind::Rss), i);
        assert_eq!(
            page("rss", &item("https://news.test/a", "short")).as_deref(),
            Some("https://news.test/a")
        );
        assert!(page("rss", &item("https://news.test/a", &"long ".repeat(100))).is_none());
        assert!(page("rss", &item("urn:uuid:1234", "")).is_none());
        assert!(page("rss", &item("ftp://news.test/a", "")).is_none());
        assert!(page("x_search", &item("https://x.com/i/status/1", "")).is_none());
        let mut post = item("https://x.com/i/status/2", "TGE today https://t.co/x");
        post.link = Some("https://blog.fernhollow.test/tge".into());
        assert_eq!(
            page("x_search", &post).as_deref(),
            Some("https://blog.fernhollow.test/tge")
        );
        assert!(page("websocket", &item("https://ex.test/n/1", "")).is_none());
        // 399 characters of CJK are more than 400 bytes, still short
        let cjk = "代".repeat(399);
        assert!(page("json_api", &item("http://ex.test/n/1", &cjk)).is_some());
    }

    #[test]
    fn the_summary_leads_unless_the_page_repeats_it() {
        assert_eq!(combined("", "Page text."), "Page text.");
        assert_eq!(combined("Lede.", "Lede. More."), "Lede. More.");
        assert_eq!(combined(" Summary ", "Page text."), "Summary\n\nPage text.");
    }
}
