//! Operations on a running stream job besides deploys: suspend (stop with a
//! savepoint), savepoints (periodic or manual, with retention and disposal),
//! rollback to a recorded revision, and recording the newest retained
//! checkpoint. Each records its intent (and trigger id) before calling Flink.

use fjc_flink::JobId;
use fjc_flink::rest::new_trigger_id;

use super::{Executor, Outcome, Step};
use crate::context::Ports;
use crate::executor_secrets::scrub_secrets;
use crate::operation::rescale::Rescale;
use crate::operation::rollback;
use crate::operation::savepoint::{self, Settings, TakeSavepoint};
use crate::operation::suspend::{self, Suspend};
use crate::revisions::RevisionOutcome;
use crate::state::JobState;

impl<P: Ports> Executor<'_, P> {
    /// `desired_state: suspended`: record the intent ([`suspend::intent`]),
    /// then carry it on.
    pub(crate) async fn start_suspend(&self, job_id: &str, old: &JobId) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let mut state = suspend::intent(self.stored(job_id)?, &record.spec, old, self.now());
        self.save(&mut state).await?;
        Box::pin(self.continue_suspend(state)).await
    }

    /// Carries the suspension recorded in `state` on ([`Suspend`]).
    pub(crate) async fn continue_suspend(&self, state: JobState) -> Step<Outcome> {
        let record = self.spec(&state.job_id)?.clone();
        let carry = |old: &JobId| self.carry(state.clone(), &record, old);
        let Some(mut op) = Suspend::resume(&state, carry) else {
            return Ok(Outcome::Done("no suspend in flight".into()));
        };
        self.drive(&state.job_id, &mut op).await
    }

    /// An in-place rescale of the running job under the adaptive scheduler
    /// ([`Rescale`]): slots first, then its intent recorded before Flink is
    /// called.
    pub(crate) async fn start_rescale(
        &self,
        job_id: &str,
        job: &JobId,
        from: u32,
        to: u32,
    ) -> Step<Outcome> {
        let record = self.spec(job_id)?.clone();
        let mut op = Rescale::start(self.stored(job_id)?, record, job.clone(), from, to);
        self.drive(job_id, &mut op).await
    }

    /// Carries the rescale recorded in `state` on.
    pub(crate) async fn continue_rescale(&self, state: JobState) -> Step<Outcome> {
        let record = self.spec(&state.job_id)?.clone();
        let job_id = state.job_id.clone();
        let Some(mut op) = Rescale::resume(state, record) else {
            return Ok(Outcome::Done("no rescale in flight".into()));
        };
        self.drive(&job_id, &mut op).await
    }

    /// A savepoint of the running job: its trigger id recorded first
    /// ([`savepoint::intent`]).
    pub(crate) async fn start_savepoint(&self, job_id: &str, manual: bool) -> Step<Outcome> {
        let state = self.stored(job_id)?;
        let running = state.flink_job_id.clone().filter(|id| {
            self.observed_state(&state.cluster, id)
                .is_some_and(|s| *s == fjc_flink::FlinkJobState::Running)
        });
        let requested = self.commands.get(job_id).and_then(|c| c.savepoint);
        let trigger = new_trigger_id();
        match savepoint::intent(state, running, manual, requested, trigger, self.now()) {
            savepoint::Intent::Record(mut state) => {
                self.save(&mut state).await?;
                Box::pin(self.continue_savepoint(state)).await
            }
            savepoint::Intent::NotRunning { mut state, message } => {
                self.save(&mut state).await?;
                Ok(Outcome::Failed(message))
            }
        }
    }

    pub(crate) async fn continue_savepoint(&self, state: JobState) -> Step<Outcome> {
        let settings = Settings::of(&self.spec(&state.job_id)?.spec, self.backoff());
        let job_id = state.job_id.clone();
        let Some(mut op) = TakeSavepoint::resume(state, settings) else {
            return Ok(Outcome::Done("no savepoint in flight".into()));
        };
        self.drive(&job_id, &mut op).await
    }

    /// Deploys revision `to` (default: the last stable one) again
    /// ([`rollback::intent`] decides how).
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
            Some(n) => self.revision(job_id, n).await.map_err(|e| e.to_string()),
            None => Err(format!("{job_id} has no stable revision to roll back to")),
        };
        let live = state.flink_job_id.clone().filter(|id| {
            self.observed_state(&state.cluster, id)
                .is_some_and(|s| !s.is_globally_terminal())
        });
        // An automatic rollback of a version Flink failed says why Flink failed it
        // (asked again for a few seconds while Flink has no cause yet).
        let failed = state.flink_job_id.clone().filter(|id| {
            !manual
                && self.observed_state(&state.cluster, id)
                    == Some(&fjc_flink::FlinkJobState::Failed)
        });
        let reason = match failed {
            None => reason.to_string(),
            Some(id) => match self.failure_cause(job_id, &state.cluster, &id).await? {
                None => {
                    return Ok(Outcome::InProgress(format!(
                        "waiting for Flink's failure cause of job {id}"
                    )));
                }
                Some(Ok(Some(cause))) => {
                    let cause =
                        scrub_secrets(&*self.ctx.secrets, &self.ctx.security, &spec.spec, cause)
                            .await;
                    format!("{reason}: {cause}")
                }
                Some(_) => reason.to_string(),
            },
        };
        let start = rollback::Start {
            target: target.as_ref().map_err(String::clone),
            rejected: &spec.fingerprint,
            live,
            reason: &reason,
            manual,
            now: self.now(),
        };
        match rollback::intent(state.clone(), start, JobId::random()) {
            rollback::Intent::Record {
                mut state,
                rolled_back,
            } => {
                if let Some(reason) = rolled_back {
                    // The version left, as it was before this rollback.
                    self.mark_revision(
                        &state.job_id,
                        state.revision,
                        RevisionOutcome::RolledBack,
                        Some(reason),
                    )
                    .await;
                }
                self.save(&mut state).await?;
                Box::pin(self.continue_deploy(state)).await
            }
            rollback::Intent::Refused { mut state, message } => {
                self.save(&mut state).await?;
                Ok(Outcome::Failed(message))
            }
        }
    }
}
