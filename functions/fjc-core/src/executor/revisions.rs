//! Revision bookkeeping of deployments: numbering a new version (its revision is
//! written before the state that names it, so a crash in between rewrites the
//! same number), marking outcomes, pruning old revisions, and what a deploy's
//! purpose changes in the state before its intent is recorded.

use fjc_flink::{FlinkApi, JobId};
use tracing::warn;

use super::{Executor, Step};
use crate::artifacts::ArtifactSource;
use crate::clock::Clock;
use crate::error::CoreError;
use crate::revisions::{Revision, RevisionOutcome};
use crate::secrets::SecretSource;
use crate::state::{JobState, Purpose};
use crate::store::{SpecRecord, Store};

impl<S: Store, F: FlinkApi, A: ArtifactSource, C: Clock, K: SecretSource>
    Executor<'_, S, F, A, C, K>
{
    /// Revision `number` of a job, or a clear error naming what is kept.
    pub(crate) async fn revision(&self, job_id: &str, number: u64) -> Step<Revision> {
        let all = self.ctx.store.list_revisions(job_id).await?;
        let kept: Vec<String> = all.iter().map(|r| r.number.to_string()).collect();
        all.into_iter().find(|r| r.number == number).ok_or_else(|| {
            CoreError::NotFound(format!(
                "revision {number} of {job_id} is not kept (kept: {})",
                if kept.is_empty() {
                    "none".to_string()
                } else {
                    kept.join(", ")
                }
            ))
        })
    }

    /// What the deploy's purpose changes before its intent is written.
    pub(crate) async fn note_purpose(
        &self,
        state: &mut JobState,
        purpose: Purpose,
        record: &SpecRecord,
    ) {
        let now = self.now();
        match purpose {
            Purpose::Deploy => {
                state.recoveries.clear();
                state.rollback = None;
            }
            Purpose::Restart => {
                state.recoveries.clear();
                state.rollback = None;
                if let Some((at, _)) = self
                    .commands
                    .get(&state.job_id)
                    .and_then(|c| c.restart.clone())
                {
                    state.handled.insert("restart".into(), at);
                }
            }
            Purpose::Recover => {
                let window =
                    i64::try_from(record.spec.recovery_window().as_millis()).unwrap_or(i64::MAX);
                state.recoveries.retain(|t| now - t < window);
                state.recoveries.push(now);
                let cause = match &state.flink_job_id {
                    Some(id) => self.recovery_cause(state, id).await,
                    None => None,
                };
                let n = state.recoveries.len();
                let budget = record.spec.recovery_attempts();
                let from = match &state.last_savepoint {
                    _ if record.spec.upgrade_mode() == fjc_spec::UpgradeMode::Stateless => {
                        "; restarting with empty state (upgrade_mode stateless)".to_string()
                    }
                    Some(sp) => format!("; restoring from {} {}", sp.kind, sp.location),
                    None => "; no savepoint or checkpoint is known: restarting with empty state"
                        .to_string(),
                };
                state.set_error(
                    format!(
                        "recovery {n} of {budget}: {}{from}",
                        cause.unwrap_or_else(|| "the job was lost by its cluster".into())
                    ),
                    now,
                    true,
                );
            }
            Purpose::Resume | Purpose::Rollback { .. } => {}
        }
    }
    async fn recovery_cause(&self, state: &JobState, id: &JobId) -> Option<String> {
        if self
            .observed_state(&state.cluster, id)
            .is_none_or(|s| *s != fjc_flink::FlinkJobState::Failed)
        {
            return None;
        }
        match self.failure_cause(&state.cluster, id).await {
            Ok(Ok(Some(cause))) => Some(format!("Flink job {id} failed: {cause}")),
            _ => Some(format!("Flink job {id} failed")),
        }
    }

    /// Sets the outcome of the deployed revision (history only: a failure is
    /// logged, not fatal).
    pub(crate) async fn mark_revision(
        &self,
        state: &JobState,
        outcome: RevisionOutcome,
        reason: Option<String>,
    ) {
        let result = async {
            let mut r = self.revision(&state.job_id, state.revision).await?;
            r.outcome = outcome;
            r.reason = reason;
            self.ctx.store.put_revision(&r).await?;
            Ok::<_, CoreError>(())
        };
        if let Err(e) = result.await {
            warn!(job = %state.job_id, revision = state.revision, error = %e, "could not update revision");
        }
    }
}
