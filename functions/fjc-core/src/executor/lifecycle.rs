//! Operations on a running stream job besides deploys: suspend (stop with a
//! savepoint), savepoints (periodic or manual, with retention and disposal),
//! rollback to a recorded revision, and recording the newest retained
//! checkpoint. Each records its intent (and trigger id) before calling Flink.

use std::time::Duration;

use fjc_flink::rest::new_trigger_id;
use fjc_flink::{DisposalStatus, FlinkApi, FlinkError, JobId, SavepointStatus};
use fjc_spec::UpgradeMode;
use tracing::{info, warn};

use super::upgrade::Carry;
use super::{Executor, Outcome, Step};
use crate::artifacts::ArtifactSource;
use crate::clock::Clock;
use crate::error::CoreError;
use crate::revisions::RevisionOutcome;
use crate::secrets::SecretSource;
use crate::state::{
    JobState, Lifecycle, Operation, Purpose, RollbackRecord, SavepointRecord, UpgradeProgress,
};
use crate::store::Store;

impl<S: Store, F: FlinkApi, A: ArtifactSource, C: Clock, K: SecretSource>
    Executor<'_, S, F, A, C, K>
{
    /// `desired_state: suspended`: record the intent, then stop with a savepoint
    /// (`stateless` jobs are cancelled).
    pub(crate) async fn start_suspend(&self, job_id: &str, old: &JobId) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let mut state = self.stored(job_id)?;
        let mode = match record.spec.upgrade_mode() {
            UpgradeMode::Stateless => UpgradeMode::Stateless,
            _ => UpgradeMode::Savepoint,
        };
        state.lifecycle = Lifecycle::Suspending;
        state.operation = Some(Operation::Suspend {
            flink_job_id: old.clone(),
            started_at: self.now(),
            upgrade: UpgradeProgress::new(mode, None),
        });
        self.save(&mut state).await?;
        Box::pin(self.continue_suspend(state)).await
    }

    pub(crate) async fn continue_suspend(&self, mut state: JobState) -> Step<Outcome> {
        let Some(Operation::Suspend { flink_job_id, .. }) = state.operation.clone() else {
            return Ok(Outcome::Done("no suspend in flight".into()));
        };
        let record = self.spec(&state.job_id)?.clone();
        match Box::pin(self.carry_over(&mut state, &record, &flink_job_id)).await? {
            Carry::Wait(why) => Ok(Outcome::InProgress(why)),
            Carry::Abandoned(outcome) => Ok(outcome),
            Carry::Ready(location) => {
                state.operation = None;
                state.lifecycle = Lifecycle::Suspended;
                state.running_since = None;
                state.next_attempt_at = None;
                state.failed_attempts = 0;
                // The stopped job is history: nothing to observe until resumed.
                state.set_flink_state(Some("FINISHED".into()), self.now());
                state.flink_job_id = None;
                self.save(&mut state).await?;
                info!(job = %state.job_id, savepoint = ?location, "suspended");
                Ok(Outcome::Done(match location {
                    Some(l) => format!("suspended with savepoint {l}"),
                    None => "suspended (stateless: no savepoint)".into(),
                }))
            }
        }
    }

    /// A savepoint of the running job: trigger id recorded first.
    pub(crate) async fn start_savepoint(&self, job_id: &str, manual: bool) -> Step<Outcome> {
        let mut state = self.stored(job_id)?;
        if manual && let Some(at) = self.commands.get(job_id).and_then(|c| c.savepoint) {
            state.handled.insert("savepoint".into(), at);
        }
        let running = state.flink_job_id.clone().filter(|id| {
            self.observed_state(&state.cluster, id)
                .is_some_and(|s| *s == fjc_flink::FlinkJobState::Running)
        });
        let Some(flink_job_id) = running else {
            let message = "savepoint requested, but the job is not running".to_string();
            state.set_error(message.clone(), self.now(), false);
            self.save(&mut state).await?;
            return Ok(Outcome::Failed(message));
        };
        state.operation = Some(Operation::Savepoint {
            flink_job_id,
            trigger_id: new_trigger_id(),
            started_at: self.now(),
            manual,
        });
        self.save(&mut state).await?;
        Box::pin(self.continue_savepoint(state)).await
    }

    pub(crate) async fn continue_savepoint(&self, mut state: JobState) -> Step<Outcome> {
        let Some(Operation::Savepoint {
            flink_job_id,
            trigger_id,
            started_at,
            ..
        }) = state.operation.clone()
        else {
            return Ok(Outcome::Done("no savepoint in flight".into()));
        };
        let flink = self.flink(&state.cluster)?;
        let spec = self.spec(&state.job_id)?.spec.clone();
        // A resumed step asks about its trigger before triggering again.
        let known = matches!(
            flink.savepoint_status(&flink_job_id, &trigger_id).await,
            Ok(SavepointStatus::Completed { .. } | SavepointStatus::InProgress)
        );
        if !known {
            let target = spec.deployment.savepoint_path.as_deref();
            match flink
                .trigger_savepoint(&flink_job_id, target, &trigger_id)
                .await
            {
                Ok(()) => {}
                Err(e @ (FlinkError::NotFound { .. } | FlinkError::AlreadyTerminal { .. })) => {
                    return self
                        .savepoint_failed(&mut state, format!("job not running: {e}"))
                        .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let timeout = i64::try_from(spec.savepoint_timeout().as_millis()).unwrap_or(i64::MAX);
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(self.ctx.settings.cancel_wait_seconds);
        loop {
            match flink.savepoint_status(&flink_job_id, &trigger_id).await {
                Ok(SavepointStatus::Completed { location }) => {
                    let record = SavepointRecord {
                        location: location.clone(),
                        at: self.now(),
                        from_job: flink_job_id.clone(),
                        kind: "savepoint".into(),
                    };
                    state.savepoints.push(record.clone());
                    state.last_savepoint = Some(record);
                    // Savepoints of this job that Flink completed after an earlier
                    // step gave up on them join the history, where retention
                    // keeps or disposes of them like any other.
                    let late =
                        Box::pin(self.unknown_savepoints(&state, Some(&spec), &flink_job_id)).await;
                    for p in late {
                        info!(job = %state.job_id, location = %p.location, "recording a savepoint that completed after its step gave up");
                        state.savepoints.push(p);
                    }
                    state.operation = None;
                    state.next_attempt_at = None;
                    self.save(&mut state).await?;
                    info!(job = %state.job_id, %location, "savepoint taken");
                    let disposed = self.retain_savepoints(&mut state, &spec).await?;
                    return Ok(Outcome::Done(format!(
                        "savepoint {location}{}",
                        if disposed > 0 {
                            format!("; {disposed} expired savepoint(s) disposed of")
                        } else {
                            String::new()
                        }
                    )));
                }
                Ok(SavepointStatus::Failed { cause }) => {
                    return self
                        .savepoint_failed(&mut state, format!("savepoint failed: {cause}"))
                        .await;
                }
                Ok(SavepointStatus::InProgress) => {}
                Err(FlinkError::NotFound { .. }) => {
                    return self
                        .savepoint_failed(&mut state, "the job ended during the savepoint".into())
                        .await;
                }
                Err(e) => return Err(e.into()),
            }
            if self.now() - started_at > timeout {
                return self
                    .savepoint_failed(
                        &mut state,
                        format!("savepoint did not complete within {}s", timeout / 1000),
                    )
                    .await;
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Outcome::InProgress(format!(
                    "savepoint of {flink_job_id} in progress"
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn savepoint_failed(&self, state: &mut JobState, message: String) -> Step<Outcome> {
        warn!(job = %state.job_id, error = %message, "savepoint not taken");
        state.operation = None;
        state.failed_attempts = state.failed_attempts.saturating_add(1);
        state.next_attempt_at = Some(self.now() + self.backoff_ms(state.failed_attempts));
        state.set_error(message.clone(), self.now(), true);
        self.save(state).await?;
        Ok(Outcome::Failed(message))
    }

    /// Disposes of savepoints beyond the spec's count and age limits through
    /// Flink, never the newest, the newest restore point or the one the deployed
    /// version started from. A savepoint leaves the history only once Flink
    /// confirmed its disposal (or that it is already gone). Returns how many.
    async fn retain_savepoints(
        &self,
        state: &mut JobState,
        spec: &fjc_spec::JobSpec,
    ) -> Step<usize> {
        let now = self.now();
        let max_age = i64::try_from(spec.savepoint_max_age().as_millis()).unwrap_or(i64::MAX);
        let keep = spec.savepoint_history();
        let mut by_age: Vec<SavepointRecord> = state.savepoints.clone();
        by_age.sort_by_key(|s| std::cmp::Reverse(s.at));
        let protected = |s: &SavepointRecord| {
            Some(&s.location) == state.last_savepoint.as_ref().map(|l| &l.location)
                || Some(&s.location) == state.restored_from.as_ref()
        };
        let expired: Vec<String> = by_age
            .iter()
            .enumerate()
            .filter(|(i, s)| *i > 0 && (*i >= keep || now - s.at > max_age) && !protected(s))
            .map(|(_, s)| s.location.clone())
            .collect();
        let flink = self.flink(&state.cluster)?;
        let mut gone = Vec::new();
        for location in expired {
            match dispose(flink, &location).await {
                Ok(()) => gone.push(location),
                Err(e) => {
                    warn!(job = %state.job_id, %location, error = %e, "savepoint not disposed of")
                }
            }
        }
        if !gone.is_empty() {
            state.savepoints.retain(|s| !gone.contains(&s.location));
            self.save(state).await?;
        }
        Ok(gone.len())
    }

    /// Deploys revision `to` (default: the last stable one) again. Manual, on a
    /// running job: its state is carried over as for an upgrade. Automatic (the
    /// new version failed): it is cancelled and the revision starts from the
    /// state the failing version started from.
    pub(crate) async fn start_rollback(
        &self,
        job_id: &str,
        to: Option<u64>,
        reason: &str,
        manual: bool,
    ) -> Step<Outcome> {
        let spec = self.spec(job_id)?;
        let mut state = self.stored(job_id)?;
        if manual && let Some((at, _)) = self.commands.get(job_id).and_then(|c| c.rollback) {
            state.handled.insert("rollback".into(), at);
        }
        let target = match to.or(state.stable_revision) {
            Some(n) => self.revision(job_id, n).await,
            None => Err(CoreError::NotFound(format!(
                "{job_id} has no stable revision to roll back to"
            ))),
        };
        let target = match target {
            Ok(t) => t,
            Err(e) => {
                let message = format!("rollback not possible: {e}");
                state.set_error(message.clone(), self.now(), false);
                self.save(&mut state).await?;
                return Ok(Outcome::Failed(message));
            }
        };
        let live = state.flink_job_id.clone().filter(|id| {
            self.observed_state(&state.cluster, id)
                .is_some_and(|s| !s.is_globally_terminal())
        });
        let reason = format!(
            "rolled back from revision {} to {}: {reason}",
            state.revision, target.number
        );
        warn!(job = %job_id, %reason, "rolling back");
        if state.revision != target.number {
            self.mark_revision(&state, RevisionOutcome::RolledBack, Some(reason.clone()))
                .await;
        }
        let upgrade = if manual && live.is_some() {
            UpgradeProgress::new(target.spec.upgrade_mode(), None)
        } else {
            // The failing version's own state may not suit the old one: start
            // from what the failing version started from (or the newest known).
            let failed_to_start = state.deployed_fingerprint != state.attempted_fingerprint;
            let from = if failed_to_start {
                state.last_savepoint.as_ref().map(|s| s.location.clone())
            } else {
                state
                    .restored_from
                    .clone()
                    .or_else(|| state.last_savepoint.as_ref().map(|s| s.location.clone()))
            };
            UpgradeProgress::new(UpgradeMode::Stateless, from)
        };
        state.rollback = Some(RollbackRecord {
            from_revision: state.revision,
            to_revision: target.number,
            rejected: spec.fingerprint.clone(),
            reason: reason.clone(),
            at: self.now(),
        });
        state.set_error(reason, self.now(), false);
        state.lifecycle = Lifecycle::RollingBack;
        state.operation = Some(Operation::Deploy {
            fingerprint: target.fingerprint.clone(),
            flink_job_id: JobId::random(),
            replaces: live,
            started_at: self.now(),
            upgrade: Some(upgrade),
            purpose: Purpose::Rollback { to: target.number },
        });
        self.save(&mut state).await?;
        Box::pin(self.continue_deploy(state)).await
    }
}

/// Disposes of a savepoint and waits (bounded) for Flink to confirm. A
/// savepoint that no longer exists counts as disposed of.
async fn dispose<F: FlinkApi>(flink: &F, location: &str) -> Result<(), String> {
    let trigger = flink
        .dispose_savepoint(location)
        .await
        .map_err(|e| e.to_string())?;
    for _ in 0..40 {
        match flink.disposal_status(&trigger).await {
            Ok(DisposalStatus::Done) => return Ok(()),
            Ok(DisposalStatus::Failed { cause }) if is_missing(&cause) => return Ok(()),
            Ok(DisposalStatus::Failed { cause }) => return Err(cause),
            Ok(DisposalStatus::InProgress) => {}
            Err(e) => return Err(e.to_string()),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err("disposal still in progress".into())
}

fn is_missing(cause: &str) -> bool {
    ["FileNotFoundException", "does not exist", "Cannot find"]
        .iter()
        .any(|m| cause.contains(m))
}
