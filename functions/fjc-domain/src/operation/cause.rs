//! Flink's failure cause of a FAILED job. Flink caches the exception history
//! (`web.refresh-interval`, 3 s by default): a job that failed a moment ago may
//! show none yet, so an empty answer is asked again a few times, a second apart.

use fjc_flink::{FlinkError, JobId};

use super::{Answer, Effect, Next, Operation, unexpected};
use crate::clock::EpochMs;

/// How often an empty answer is asked again.
pub const LOOK_EVERY_MS: EpochMs = 1_000;
/// How many times an empty answer is asked again.
pub const ASKS_AGAIN: u32 = 5;

/// Asks for a failure cause until Flink has one, or gave none [`ASKS_AGAIN`]
/// more times.
#[derive(Debug, Clone)]
pub struct FailureCause {
    cluster: String,
    job: JobId,
    asked: u32,
}

impl FailureCause {
    /// The failure cause of `job` on `cluster`.
    pub fn new(cluster: &str, job: &JobId) -> FailureCause {
        FailureCause {
            cluster: cluster.to_string(),
            job: job.clone(),
            asked: 0,
        }
    }
}

impl Operation for FailureCause {
    /// The cause, if Flink gave one.
    type Ending = Result<Option<String>, FlinkError>;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Self::Ending> {
        match answer {
            None => {
                self.asked += 1;
                Next::Do(Effect::AskFailureCause {
                    cluster: self.cluster.clone(),
                    job: self.job.clone(),
                })
            }
            Some(Answer::FailureCause(Ok(None))) if self.asked <= ASKS_AGAIN => Next::LookAgainAt {
                at: now + LOOK_EVERY_MS,
                why: format!("Flink has no failure cause of job {} yet", self.job),
            },
            Some(Answer::FailureCause(result)) => Next::Done(result),
            other => unexpected("failure cause", other),
        }
    }

    fn paused(&mut self, _why: String) -> Self::Ending {
        Ok(None)
    }
}
