//! The writes of the operation in progress, handed to the persister when
//! the operation ends (in the order they happened, under the queen's lock).

use crate::persister::{Durable, Persister, Write};

/// The scheduler's outgoing writes.
pub(super) struct Journal {
    persister: Persister,
    writes: Vec<Write>,
}

impl Journal {
    pub(super) fn new(persister: Persister) -> Self {
        Self {
            persister,
            writes: Vec::new(),
        }
    }

    /// Queues one write of the current operation.
    pub(super) fn push(&mut self, write: Write) {
        self.writes.push(write);
    }

    /// Whether the persister is too far behind to be given more work.
    pub(super) fn backlogged(&self) -> bool {
        self.persister.backlogged()
    }

    /// Sends the current operation's writes to the persister.
    pub(super) fn flush(&mut self) {
        self.persister.send(std::mem::take(&mut self.writes));
    }

    /// Like [`Journal::flush`], with a handle that resolves once they are
    /// durable.
    pub(super) fn flush_durable(&mut self) -> Durable {
        self.persister
            .send_durable(std::mem::take(&mut self.writes))
    }
}
