//! Replacing a running stream job without losing its state, per the spec's
//! upgrade mode. Every step records what it learned before the next Flink call,
//! so a crash anywhere resumes at the same point:
//!
//! - `savepoint`: record a trigger id → stop-with-savepoint (idempotent per
//!   trigger id) → poll → record the location → wait for the old job to end →
//!   the new job starts from it. A failed or timed-out savepoint leaves the old
//!   job running and the change waiting (retried with backoff).
//! - `last-state`: record the newest retained checkpoint of the old job (if young
//!   enough, else fall back to `savepoint`) → cancel → start from it.
//! - `stateless`: cancel → start empty.

use std::time::Duration;

use fjc_flink::rest::new_trigger_id;
use fjc_flink::{FlinkApi, FlinkError, JobId, SavepointStatus};
use fjc_spec::UpgradeMode;
use tracing::{info, warn};

use super::{Executor, Outcome, Step};
use crate::artifacts::ArtifactSource;
use crate::clock::Clock;
use crate::secrets::SecretSource;
use crate::state::{JobState, Lifecycle, Operation, SavepointRecord, UpgradeProgress};
use crate::store::{SpecRecord, Store};

/// How long the checkpoint statistics of a cancelled job must stay the same before
/// its newest retained checkpoint is trusted (above Flink's default 3 s cache).
const STATS_SETTLE: Duration = Duration::from_secs(4);

/// Where carrying the state over stands.
pub(crate) enum Carry {
    /// The old job is gone; start the new one from this savepoint (or empty).
    Ready(Option<String>),
    /// Not yet (savepoint in progress, old job still stopping): next cycle.
    Wait(String),
    /// Given up; the old job keeps running. The outcome to report.
    Abandoned(Outcome),
}

fn progress(state: &mut JobState) -> Option<&mut UpgradeProgress> {
    match &mut state.operation {
        Some(Operation::Deploy { upgrade, .. }) => upgrade.as_mut(),
        Some(Operation::Suspend { upgrade, .. }) => Some(upgrade),
        _ => None,
    }
}

