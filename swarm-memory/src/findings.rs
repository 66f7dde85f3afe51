//! The one way agents report findings: an enveloped [`Finding`] appended to
//! the deployment's findings stream, which the coordinator consumes.

use std::sync::Arc;

use swarm_types::{Envelope, Finding};

use crate::memory::{Memory, Result};

/// Entries the findings stream keeps (older ones are trimmed).
pub const FINDINGS_MAX_LEN: u64 = 1_000_000;

/// Where an agent's findings go.
#[derive(Clone)]
pub struct FindingsSink {
    memory: Arc<dyn Memory>,
    stream: String,
    producer: String,
}

impl FindingsSink {
    /// Findings from `producer` appended to `stream` of `memory`.
    pub fn new(
        memory: Arc<dyn Memory>,
        stream: impl Into<String>,
        producer: impl Into<String>,
    ) -> Self {
        Self {
            memory,
            stream: stream.into(),
            producer: producer.into(),
        }
    }

    /// The stream findings go to.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Appends `finding` in an envelope (producer, time, trace context);
    /// returns the stream entry id once the memory has it.
    ///
    /// # Errors
    ///
    /// The memory is unreachable: the finding is not recorded.
    pub async fn report(&self, finding: Finding) -> Result<String> {
        let envelope = Envelope::new(self.producer.clone(), finding);
        self.memory
            .append(&self.stream, &envelope.to_bytes(), FINDINGS_MAX_LEN)
            .await
    }
}

#[cfg(test)]
mod tests {
    use swarm_types::finding::HotSpots;

    use super::*;
    use crate::LocalMemory;

    #[tokio::test]
    async fn a_reported_finding_arrives_enveloped_on_the_stream() {
        let memory: Arc<dyn Memory> = Arc::new(LocalMemory::default());
        let sink = FindingsSink::new(memory.clone(), "test:{f}:stream", "tester");
        let finding = Finding::HotSpots(HotSpots {
            id: "hot-1".into(),
            reported_unix_ms: 1,
            sources: Vec::new(),
            kinds: Vec::new(),
        });
        sink.report(finding.clone()).await.unwrap();
        let entries = memory.recent("test:{f}:stream", 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        let envelope = Envelope::<Finding>::from_bytes(&entries[0].payload).unwrap();
        assert_eq!(envelope.producer, "tester");
        assert_eq!(envelope.body, finding);
    }
}
