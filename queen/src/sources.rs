//! Configured sources: the `[sources.<id>]` tables of the queen's TOML
//! (environment overrides such as `QUEEN__SOURCES__COINDESK__INTERVAL_MS`),
//! checked at start and turned into the periodic `source:<id>` schedules
//! whose `FetchSource` tasks the scraping-specialist runs.

use serde::Deserialize;
use swarm_proto::Priority;
use swarm_proto::v1::{FetchSource, HtmlSelectors, JsonMapping, Schedule, TaskSpec, task_payload};

pub use swarm_proto::names::source_schedule as schedule_name;

pub use swarm_proto::names::SourceKind;

/// Reads a source kind by its name (`kind = "rss"`).
fn kind_by_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SourceKind, D::Error> {
    let name = String::deserialize(d)?;
    SourceKind::parse(&name).ok_or_else(|| {
        let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
        serde::de::Error::custom(format!(
            "unknown source kind `{name}`; expected one of {}",
            names.join(", ")
        ))
    })
}

/// Field mapping of a JSON API or WebSocket source (JSON Pointers).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JsonMappingConfig {
    /// Pointer to the array of items (empty: the document itself is the item list).
    pub items: String,
    /// Pointer to an item's id, relative to the item (empty or absent: the URL serves as id).
    pub id: String,
    /// Pointer to an item's title, relative to the item.
    pub title: String,
    /// Pointer to an item's URL, relative to the item.
    pub url: String,
    /// Pointer to an item's body text, relative to the item.
    pub text: String,
    /// Pointer to the publication time (RFC 3339, or epoch seconds or ms).
    pub published: String,
    /// Pointer to a language tag (`en`) of the item (empty: detected from the text).
    pub language: String,
}

/// CSS selectors of an HTML source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HtmlConfig {
    /// Selector of each item (required).
    pub item: String,
    /// Selector of the item's title, relative to the item; may end in `@attr`.
    pub title: String,
    /// Selector of the item's link (e.g. `a@href`), relative to the item.
    pub link: String,
    /// Selector of the item's body text, relative to the item.
    pub text: String,
    /// Selector of the item's publication time, relative to the item.
    pub published: String,
}

/// One `[sources.<id>]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// What the source is and how it is read.
    #[serde(deserialize_with = "kind_by_name")]
    pub kind: SourceKind,
    /// Where it is fetched: `http(s)://`, or `ws(s)://` for a WebSocket source.
    pub url: String,
    /// Poll interval (for a WebSocket source: how often its listener is
    /// checked and restarted if it died).
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    /// Paused sources keep their schedule but are not polled.
    #[serde(default)]
    pub paused: bool,
    /// Exchange announcement APIs may deserve `high`.
    #[serde(default)]
    pub priority: Option<String>,
    /// JSON field mapping; required for `json_api`, used by `websocket`.
    #[serde(default)]
    pub json: Option<JsonMappingConfig>,
    /// CSS selectors; required for `html`.
    #[serde(default)]
    pub html: Option<HtmlConfig>,
    /// X recent-search query.
    #[serde(default)]
    pub query: Option<String>,
}

fn default_interval_ms() -> u64 {
    60_000
}

/// Shortest poll interval accepted (politeness).
pub const MIN_INTERVAL_MS: u64 = 500;

/// A source table that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("source `{id}`: {problem}")]
pub struct SourceError {
    /// The source's id (its `[sources.<id>]` key).
    pub id: String,
    /// What is wrong with the table.
    pub problem: String,
}

