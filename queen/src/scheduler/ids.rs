//! Task ids, lease tokens and session numbers. Task ids are sequences
//! within the queen's epoch, so that no id repeats across restarts. Lease
//! (fencing) tokens are random: a token proves that its bearer was handed
//! the lease, so it must not be guessable from other tokens or from ids.

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// Bits of an id that count within one epoch.
const SEQ_BITS: u32 = 40;

/// The scheduler's sequences.
pub(super) struct Sequences {
    epoch: u64,
    task: u64,
    session: u64,
    /// Source of lease tokens: a CSPRNG (ChaCha) seeded from the OS.
    tokens: StdRng,
}

impl std::fmt::Debug for Sequences {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the token generator's state stays out of logs
        f.debug_struct("Sequences")
            .field("epoch", &self.epoch)
            .field("task", &self.task)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Sequences {
    pub(super) fn new(epoch: u64) -> Self {
        Self {
            epoch,
            task: 0,
            session: 0,
            tokens: StdRng::from_os_rng(),
        }
    }

    /// The epoch the sequences run in.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A new task id.
    pub(super) fn next_task_id(&mut self) -> u64 {
        self.task += 1;
        (self.epoch << SEQ_BITS) | self.task
    }

    /// A new lease (fencing) token: 64 random bits, never 0 (0 means "no
    /// lease" on the wire). Two leases share a token with probability
    /// 2^-64 per pair; a result must also come from the session holding the
    /// lease, so even a shared token would let no other session in.
    pub(super) fn next_lease_token(&mut self) -> u64 {
        loop {
            let token = self.tokens.next_u64();
            if token != 0 {
                return token;
            }
        }
    }

    /// A new session number (unique within the epoch).
    pub(super) fn next_session(&mut self) -> u64 {
        self.session += 1;
        self.session
    }

    /// The last session number given out.
    #[cfg(test)]
    pub(super) fn last_session(&self) -> u64 {
        self.session
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_of_a_later_epoch_are_larger_and_never_repeat() {
        let mut first = Sequences::new(1);
        let mut second = Sequences::new(2);
        let a = first.next_task_id();
        let b = first.next_task_id();
        assert!(b > a);
        assert!(second.next_task_id() > b);
        assert_eq!(second.next_session(), 1);
    }

    #[test]
    fn lease_tokens_are_unpredictable_nonzero_and_unique() {
        let mut seq = Sequences::new(7);
        let mut previous = 0;
        let mut seen = HashSet::new();
        let mut increasing = 0;
        for _ in 0..10_000 {
            let token = seq.next_lease_token();
            assert_ne!(token, 0);
            assert!(seen.insert(token), "token {token} repeated");
            if token > previous {
                increasing += 1;
            }
            previous = token;
        }
        // a sequence would increase every time; random tokens about half
        assert!((4_000..6_000).contains(&increasing), "{increasing}");
        // the epoch is not in the high bits
        let high: HashSet<u64> = seen.iter().map(|t| t >> SEQ_BITS).collect();
        assert!(high.len() > 1_000, "{} distinct high parts", high.len());
        // another scheduler (another process) draws other tokens
        let mut other = Sequences::new(7);
        assert!(!seen.contains(&other.next_lease_token()));
    }
}
