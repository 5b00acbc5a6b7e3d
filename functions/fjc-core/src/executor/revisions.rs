//! Revision bookkeeping of deployments: numbering a new version (its revision is
//! written before the state that names it, so a crash in between rewrites the
//! same number), marking outcomes, pruning old revisions, and what a deploy's
//! purpose changes in the state before its intent is recorded.

use tracing::warn;

use super::{Executor, Step};
use crate::context::Ports;
use crate::error::CoreError;
use crate::revisions::{Revision, RevisionOutcome};
use crate::store::HistoryStore;

impl<P: Ports> Executor<'_, P> {
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

    /// Sets the outcome of revision `number` (history only: a failure is
    /// logged, not fatal).
    pub(crate) async fn mark_revision(
        &self,
        job_id: &str,
        number: u64,
        outcome: RevisionOutcome,
        reason: Option<String>,
    ) {
        let result = async {
            let mut r = self.revision(job_id, number).await?;
            r.outcome = outcome;
            r.reason = reason;
            self.ctx.store.put_revision(&r).await?;
            Ok::<_, CoreError>(())
        };
        if let Err(e) = result.await {
            warn!(job = %job_id, revision = number, error = %e, "could not update revision");
        }
    }
}
