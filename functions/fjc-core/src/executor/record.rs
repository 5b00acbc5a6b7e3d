//! Actions that record rather than deploy: what a cycle saw of a deployed job
//! ([`RecordSeen`]), a spec change that needs no restart, a deleted spec's job
//! stopped and forgotten ([`Delete`]), and an orphan cancelled
//! ([`CancelOrphan`]). The decisions are the operations'; this carries them out.

use fjc_flink::JobId;

use super::{Executor, Outcome, Step};
use crate::context::Ports;
use crate::operation::delete::{self, Delete};
use crate::operation::orphan::CancelOrphan;
use crate::operation::record::{RecordSeen, Seen, adopted};
use crate::state::JobState;

impl<P: Ports> Executor<'_, P> {
    /// Records `seen`, Flink's failure cause asked first when needed.
    pub(crate) async fn record(&self, job_id: &str, seen: Seen) -> Step<Outcome> {
        let state = self.stored(job_id)?;
        let cause = match RecordSeen::needs_cause(&state, &seen) {
            Some(id) => match self.failure_cause(job_id, &state.cluster, &id).await? {
                Some(cause) => Some(cause),
                None => {
                    return Ok(Outcome::InProgress(format!(
                        "waiting for Flink's failure cause of job {id}"
                    )));
                }
            },
            None => None,
        };
        self.drive(job_id, &mut RecordSeen::new(state, seen, cause))
            .await
    }

    /// Records the spec's fingerprint as deployed; nothing is sent to Flink.
    pub(crate) async fn adopt(&self, job_id: &str) -> Step<Outcome> {
        let mut state = adopted(self.stored(job_id)?, self.spec(job_id)?, self.now());
        self.save(&mut state).await?;
        Ok(Outcome::Done(
            "spec change needs no restart (monitoring or upgrade settings only)".into(),
        ))
    }

    /// Cancels a job this controller submitted that no state accounts for.
    pub(crate) async fn cancel_orphan(&self, cluster: &str, id: &JobId) -> Step<Outcome> {
        // An orphan has no job of ours to requeue: its cancel never waits.
        self.drive("", &mut CancelOrphan::new(cluster, id)).await
    }

    /// Records the delete of a deleted spec's job ([`delete::intent`]), then
    /// carries it on.
    pub(crate) async fn start_delete(&self, job_id: &str, ids: Vec<JobId>) -> Step<Outcome> {
        let mut state = delete::intent(self.stored(job_id)?, ids, self.now());
        self.save(&mut state).await?;
        self.continue_delete(state).await
    }

    /// Carries the delete recorded in `state` on.
    pub(crate) async fn continue_delete(&self, state: JobState) -> Step<Outcome> {
        let live = |id: &JobId| {
            self.observed_state(&state.cluster, id)
                .is_some_and(|s| !s.is_globally_terminal())
        };
        let Some(mut op) = Delete::resume(&state, live) else {
            return Ok(Outcome::Done("no delete in flight".into()));
        };
        self.drive(&state.job_id, &mut op).await
    }
}
