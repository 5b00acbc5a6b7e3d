//! Replacing a running stream job without losing its state: the carry-over
//! ([`crate::operation::carry`]) carried out.

use std::time::Duration;

use fjc_flink::rest::new_trigger_id;
use fjc_flink::{FlinkApi, JobId};

use super::{Executor, Step};
use crate::artifacts::ArtifactSource;
use crate::clock::Clock;
use crate::operation::carry::{Carry, CarryOver, Settings};
use crate::secrets::SecretSource;
use crate::state::JobState;
use crate::store::{SpecRecord, Store};

impl<S: Store, F: FlinkApi, A: ArtifactSource, C: Clock, K: SecretSource>
    Executor<'_, S, F, A, C, K>
{
    /// Gets the replaced job `old` out of the way, keeping its state as the
    /// upgrade mode of `record` says. `state` is left as the carry-over saved it.
    pub(crate) async fn carry_over(
        &self,
        state: &mut JobState,
        record: &SpecRecord,
        old: &JobId,
    ) -> Step<Carry> {
        let live = self
            .observed_state(&state.cluster, old)
            .is_some_and(|s| !s.is_globally_terminal());
        let wait = self.ctx.settings.cancel_wait_seconds;
        let end_wait_ms = i64::try_from(wait.saturating_mul(1000)).unwrap_or(i64::MAX);
        let settings = Settings::of(&record.spec, self.backoff(), end_wait_ms);
        let mut op = CarryOver::new(state.clone(), old, live, settings, new_trigger_id());
        // At least the time checkpoint statistics take to settle: what was seen
        // of them is not kept for a later cycle.
        let budget = Duration::from_secs(wait.max(5));
        let carry = self.drive_within(&mut op, budget).await?;
        *state = op.into_state();
        Ok(carry)
    }
}
