//! Where lifecycle events and alerts go: the [`EventSink`] port (EventBridge in
//! `fjc_aws::events`, an in-memory sink in the test kit). What an event is and
//! when one is made is the domain's ([`fjc_domain::events`], re-exported here);
//! the executor sends a job's outbox after the write that filled it.

use futures::future::BoxFuture;

pub use fjc_domain::events::*;

/// A failed send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The bus refused or did not answer.
    #[error("events to {bus}: {message}")]
    Send {
        /// The bus.
        bus: String,
        /// What went wrong (no event content).
        message: String,
        /// Whether trying again later may succeed (the outbox keeps the events
        /// either way; a permanent error is only logged louder).
        retryable: bool,
    },
}

impl EventError {
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            EventError::Send { retryable, .. } => *retryable,
        }
    }
}

/// Sends a job's events, in order: all of them, or an error (then they are
/// sent again later, with the same ids).
pub trait EventSink: Send + Sync + std::fmt::Debug {
    /// Sends `events`.
    fn send<'a>(&'a self, events: &'a [JobEvent]) -> BoxFuture<'a, Result<(), EventError>>;
}
