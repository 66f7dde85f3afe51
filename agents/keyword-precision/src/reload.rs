//! The classifier's config file (watchlist, known tokens, threshold) is
//! the operator's to refresh: the agent checks it every few seconds and,
//! when it changed and parses, swaps in a classifier built from it. A file
//! that does not parse is reported and the running classifier kept.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crate::{Classifier, Config};

/// The classifier in use, replaceable while tasks run.
#[derive(Clone)]
pub struct SharedClassifier(Arc<RwLock<Arc<Classifier>>>);

impl SharedClassifier {
    /// Starts with `classifier`.
    pub fn new(classifier: Arc<Classifier>) -> Self {
        Self(Arc::new(RwLock::new(classifier)))
    }

    /// The classifier to use for the next document.
    pub fn current(&self) -> Arc<Classifier> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Uses `classifier` from now on.
    pub fn replace(&self, classifier: Arc<Classifier>) {
        match self.0.write() {
            Ok(mut guard) => *guard = classifier,
            Err(poisoned) => *poisoned.into_inner() = classifier,
        }
    }
}

/// Reads and parses the config file at `path`.
///
/// # Errors
///
/// The file cannot be read or is not a valid config.
pub fn load_config(path: &Path) -> anyhow::Result<Config> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Config::from_toml(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Watches the config file at `path` every `every` and replaces the
/// classifier in `shared` with `build(config)` when the file changed
/// (modification time or size) and parses. The file as it is now counts as
/// seen (the caller built `shared` from it); the returned future runs until
/// dropped.
pub fn watch_config(
    path: PathBuf,
    every: Duration,
    shared: SharedClassifier,
    build: impl Fn(Config) -> Classifier + Send + 'static,
) -> impl std::future::Future<Output = ()> + Send {
    let mut seen = stamp(&path);
    async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let now = stamp(&path);
            if now == seen {
                continue;
            }
            seen = now;
            match load_config(&path) {
                Ok(config) => {
                    let tokens = config.known_tokens.len();
                    let watched = config.watchlist.len();
                    shared.replace(Arc::new(build(config)));
                    metrics::counter!("swarm_config_reloads_total", "outcome" => "applied")
                        .increment(1);
                    tracing::info!(path = %path.display(), known_tokens = tokens, watchlist = watched, "classifier config reloaded");
                }
                Err(error) => {
                    metrics::counter!("swarm_config_reloads_total", "outcome" => "rejected")
                        .increment(1);
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "config change not applied; the running one stays"
                    );
                }
            }
        }
    }
}

/// What tells a changed file: modification time and size.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;

    const PUBLISHED_MS: i64 = 1_803_859_200_000; // 2027-03-01

    fn listing() -> Document {
        Document {
            id: "l".into(),
            title: "Exchange will list Brindlewick (BRW) for spot trading".into(),
            text: "The exchange will open BRW/USDT spot trading on March 3, 2027, \
                   and a deposit campaign for the new token starts today."
                .into(),
            published_unix_ms: PUBLISHED_MS,
        }
    }

    #[tokio::test]
    async fn an_edited_config_file_takes_effect_and_a_broken_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("kp-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("classifier.toml");
        std::fs::write(&path, "threshold = 0.5\n").unwrap();
        let shared = SharedClassifier::new(Arc::new(Classifier::new(load_config(&path).unwrap())));
        let before = shared.current().classify(&listing());
        let watcher = tokio::spawn(watch_config(
            path.clone(),
            Duration::from_millis(20),
            shared.clone(),
            Classifier::new,
        ));

        // the operator adds the token: it trades since February
        std::fs::write(
            &path,
            "threshold = 0.5\nknown_tokens = [{ name = \"BRW\", since = \"2027-01-02\" }]\n",
        )
        .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while shared.current().config().known_tokens.len() != 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "config never reloaded"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let after = shared.current().classify(&listing());
        assert!(
            after.confidence <= crate::KNOWN_TOKEN_CEILING && after.confidence < before.confidence,
            "a known token's listing is less likely a TGE: {} then {}",
            before.confidence,
            after.confidence
        );

        // a typo keeps the running classifier
        std::fs::write(&path, "threshold = \"high\"\n").unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(shared.current().config().known_tokens.len(), 1);
        watcher.abort();
        std::fs::remove_dir_all(&dir).ok();
    }
}