impl<S: Store, F: FlinkApi, A: ArtifactSource, C: Clock, K: SecretSource>
    Executor<'_, S, F, A, C, K>
{
    /// Gets the replaced job `old` out of the way, keeping its state as the spec's
    /// upgrade mode says.
    pub(crate) async fn carry_over(
        &self,
        state: &mut JobState,
        record: &SpecRecord,
        old: &JobId,
    ) -> Step<Carry> {
        let Some(p) = progress(state).cloned() else {
            return self.stopped(state, old, None).await;
        };
        if let Some(from) = p.restore_from {
            return match p.mode {
                UpgradeMode::Savepoint => self.ended(state, old, from).await,
                _ => self.stopped(state, old, Some(from)).await,
            };
        }
        match p.mode {
            UpgradeMode::Stateless => self.stopped(state, old, None).await,
            UpgradeMode::LastState => self.last_state(state, record, old).await,
            UpgradeMode::Savepoint => self.savepoint(state, record, old).await,
        }
    }

    /// Cancels `old` if still live and waits (bounded) for it to end.
    async fn stopped(&self, state: &JobState, old: &JobId, from: Option<String>) -> Step<Carry> {
        let flink = self.flink(&state.cluster)?;
        if self.stop_job(flink, &state.cluster, old).await? {
            Ok(Carry::Ready(from))
        } else {
            Ok(Carry::Wait(format!("waiting for old job {old} to stop")))
        }
    }

    /// `last-state`: only with a retained checkpoint young enough (else a
    /// savepoint, while the job still runs); cancel; then record the checkpoint
    /// the cancelled job retained (its newest: older ones are subsumed) and start
    /// from it. Re-entrant: a resumed step cancels nothing twice and reads the
    /// same retained checkpoint.
    /// After stop-with-savepoint: waits (bounded) for the old job to end by
    /// itself; only if it is still not done after a further cycle's wait is it
    /// cancelled (its state is safe in the savepoint by then).
    async fn ended(&self, state: &JobState, old: &JobId, from: String) -> Step<Carry> {
        let flink = self.flink(&state.cluster)?;
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.ctx.settings.cancel_wait_seconds);
        loop {
            match flink.job(old).await {
                Ok(d) if d.state.is_globally_terminal() => return Ok(Carry::Ready(Some(from))),
                Err(FlinkError::NotFound { .. }) => return Ok(Carry::Ready(Some(from))),
                Ok(_) => {}
                Err(e) => return Err(e.into()),
            }
            if tokio::time::Instant::now() >= deadline {
                warn!(job = %state.job_id, %old, "old job still running after its savepoint; cancelling it");
                return self.stopped(state, old, Some(from)).await;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn last_state(
        &self,
        state: &mut JobState,
        record: &SpecRecord,
        old: &JobId,
    ) -> Step<Carry> {
        let flink = self.flink(&state.cluster)?;
        let max_age =
            i64::try_from(record.spec.last_state_max_age().as_millis()).unwrap_or(i64::MAX);
        let live = self
            .observed_state(&state.cluster, old)
            .is_some_and(|s| !s.is_globally_terminal());
        let newest = |stats: Option<fjc_flink::CheckpointStats>| {
            stats
                .and_then(|s| s.latest_completed)
                .and_then(|c| Some((c.external_path?, c.completed_at?)))
        };
        if live {
            let fresh = match flink.checkpoints(old).await {
                Ok(stats) => newest(Some(stats)).filter(|(_, at)| self.now() - at <= max_age),
                Err(FlinkError::NotFound { .. }) => None,
                Err(e) => return Err(e.into()),
            };
            if fresh.is_none() {
                info!(job = %state.job_id, "no retained checkpoint young enough; taking a savepoint instead");
                if let Some(p) = progress(state) {
                    p.mode = UpgradeMode::Savepoint;
                }
                self.save(state).await?;
                return self.savepoint(state, record, old).await;
            }
        }
        if let Carry::Wait(why) = self.stopped(state, old, None).await? {
            return Ok(Carry::Wait(why));
        }
        let Some(retained) = self
            .settled_checkpoints(flink, old, |stats| newest(Some(stats)))
            .await?
        else {
            return Ok(Carry::Wait(format!(
                "waiting for job {old}'s checkpoint statistics to settle"
            )));
        };
        let Some((path, at)) = retained else {
            return self.old_job_gone(state, old).await;
        };
        let record = SavepointRecord {
            location: path,
            at,
            from_job: old.clone(),
            kind: "checkpoint".into(),
        };
        let path = self.restore_point(state, record).await?;
        Ok(Carry::Ready(Some(path)))
    }

    /// What `pick` makes of an ended job's checkpoint statistics, read until the
    /// answer has held longer than Flink's statistics cache (`web.refresh-interval`,
    /// 3 s by default): a read right after the job ended may still name a
    /// checkpoint that newer ones have since subsumed and deleted. `None` when it
    /// did not settle within `cancel_wait_seconds` (at least 5 s); a job Flink no
    /// longer knows has no statistics (`pick` is not asked).
    pub(crate) async fn settled_checkpoints<T: PartialEq>(
        &self,
        flink: &crate::counted::Counted<F>,
        job: &JobId,
        pick: impl Fn(fjc_flink::CheckpointStats) -> Option<T>,
    ) -> Result<Option<Option<T>>, FlinkError> {
        let mut seen: Option<T> = None;
        let mut since = tokio::time::Instant::now();
        let deadline = since + Duration::from_secs(self.ctx.settings.cancel_wait_seconds.max(5));
        let mut first = true;
        loop {
            let now_seen = match flink.checkpoints(job).await {
                Ok(stats) => pick(stats),
                Err(FlinkError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            if first || now_seen != seen {
                seen = now_seen;
                since = tokio::time::Instant::now();
                first = false;
            } else if since.elapsed() >= STATS_SETTLE {
                return Ok(Some(seen));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn savepoint(
        &self,
        state: &mut JobState,
        record: &SpecRecord,
        old: &JobId,
    ) -> Step<Carry> {
        let flink = self.flink(&state.cluster)?;
        // 1. The trigger id is recorded before Flink hears of it.
        let (trigger, resumed) = match progress(state).and_then(|p| p.trigger_id.clone()) {
            Some(t) => (t, true),
            None => {
                let t = new_trigger_id();
                let now = self.now();
                if let Some(p) = progress(state) {
                    p.trigger_id = Some(t.clone());
                    p.savepoint_started_at = Some(now);
                }
                self.save(state).await?;
                (t, false)
            }
        };
        // 2. Stop with a savepoint. A resumed step asks about its trigger first:
        // the savepoint may be complete and the old job already ended.
        let known = resumed
            && matches!(
                flink.savepoint_status(old, &trigger).await,
                Ok(SavepointStatus::Completed { .. } | SavepointStatus::InProgress)
            );
        if !known {
            let target = record.spec.deployment.savepoint_path.as_deref();
            match flink.stop_with_savepoint(old, target, &trigger).await {
                Ok(()) => {}
                Err(FlinkError::NotFound { .. } | FlinkError::AlreadyTerminal { .. }) => {
                    return self.old_job_gone(state, old).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        // 3. Poll, within this cycle's bounded wait; later cycles carry on.
        let started = progress(state)
            .and_then(|p| p.savepoint_started_at)
            .unwrap_or_else(|| self.now());
        let timeout = record.spec.savepoint_timeout();
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.ctx.settings.cancel_wait_seconds);
        loop {
            match flink.savepoint_status(old, &trigger).await {
                Ok(SavepointStatus::Completed { location }) => {
                    info!(job = %state.job_id, %location, "savepoint completed");
                    let record = SavepointRecord {
                        location,
                        at: self.now(),
                        from_job: old.clone(),
                        kind: "savepoint".into(),
                    };
                    let location = self.restore_point(state, record).await?;
                    return self.ended(state, old, location).await;
                }
                Ok(SavepointStatus::Failed { cause }) => {
                    // Flink may have forgotten the trigger (its async results live
                    // `rest.async.store-duration`, 5 min) or the JobManager may
                    // have restarted: the job itself says whether the stop
                    // happened. Only a job still running means it did not.
                    if self.old_job_ended(state, old).await? {
                        return self.old_job_gone(state, old).await;
                    }
                    return self
                        .abandon(state, old, format!("savepoint failed: {cause}"))
                        .await;
                }
                Ok(SavepointStatus::InProgress) => {}
                Err(FlinkError::NotFound { .. }) => {
                    return self.old_job_gone(state, old).await;
                }
                Err(e) => return Err(e.into()),
            }
            let elapsed = Duration::from_millis(u64::try_from(self.now() - started).unwrap_or(0));
            if elapsed > timeout {
                // A stop-with-savepoint cannot be called off: if Flink still
                // completed it later, the job would end with its state in a
                // savepoint nobody recorded. So the overrun is reported and the
                // trigger watched until Flink decides (its checkpoint timeout
                // bounds that): failed → abandoned, the job keeps running;
                // completed → the upgrade goes on from it.
                let message = format!(
                    "savepoint exceeded savepoint_timeout ({}s) and is still in progress in \
                     Flink; the upgrade is abandoned if it fails, and goes on if it completes",
                    timeout.as_secs()
                );
                if state.last_error.as_ref().map(|e| &e.message) != Some(&message) {
                    warn!(job = %state.job_id, %old, "{message}");
                    state.set_error(message.clone(), self.now(), true);
                    self.save(state).await?;
                }
                return Ok(Carry::Wait(message));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Carry::Wait(format!("savepoint of {old} in progress")));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Whether `old` is over (globally terminal, or unknown to Flink): asked now,
    /// not taken from the cycle's observation.
    async fn old_job_ended(&self, state: &JobState, old: &JobId) -> Step<bool> {
        let flink = self.flink(&state.cluster)?;
        match flink.job(old).await {
            Ok(d) => Ok(d.state.is_globally_terminal()),
            Err(FlinkError::NotFound { .. }) => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    /// The old job ended (or vanished) without us seeing its savepoint: find its
    /// restore points in storage now (a stop-savepoint Flink completed is the
    /// newest), with the recorded ones; the newest wins. None: refuse (never start
    /// empty by surprise).
    async fn old_job_gone(&self, state: &mut JobState, old: &JobId) -> Step<Carry> {
        let spec = self.specs.get(&state.job_id).map(|r| &r.spec);
        let found = Box::pin(self.restore_chain(state, spec)).await;
        if found.chain.is_empty() && found.incomplete {
            return Ok(Carry::Wait(format!(
                "job {old} ended; its restore points could not be listed yet"
            )));
        }
        match found.chain.first().map(|c| c.record(old)) {
            Some(sp) => {
                warn!(job = %state.job_id, %old, location = %sp.location, "old job is gone; restoring from its newest savepoint");
                let location = self.restore_point(state, sp).await?;
                Ok(Carry::Ready(Some(location)))
            }
            None => {
                let message = format!(
                    "job {old} ended before its savepoint was taken and no savepoint is known; \
                     not starting the new version with empty state (use upgrade_mode: stateless \
                     to allow it)"
                );
                state.operation = None;
                state.lifecycle = Lifecycle::Failed;
                state.set_error(message.clone(), self.now(), false);
                self.save(state).await?;
                Ok(Carry::Abandoned(Outcome::Failed(message)))
            }
        }
    }

    /// Records where the new job starts from (the operation's step and the job's
    /// newest savepoint), before anything else happens; returns the location.
    async fn restore_point(&self, state: &mut JobState, record: SavepointRecord) -> Step<String> {
        let location = record.location.clone();
        if let Some(p) = progress(state) {
            p.restore_from = Some(location.clone());
        }
        if record.kind == "savepoint" && !state.savepoints.iter().any(|s| s.location == location) {
            state.savepoints.push(record.clone());
        }
        state.last_savepoint = Some(record);
        self.save(state).await?;
        Ok(location)
    }

    /// The savepoint failed or timed out: the old job keeps running; the change
    /// waits and is retried with backoff.
    async fn abandon(&self, state: &mut JobState, old: &JobId, reason: String) -> Step<Carry> {
        let what = state.operation.as_ref().map_or("upgrade", |o| o.name());
        let message = format!("{what} not done, {reason}; job {old} keeps running");
        warn!(job = %state.job_id, error = %message, "upgrade abandoned");
        state.operation = None;
        state.lifecycle = Lifecycle::Running;
        state.failed_attempts = state.failed_attempts.saturating_add(1);
        state.next_attempt_at = Some(self.now() + self.backoff_ms(state.failed_attempts));
        state.set_error(message.clone(), self.now(), true);
        self.save(state).await?;
        Ok(Carry::Abandoned(Outcome::Failed(message)))
    }
}
