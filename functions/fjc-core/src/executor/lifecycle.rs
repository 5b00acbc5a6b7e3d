//! Operations on a running stream job besides deploys: suspend (stop with a
//! savepoint), savepoints (periodic or manual, with retention and disposal),
//! rollback to a recorded revision, and recording the newest retained
//! checkpoint. Each records its intent (and trigger id) before calling Flink.

use fjc_flink::rest::new_trigger_id;
use fjc_flink::{FlinkApi, JobId};
use fjc_spec::UpgradeMode;
use tracing::{info, warn};

use super::{Executor, Outcome, Step};
use crate::artifacts::ArtifactSource;
use crate::clock::Clock;
use crate::error::CoreError;
use crate::operation::carry::Carry;
use crate::operation::savepoint::{Settings, TakeSavepoint};
use crate::revisions::RevisionOutcome;
use crate::secrets::SecretSource;
use crate::state::{JobState, Lifecycle, Operation, Purpose, RollbackRecord, UpgradeProgress};
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

    pub(crate) async fn continue_savepoint(&self, state: JobState) -> Step<Outcome> {
        let settings = Settings::of(&self.spec(&state.job_id)?.spec, self.backoff());
        let Some(mut op) = TakeSavepoint::resume(state, settings) else {
            return Ok(Outcome::Done("no savepoint in flight".into()));
        };
        self.drive(&mut op).await
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
