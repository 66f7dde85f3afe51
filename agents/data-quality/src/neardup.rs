//! Near-duplicate detection across sources: a 64-bit SimHash over word
//! 3-shingles of a report's text. Two texts whose fingerprints differ in
//! at most [`MAX_DISTANCE`] bits are copies of each other (the rule lives
//! with the synthesis, which applies it under the event's lock) (a syndicated
//! press release, a reposted announcement), whatever outlet carried them.

pub use swarm_types::finding::{NEAR_DUPLICATE_BITS as MAX_DISTANCE, near_duplicates as near};

/// Fewest words a text needs before its fingerprint means anything.
pub const MIN_WORDS: usize = 8;

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // spread the bits (FNV's high bits are weak for short inputs)
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

/// The SimHash of `text` (case, punctuation and spacing ignored), or
/// `None` when the text is too short to compare.
pub fn simhash(text: &str) -> Option<u64> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '$')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.len() < MIN_WORDS {
        return None;
    }
    let mut weights = [0i32; 64];
    for shingle in words.windows(3) {
        let hash = fnv1a(shingle.join(" ").as_bytes());
        for (bit, weight) in weights.iter_mut().enumerate() {
            if hash >> bit & 1 == 1 {
                *weight += 1;
            } else {
                *weight -= 1;
            }
        }
    }
    Some(
        weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0)
            .fold(0u64, |acc, (bit, _)| acc | 1 << bit),
    )
}

/// Bits in which two fingerprints differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "Halden Protocol today announced that its HLD token generation event \
        will take place on April 9, 2027. Eligible testnet users can claim HLD through the \
        official portal from 14:00 UTC, and the token will list on three exchanges the same day.";

    #[test]
    fn copies_are_near_and_different_stories_are_not() {
        let original = simhash(RELEASE).unwrap();
        let reposted = simhash(&format!(
            "PRESS RELEASE — {} Read more on our partner site.",
            RELEASE.replace("14:00 UTC", "2pm UTC")
        ))
        .unwrap();
        assert!(
            near(original, reposted),
            "distance {}",
            distance(original, reposted)
        );
        let other = simhash(
            "Halden Protocol's HLD TGE is set for April 9, 2027, according to an interview with \
             its founder, who said the claim portal opens in the afternoon and listings follow.",
        )
        .unwrap();
        assert!(
            distance(original, other) > 20,
            "distance {}",
            distance(original, other)
        );
        assert_eq!(simhash("TGE on Friday"), None, "too short to compare");
    }
}
