//! An agent as a component: what each specialist crate's `build` returns
//! from an [`AgentContext`], so the agent binaries and the one-process run
//! compose the same pieces in the same way.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use swarm_common::queen_link::QueenLink;
use swarm_memory::{FindingsSink, Layout, Memory};
use swarm_proto::AgentKind;

use crate::Handler;
use crate::options::AgentOptions;

/// What every specialist is built from.
#[derive(Clone)]
pub struct AgentContext {
    /// The shared memory (Redis Cluster, or in process).
    pub memory: Arc<dyn Memory>,
    /// Stream and channel names of this deployment.
    pub layout: Layout,
    /// The queen: address, credential, TLS.
    pub queen: QueenLink,
}

impl AgentContext {
    /// A context over `memory` with `layout`, for the queen at `queen`.
    pub fn new(memory: Arc<dyn Memory>, layout: Layout, queen: impl Into<QueenLink>) -> Self {
        Self {
            memory,
            layout,
            queen: queen.into(),
        }
    }

    /// Where an agent of `kind` reports its findings.
    pub fn findings(&self, kind: AgentKind) -> FindingsSink {
        FindingsSink::new(
            self.memory.clone(),
            self.layout.findings_stream.clone(),
            kind.name(),
        )
    }
}

type Background = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A built specialist: its task handler and the work it does besides
/// tasks (watching a config file, following event notices).
pub struct Component {
    /// The task kind the specialist runs.
    pub kind: AgentKind,
    /// Concurrent tasks unless the operator says otherwise.
    pub default_capacity: u32,
    /// Runs each leased task.
    pub handler: Arc<dyn Handler>,
    background: Vec<Background>,
}

impl Component {
    /// An agent of `kind` running `handler`.
    pub fn new(kind: AgentKind, default_capacity: u32, handler: Arc<dyn Handler>) -> Self {
        Self {
            kind,
            default_capacity,
            handler,
            background: Vec::new(),
        }
    }

    /// Adds background work that runs as long as the agent does.
    #[must_use]
    pub fn with_background(mut self, task: impl Future<Output = ()> + Send + 'static) -> Self {
        self.background.push(Box::pin(task));
        self
    }

    /// How many background tasks the component runs.
    pub fn background_count(&self) -> usize {
        self.background.len()
    }

    /// Runs the agent with `options` (whose kind must be this component's)
    /// and its background work until `shutdown` completes and the agent has
    /// drained; the background work stops with it.
    ///
    /// # Errors
    ///
    /// The agent could not run (see [`crate::run`]).
    pub async fn run(
        self,
        options: AgentOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(
            options.kind == self.kind,
            "agent options for {} given to a {} component",
            options.kind.name(),
            self.kind.name()
        );
        let background: Vec<_> = self.background.into_iter().map(tokio::spawn).collect();
        let result = crate::run(options, self.handler, shutdown).await;
        for task in background {
            task.abort();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use swarm_memory::LocalMemory;

    use super::*;
    use crate::NoopOnly;

    #[tokio::test]
    async fn options_of_another_kind_are_refused() {
        let component = Component::new(AgentKind::DataQuality, 4, Arc::new(NoopOnly));
        let options = AgentOptions::new(
            "http://127.0.0.1:1".to_string(),
            AgentKind::KeywordPrecision,
        );
        let error = component.run(options, async {}).await.unwrap_err();
        assert!(error.to_string().contains("keyword-precision"), "{error}");
    }

    #[test]
    fn findings_go_to_the_layout_stream_under_the_kind_name() {
        let layout = Layout {
            findings_stream: "t:{x}:stream".into(),
            ..Layout::default()
        };
        let context = AgentContext::new(Arc::new(LocalMemory::default()), layout, "http://q");
        assert_eq!(
            context.findings(AgentKind::DataQuality).stream(),
            "t:{x}:stream"
        );
        let component =
            Component::new(AgentKind::DataQuality, 4, Arc::new(NoopOnly)).with_background(async {});
        assert_eq!(component.background_count(), 1);
    }
}
