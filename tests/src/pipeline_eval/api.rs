//! Reading events back from the query API: every page of
//! `GET /api/v1/tges` (following `next_cursor`) and each event's evidence
//! from `GET /api/v1/tges/{id}`.

use anyhow::Context;
use tge_api::model::{Event, EventDetail, EventPage};

/// Most pages read in one listing (500 events each).
const MAX_PAGES: usize = 1_000;

/// A client of one query API.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// A client of the API at `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path_and_query: &str) -> anyhow::Result<T> {
        let url = format!("{}{path_and_query}", self.base);
        let answer = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = answer.status();
        let body = answer.text().await.with_context(|| format!("GET {url}"))?;
        anyhow::ensure!(status.is_success(), "GET {url}: {status}: {body}");
        serde_json::from_str(&body).with_context(|| format!("GET {url}: unexpected body"))
    }

    /// Every event, oldest first seen first.
    ///
    /// # Errors
    ///
    /// The API failed or answered something else than event pages.
    pub async fn events(&self) -> anyhow::Result<Vec<Event>> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut path = "/api/v1/tges?limit=500&sort=first_seen".to_string();
            if let Some(c) = &cursor {
                path.push_str("&cursor=");
                path.push_str(c);
            }
            let page: EventPage = self.get(&path).await?;
            events.extend(page.items);
            match page.next_cursor {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(events),
            }
        }
        anyhow::bail!("more than {MAX_PAGES} pages of events")
    }

    /// One event with its evidence and history.
    ///
    /// # Errors
    ///
    /// The API failed or the event is unknown.
    pub async fn detail(&self, id: i64) -> anyhow::Result<EventDetail> {
        self.get(&format!("/api/v1/tges/{id}")).await
    }
}
