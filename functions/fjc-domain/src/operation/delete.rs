//! Deleting a job whose spec was deleted: the intent recorded (DELETING, with
//! the Flink jobs to stop), each job stopped, then the job's state forgotten.

use std::collections::VecDeque;

use fjc_flink::JobId;

use super::stop::StopJob;
use super::{Answer, Effect, Next, Operation, Outcome, StepError, unexpected};
use crate::clock::EpochMs;
use crate::state::{JobState, Lifecycle, Operation as Recorded};

/// The state that records a delete of `flink_job_ids`.
pub fn intent(mut state: JobState, flink_job_ids: Vec<JobId>, now: EpochMs) -> JobState {
    state.lifecycle = Lifecycle::Deleting;
    state.operation = Some(Recorded::Delete {
        flink_job_ids,
        started_at: now,
    });
    state
}

/// Stops the recorded jobs one after another, then forgets the job.
#[derive(Debug)]
pub struct Delete {
    job_id: String,
    version: u64,
    jobs: VecDeque<StopJob>,
    forgetting: bool,
}

impl Delete {
    /// The delete recorded in `state`, if any; `live` tells which Flink jobs the
    /// cycle saw live (the others are not cancelled again).
    pub fn resume(state: &JobState, live: impl Fn(&JobId) -> bool) -> Option<Delete> {
        let Some(Recorded::Delete { flink_job_ids, .. }) = &state.operation else {
            return None;
        };
        Some(Delete {
            job_id: state.job_id.clone(),
            version: state.version,
            jobs: flink_job_ids
                .iter()
                .map(|id| StopJob::new(&state.cluster, id, live(id)))
                .collect(),
            forgetting: false,
        })
    }
}

impl Operation for Delete {
    type Ending = Outcome;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Outcome> {
        if self.forgetting {
            return match answer {
                Some(Answer::Stored(Ok(()))) => {
                    tracing::info!(job = %self.job_id, "spec deleted; job cancelled and forgotten");
                    Next::Done(Outcome::Done("cancelled and removed".into()))
                }
                Some(Answer::Stored(Err(e))) => Next::Fail(e),
                other => unexpected("delete", other),
            };
        }
        let Some(stop) = self.jobs.front_mut() else {
            self.forgetting = true;
            return Next::Do(Effect::Forget {
                job_id: self.job_id.clone(),
                version: self.version,
            });
        };
        match stop.step(answer, now) {
            Next::Done(Ok(true)) => {
                self.jobs.pop_front();
                self.step(None, now)
            }
            Next::Done(Ok(false)) => Next::Fail(StepError::Defect(
                "a stop ended without its job over".into(),
            )),
            Next::Done(Err(e)) => Next::Fail(e.into()),
            Next::Do(e) => Next::Do(e),
            Next::LookAgainAt { at, why } => Next::LookAgainAt { at, why },
            Next::Fail(e) => Next::Fail(e),
        }
    }

    /// Paused while a job stops: a later cycle goes on from the recorded delete.
    fn paused(&mut self, why: String) -> Outcome {
        Outcome::InProgress(why)
    }
}
