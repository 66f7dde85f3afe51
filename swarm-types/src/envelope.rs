//! The envelope every stream entry and pub/sub message travels in.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Version of the [`Envelope`] layout; readers reject newer majors.
pub const ENVELOPE_VERSION: u32 = 1;

/// Who sent what, when, and the trace context so that traces continue
/// across Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Layout version; [`ENVELOPE_VERSION`] when written by this build.
    pub version: u32,
    /// Name of the sending agent or component.
    pub producer: String,
    /// When the message was sent (Unix ms).
    pub sent_unix_ms: i64,
    /// W3C trace context (`traceparent`, `tracestate`) of the sender's span; empty outside a trace.
    #[serde(default)]
    pub trace_context: HashMap<String, String>,
    /// The message itself.
    pub body: T,
}

impl<T> Envelope<T> {
    /// Wraps `body` from `producer`, now, in the current trace.
    pub fn new(producer: impl Into<String>, body: T) -> Self {
        Self {
            version: ENVELOPE_VERSION,
            producer: producer.into(),
            sent_unix_ms: swarm_common::time::now_ms(),
            trace_context: swarm_common::propagation::current_context_map(),
            body,
        }
    }
}

impl<T: Serialize> Envelope<T> {
    /// JSON bytes of the envelope.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl<T: serde::de::DeserializeOwned> Envelope<T> {
    /// Parses an envelope, rejecting unknown schema versions.
    ///
    /// # Errors
    ///
    /// Invalid JSON, a body of the wrong shape, or a newer version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let env: Self = serde_json::from_slice(bytes).map_err(|e| format!("bad envelope: {e}"))?;
        if env.version > ENVELOPE_VERSION {
            return Err(format!(
                "envelope version {} is newer than {ENVELOPE_VERSION}",
                env.version
            ));
        }
        Ok(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_the_future() {
        let mut env = Envelope::new("queen", vec![1, 2, 3]);
        env.trace_context
            .insert("traceparent".into(), "00-ab-cd-01".into());
        let back: Envelope<Vec<u8>> = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(back, env);
        env.version = 99;
        assert!(Envelope::<Vec<u8>>::from_bytes(&env.to_bytes()).is_err());
        assert!(Envelope::<Vec<u8>>::from_bytes(b"\xff\xfe").is_err());
    }
}