impl SourceConfig {
    /// Checks what deserialization alone cannot.
    ///
    /// # Errors
    ///
    /// The first problem found, naming the source.
    pub fn validate(&self, id: &str) -> Result<(), SourceError> {
        let fail = |problem: String| {
            Err(SourceError {
                id: id.to_string(),
                problem,
            })
        };
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return fail("ids use letters, digits, '-', '_' and '.'".into());
        }
        let schemes: &[&str] = match self.kind {
            SourceKind::Websocket => &["ws://", "wss://"],
            _ => &["http://", "https://"],
        };
        if !schemes.iter().any(|s| self.url.starts_with(s)) {
            return fail(format!(
                "url `{}` must start with {}",
                self.url,
                schemes.join(" or ")
            ));
        }
        if self.interval_ms < MIN_INTERVAL_MS {
            return fail(format!("interval_ms must be at least {MIN_INTERVAL_MS}"));
        }
        if let Some(p) = &self.priority
            && Priority::parse(p).is_none()
        {
            return fail(format!(
                "priority `{p}` is not one of critical, high, normal, low"
            ));
        }
        match self.kind {
            SourceKind::Html => {
                let Some(html) = &self.html else {
                    return fail("an html source needs [sources.<id>.html] selectors".into());
                };
                if html.item.is_empty() {
                    return fail("html.item (the selector of one item) is required".into());
                }
            }
            SourceKind::JsonApi => {
                let Some(json) = &self.json else {
                    return fail("a json_api source needs a [sources.<id>.json] mapping".into());
                };
                if json.title.is_empty() && json.text.is_empty() {
                    return fail("json.title or json.text must point at the item's text".into());
                }
            }
            SourceKind::XSearch if self.query.as_deref().is_none_or(str::is_empty) => {
                return fail("an x_search source needs a query".into());
            }
            _ => {}
        }
        Ok(())
    }

    /// The `FetchSource` payload polling this source.
    pub fn fetch_task(&self, id: &str) -> FetchSource {
        FetchSource {
            source_id: id.to_string(),
            url: self.url.clone(),
            source_kind: self.kind.name().to_string(),
            json: self.json.as_ref().map(|j| JsonMapping {
                items: j.items.clone(),
                id: j.id.clone(),
                title: j.title.clone(),
                url: j.url.clone(),
                text: j.text.clone(),
                published: j.published.clone(),
                language: j.language.clone(),
            }),
            html: self.html.as_ref().map(|h| HtmlSelectors {
                item: h.item.clone(),
                title: h.title.clone(),
                link: h.link.clone(),
                text: h.text.clone(),
                published: h.published.clone(),
            }),
            query: self.query.clone().unwrap_or_default(),
        }
    }

    /// The periodic schedule polling this source.
    pub fn schedule(&self, id: &str) -> Schedule {
        let priority = self
            .priority
            .as_deref()
            .and_then(Priority::parse)
            .unwrap_or(Priority::Normal);
        Schedule {
            name: schedule_name(id),
            task: Some(TaskSpec {
                priority: priority as i32,
                max_attempts: 3,
                ..TaskSpec::routed(task_payload::Kind::FetchSource(self.fetch_task(id)))
            }),
            interval_ms: self.interval_ms,
            paused: self.paused,
            next_run_unix_ms: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml: &str) -> std::collections::BTreeMap<String, SourceConfig> {
        #[derive(Deserialize)]
        struct File {
            sources: std::collections::BTreeMap<String, SourceConfig>,
        }
        toml::from_str::<File>(toml).expect("valid toml").sources
    }

    #[test]
    fn sources_become_fetch_schedules() {
        let sources = parse(
            r#"
            [sources.exchange-news]
            kind = "html"
            url = "https://exchange.example.test/announcements"
            interval_ms = 15000
            priority = "high"
            html = { item = "li.notice", title = "h3", link = "a@href" }

            [sources.x]
            kind = "x_search"
            url = "https://api.x.example.test/2/tweets/search/recent"
            query = "\"token generation event\" -is:retweet"
            "#,
        );
        let html = &sources["exchange-news"];
        html.validate("exchange-news").expect("valid");
        let schedule = html.schedule("exchange-news");
        assert_eq!(schedule.name, "source:exchange-news");
        assert_eq!(schedule.interval_ms, 15_000);
        let task = schedule.task.expect("task");
        assert_eq!(task.priority, Priority::High as i32);
        let Some(task_payload::Kind::FetchSource(fetch)) = task.payload.and_then(|p| p.kind) else {
            panic!("not a fetch task");
        };
        assert_eq!(fetch.source_kind, "html");
        assert_eq!(fetch.html.expect("selectors").link, "a@href");
        let x = &sources["x"];
        x.validate("x").expect("valid");
        assert_eq!(x.schedule("x").interval_ms, 60_000, "default interval");
    }

    #[test]
    fn the_example_file_is_valid() {
        let sources = parse(include_str!("../../config/sources.example.toml"));
        assert_eq!(sources.len(), 5);
        for (id, source) in &sources {
            source.validate(id).expect("example source is valid");
        }
        let kinds: Vec<&str> = sources.values().map(|s| s.kind.name()).collect();
        for kind in ["rss", "json_api", "html", "x_search", "websocket"] {
            assert!(kinds.contains(&kind), "the example shows {kind}");
        }
    }

    #[test]
    fn unusable_sources_are_named_errors() {
        let cases = [
            (
                r#"kind = "html"
                url = "https://a.test/""#,
                "selectors",
            ),
            (
                r#"kind = "rss"
                url = "ftp://a.test/feed""#,
                "must start with",
            ),
            (
                r#"kind = "websocket"
                url = "https://a.test/""#,
                "ws://",
            ),
            (
                r#"kind = "x_search"
                url = "https://a.test/""#,
                "query",
            ),
            (
                r#"kind = "rss"
                url = "https://a.test/"
                interval_ms = 10"#,
                "at least",
            ),
            (
                r#"kind = "rss"
                url = "https://a.test/"
                priority = "urgent""#,
                "priority",
            ),
            (
                r#"kind = "json_api"
                url = "https://a.test/"
                json = { items = "/data" }"#,
                "json.title",
            ),
        ];
        for (body, expected) in cases {
            let sources = parse(&format!("[sources.s1]\n{body}"));
            let error = sources["s1"].validate("s1").expect_err(body).to_string();
            assert!(error.contains("source `s1`"), "{error}");
            assert!(error.contains(expected), "{body}: {error}");
        }
        let sources = parse("[sources.\"bad id\"]\nkind = \"rss\"\nurl = \"https://a.test/\"");
        assert!(sources["bad id"].validate("bad id").is_err());
    }
}
