//! A batch job's step: the [`BatchRun`] operation decides (ends, history,
//! bookkeeping, the run to start); the driver carries it out.

use fjc_flink::JobId;

use super::{Executor, Outcome, Step};
use crate::context::Ports;
use crate::operation::batch::BatchRun;
use crate::planner::BatchStep;

impl<P: Ports> Executor<'_, P> {
    pub(super) async fn batch_step(&self, job_id: &str, step: &BatchStep) -> Step<Outcome> {
        let record = self.spec(job_id)?;
        let stored = self.states.get(job_id);
        let mut op = BatchRun::new(record, stored, step, JobId::random(), self.now());
        self.drive(job_id, &mut op).await
    }
}
