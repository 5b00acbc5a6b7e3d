//! Stopping a Flink job: cancel it if it is live, then look until Flink reports
//! it over. Part of deletes and of upgrades that carry no state over; repeating
//! it is harmless (a job already over is not cancelled again).

use fjc_flink::{FlinkError, JobId};

use super::{Answer, Effect, Next, Operation, unexpected};
use crate::clock::EpochMs;

/// How often a stopping job is looked at.
pub const LOOK_EVERY_MS: EpochMs = 250;

/// Cancel and wait. Ends with whether the job is over.
#[derive(Debug, Clone)]
pub struct StopJob {
    cluster: String,
    job: JobId,
    stage: Stage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing done yet; `live` is what the cycle observed.
    Start { live: bool, cancel: bool },
    /// Cancel asked for.
    Cancelling,
    /// Asking whether it is over.
    Asking,
    /// Over.
    Over,
}

impl StopJob {
    /// Stops `job`, which the cycle saw live (or not).
    pub fn new(cluster: &str, job: &JobId, live: bool) -> StopJob {
        StopJob {
            cluster: cluster.to_string(),
            job: job.clone(),
            stage: Stage::Start { live, cancel: true },
        }
    }

    /// Waits for `job` to end by itself (after a stop-with-savepoint), without
    /// cancelling it: ends `false` when it pauses (the job is not over yet).
    pub fn wait_for_end(cluster: &str, job: &JobId) -> StopJob {
        StopJob {
            cluster: cluster.to_string(),
            job: job.clone(),
            stage: Stage::Start {
                live: true,
                cancel: false,
            },
        }
    }

    fn ask(&mut self) -> Next<Result<bool, FlinkError>> {
        self.stage = Stage::Asking;
        Next::Do(Effect::AskJob {
            cluster: self.cluster.clone(),
            job: self.job.clone(),
        })
    }
}

impl Operation for StopJob {
    /// Whether the job is over; a Flink error other than "not found" or "already
    /// over" ends it too.
    type Ending = Result<bool, FlinkError>;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Self::Ending> {
        match (self.stage, answer) {
            (Stage::Over, _) => Next::Done(Ok(true)),
            (Stage::Start { live: false, .. }, _) => {
                self.stage = Stage::Over;
                Next::Done(Ok(true))
            }
            (Stage::Start { cancel: true, .. }, _) => {
                self.stage = Stage::Cancelling;
                Next::Do(Effect::Cancel {
                    cluster: self.cluster.clone(),
                    job: self.job.clone(),
                })
            }
            (Stage::Start { cancel: false, .. }, _) => self.ask(),
            (Stage::Cancelling, Some(Answer::Called(result))) => match result {
                Ok(()) | Err(FlinkError::AlreadyTerminal { .. } | FlinkError::NotFound { .. }) => {
                    self.ask()
                }
                Err(e) => Next::Done(Err(e)),
            },
            (Stage::Asking, Some(Answer::Job(result))) => match result {
                Ok(s) if s.is_globally_terminal() => {
                    self.stage = Stage::Over;
                    Next::Done(Ok(true))
                }
                Err(FlinkError::NotFound { .. }) => {
                    self.stage = Stage::Over;
                    Next::Done(Ok(true))
                }
                Ok(_) => Next::LookAgainAt {
                    at: now + LOOK_EVERY_MS,
                    why: format!("waiting for job {} to stop", self.job),
                },
                Err(e) => Next::Done(Err(e)),
            },
            (Stage::Asking, None) => self.ask(),
            (_, answer) => unexpected("stop", answer),
        }
    }

    fn paused(&mut self, _why: String) -> Self::Ending {
        Ok(false)
    }
}
