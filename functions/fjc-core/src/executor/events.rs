//! The event outbox around every state write: [`crate::events::stamp`] before
//! it, the state remembered after it while its outbox holds events, and the
//! outbox sent and cleared when the job's action ends (or by an `Announce`
//! action, for events a cycle left behind).

use tracing::{info, warn};

use super::{Executor, Outcome, Step};
use crate::context::Ports;
use crate::state::JobState;
use crate::store::StateStore;

impl<P: Ports> Executor<'_, P> {
    /// Adds the events `state`'s record has not told yet to its outbox (when
    /// events are configured at all).
    pub(super) fn stamp(&self, state: &mut JobState) {
        if self.ctx.events.is_some() {
            let spec = self.specs.get(&state.job_id);
            crate::events::stamp(state, spec, self.correlation_id, self.now());
        }
    }

    /// Remembers `state` (just written) while its outbox holds events.
    pub(super) fn written(&self, state: &JobState) {
        let mut unsent = self
            .unsent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.outbox.is_empty() {
            unsent.remove(&state.job_id);
        } else {
            unsent.insert(state.job_id.clone(), state.clone());
        }
    }

    /// `Announce`: the stored outbox is sent when the action ends.
    pub(super) fn announce(&self, job_id: &str) -> Step<Outcome> {
        let state = self.stored(job_id)?;
        let n = state.outbox.len();
        self.written(&state);
        Ok(Outcome::Done(format!(
            "{n} event(s) left by an earlier cycle"
        )))
    }

    /// Sends the outbox of the job's newest written state, then clears it (one
    /// write). A failed send leaves the outbox for the next cycle; without an
    /// event sink (events turned off since) the outbox is dropped.
    pub(super) async fn send_events(&self, job_id: &str) -> Step<()> {
        let unsent = self
            .unsent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(job_id);
        let Some(mut state) = unsent.filter(|s| !s.outbox.is_empty()) else {
            return Ok(());
        };
        match &self.ctx.events {
            Some(sink) => match sink.send(&state.outbox).await {
                Ok(()) => info!(job = %job_id, events = state.outbox.len(), "events sent"),
                Err(e) => {
                    warn!(job = %job_id, error = %e, retryable = e.is_retryable(),
                        "events not sent; kept for the next cycle");
                    return Ok(());
                }
            },
            None => warn!(job = %job_id, events = state.outbox.len(),
                "events turned off: the outbox is dropped"),
        }
        state.outbox.clear();
        state.version = self.ctx.store.put_state(&state, self.lease).await?;
        Ok(())
    }
}
