//! [`EventStore`] over the embedded run's in-process events
//! ([`MemoryEvents`], read through [`tge_events::Reader`]: the list rules
//! of [`tge_events::filter`]).

use std::collections::HashMap;
use std::sync::Arc;

use tge_events::{MemoryEvents, Reader};

use super::{Error, EventStore, SourceDocuments};

/// Events of the embedded run.
#[derive(Clone)]
pub struct MemoryApiStore {
    events: Arc<MemoryEvents>,
}

impl MemoryApiStore {
    /// Reads `events`.
    pub fn new(events: Arc<MemoryEvents>) -> Self {
        Self { events }
    }
}

#[async_trait::async_trait]
impl EventStore for MemoryApiStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn events(&self) -> &dyn Reader {
        self.events.as_ref()
    }

    async fn source_documents(
        &self,
        source_ids: &[String],
    ) -> Result<HashMap<String, SourceDocuments>, Error> {
        let mut out: HashMap<String, SourceDocuments> = HashMap::new();
        for d in self.events.documents().values() {
            if !source_ids.contains(&d.source_id) {
                continue;
            }
            let entry = out.entry(d.source_id.clone()).or_default();
            entry.documents += 1;
            let fetched_us = d.fetched_unix_ms * 1000;
            entry.last_fetched_us = entry.last_fetched_us.max(Some(fetched_us));
        }
        Ok(out)
    }

    async fn ping(&self) -> Result<(), Error> {
        Ok(())
    }
}
