//! Task ids, lease tokens and session numbers: sequences within the queen's
//! epoch, so that no id or token repeats across restarts.

/// Bits of an id or lease token that count within one epoch.
const SEQ_BITS: u32 = 40;

/// The scheduler's sequences.
#[derive(Debug)]
pub(super) struct Sequences {
    epoch: u64,
    task: u64,
    lease: u64,
    session: u64,
}

impl Sequences {
    pub(super) fn new(epoch: u64) -> Self {
        Self {
            epoch,
            task: 0,
            lease: 0,
            session: 0,
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

    /// A new lease (fencing) token.
    pub(super) fn next_lease_token(&mut self) -> u64 {
        self.lease += 1;
        (self.epoch << SEQ_BITS) | self.lease
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
    use super::*;

    #[test]
    fn ids_of_a_later_epoch_are_larger_and_never_repeat() {
        let mut first = Sequences::new(1);
        let mut second = Sequences::new(2);
        let a = first.next_task_id();
        let b = first.next_task_id();
        assert!(b > a);
        assert!(second.next_task_id() > b);
        assert_ne!(first.next_lease_token(), first.next_lease_token());
        assert_eq!(second.next_session(), 1);
    }
}
