//! Replacing a running stream job without losing its state: the carry-over
//! ([`crate::operation::carry`]) carried out.

use fjc_flink::JobId;
use fjc_flink::rest::new_trigger_id;

use super::Executor;
use crate::context::Ports;
use crate::operation::carry::{CarryOver, Settings};
use crate::state::JobState;
use crate::store::SpecRecord;

impl<P: Ports> Executor<'_, P> {
    /// The carry-over of `old`'s state for `state`'s operation, as the upgrade
    /// mode of `record` says.
    pub(crate) fn carry(&self, state: JobState, record: &SpecRecord, old: &JobId) -> CarryOver {
        let live = self
            .observed_state(&state.cluster, old)
            .is_some_and(|s| !s.is_globally_terminal());
        let settings = Settings::of(&record.spec, self.backoff(), self.end_wait_ms());
        CarryOver::new(state, old, live, settings, new_trigger_id())
    }

    /// How long an old job is given to end by itself after its savepoint.
    pub(crate) fn end_wait_ms(&self) -> i64 {
        let wait = self.ctx.settings.cancel_wait_seconds;
        i64::try_from(wait.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}
