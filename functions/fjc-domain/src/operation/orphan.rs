//! Cancelling a job this controller submitted that no state accounts for
//! (`orphan_policy: cancel-own`): one cancel; a job already over or gone counts
//! as cancelled.

use fjc_flink::{FlinkError, JobId};

use super::{Answer, Effect, Next, Operation, Outcome, StepError, unexpected};
use crate::clock::EpochMs;

/// One cancel of an orphan.
#[derive(Debug)]
pub struct CancelOrphan {
    cluster: String,
    job: JobId,
    asked: bool,
}

impl CancelOrphan {
    /// Cancels `job` on `cluster`.
    pub fn new(cluster: &str, job: &JobId) -> CancelOrphan {
        CancelOrphan {
            cluster: cluster.to_string(),
            job: job.clone(),
            asked: false,
        }
    }
}

impl Operation for CancelOrphan {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, _now: EpochMs) -> Next<Outcome> {
        match (self.asked, answer) {
            (false, None) => {
                self.asked = true;
                tracing::warn!(cluster = %self.cluster, flink_job = %self.job,
                    "cancelling orphan (orphan_policy cancel-own)");
                Next::Do(Effect::Cancel {
                    cluster: self.cluster.clone(),
                    job: self.job.clone(),
                })
            }
            (true, Some(Answer::Called(result))) => match result {
                Ok(()) | Err(FlinkError::AlreadyTerminal { .. } | FlinkError::NotFound { .. }) => {
                    Next::Done(Outcome::Done(format!(
                        "orphan {} on {} cancelled",
                        self.job, self.cluster
                    )))
                }
                Err(e) => Next::Fail(StepError::Flink(e)),
            },
            (_, answer) => unexpected("orphan cancel", answer),
        }
    }

    fn paused(&mut self, why: String) -> Outcome {
        Outcome::InProgress(why)
    }
}
