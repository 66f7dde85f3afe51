//! Bearer tokens of the queen's gRPC surface: 32 random bytes in hex behind
//! a `swq_` prefix (so a leaked token is recognizable in a scan), kept by
//! the queen only as their SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// What every token starts with.
pub const PREFIX: &str = "swq_";
/// Characters of a token shown in listings to recognize it.
const SHOWN: usize = 12;

/// A new random token.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", hex::encode(bytes))
}

/// The hash a token is kept as (lower-case hex SHA-256).
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The start of a token, shown in listings.
pub fn shown_prefix(token: &str) -> String {
    token.chars().take(SHOWN).collect()
}

/// Whether `text` looks like a stored hash (64 lower-case hex digits).
pub fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_64_hex_digits() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64, "{a}");
        assert!(is_hash(&hash(&a)));
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(shown_prefix(&a).len(), 12);
        assert!(!is_hash("not-a-hash"));
    }
}
