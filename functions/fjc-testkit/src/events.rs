//! A fake [`EventSink`]: keeps what it was sent, in order, and can be told to
//! fail its next sends (a bus that is down, or a crash at the send step). It
//! passes [`crate::contract::events_contract`], as the EventBridge adapter does
//! against moto.

use std::sync::Mutex;

use fjc_core::events::{EventError, EventSink, JobEvent};
use futures::future::BoxFuture;

/// Events in memory.
#[derive(Debug, Default)]
pub struct MemoryEvents {
    sent: Mutex<Vec<JobEvent>>,
    failures: Mutex<u32>,
}

impl MemoryEvents {
    /// An empty sink that accepts every send.
    pub fn new() -> MemoryEvents {
        MemoryEvents::default()
    }

    /// Every event sent so far, in order.
    pub fn sent(&self) -> Vec<JobEvent> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The next `n` sends fail (retryable), sending nothing.
    pub fn fail_next(&self, n: u32) {
        *self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = n;
    }
}

impl EventSink for MemoryEvents {
    fn send<'a>(&'a self, events: &'a [JobEvent]) -> BoxFuture<'a, Result<(), EventError>> {
        Box::pin(async move {
            {
                let mut failures = self
                    .failures
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if *failures > 0 {
                    *failures -= 1;
                    return Err(EventError::Send {
                        bus: "memory".into(),
                        message: "injected failure".into(),
                        retryable: true,
                    });
                }
            }
            self.sent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(events);
            Ok(())
        })
    }
}
