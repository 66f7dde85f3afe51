//! Webhook signatures (HMAC-SHA256), timestamped and replay-safe.
//!
//! Every webhook request carries
//!
//! ```text
//! X-Swarm-Signature: t=<unix seconds>,v1=<hex hmac_sha256(secret, "<t>.<body>")>
//! Idempotency-Key: alert:<target>:<event id>:<event version>
//! ```
//!
//! A receiver recomputes the HMAC over the timestamp and the raw body with
//! the shared secret, compares in constant time, rejects timestamps older
//! (or newer) than its tolerance (5 minutes is usual) so a captured request
//! cannot be replayed later, and ignores an idempotency key it has already
//! processed (a retried delivery).

use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Name of the signature header.
pub const HEADER: &str = "X-Swarm-Signature";
/// Name of the idempotency key header.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header lacks a parseable `t=` timestamp or hex `v1=` signature.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is further from now than the tolerance (a replay or a bad clock).
    #[error("timestamp outside the tolerance ({age_secs} s away)")]
    Stale {
        /// Now minus the timestamp, in seconds (negative: in the future).
        age_secs: i64,
    },
    /// The HMAC does not match the body and timestamp.
    #[error("signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value signing `body` at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Checks `header` against `body` at `now` (unix seconds), accepting
/// timestamps at most `tolerance_secs` away.
///
/// # Errors
///
/// A malformed header, a stale timestamp or a wrong signature.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Malformed);
    };
    let age = now - timestamp;
    if age.abs() > tolerance_secs {
        return Err(SignatureError::Stale { age_secs: age });
    }
    mac(secret, timestamp, body)
        .verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_refuse_tampering_and_replays() {
        let body = br#"{"event_id":7}"#;
        let header = sign(b"topsecret", 1_800_000_000, body);
        assert!(header.starts_with("t=1800000000,v1="));
        assert_eq!(
            verify(b"topsecret", &header, body, 1_800_000_010, 300),
            Ok(())
        );
        assert_eq!(
            verify(
                b"topsecret",
                &header,
                br#"{"event_id":8}"#,
                1_800_000_010,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", &header, body, 1_800_000_010, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"topsecret", &header, body, 1_800_001_000, 300),
            Err(SignatureError::Stale { age_secs: 1000 })
        );
        assert_eq!(
            verify(b"topsecret", "v1=zz", body, 0, 300),
            Err(SignatureError::Malformed)
        );
    }
}
