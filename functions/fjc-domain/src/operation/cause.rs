//! Flink's failure cause of a FAILED job. Flink caches the exception history
//! (`web.refresh-interval`, 3 s by default): a job that failed a moment ago may
//! show none yet, so an empty answer is asked again, a second apart, until
//! [`WAIT_MS`] after the job ended (Flink's own end time, so the bound holds
//! across cycles).

use fjc_flink::{FlinkError, JobId};

use super::{Answer, Effect, Next, Operation, unexpected};
use crate::clock::EpochMs;

/// How often an empty answer is asked again.
pub const LOOK_EVERY_MS: EpochMs = 1_000;
/// How long after the job ended an empty answer is asked again.
pub const WAIT_MS: EpochMs = 5_000;

/// Asks for a failure cause until Flink has one, or gave none [`WAIT_MS`] after
/// the job ended. Ends `None` when the answer must wait (a later look).
#[derive(Debug, Clone)]
pub struct FailureCause {
    cluster: String,
    job: JobId,
    ended_at: Option<EpochMs>,
}

impl FailureCause {
    /// The failure cause of `job` on `cluster`, which Flink says ended at
    /// `ended_at` (when known; else an empty answer is final).
    pub fn new(cluster: &str, job: &JobId, ended_at: Option<EpochMs>) -> FailureCause {
        FailureCause {
            cluster: cluster.to_string(),
            job: job.clone(),
            ended_at,
        }
    }
}

impl Operation for FailureCause {
    /// The cause, if Flink gave one; `None` while it is waited for.
    type Ending = Option<Result<Option<String>, FlinkError>>;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Self::Ending> {
        match answer {
            None => Next::Do(Effect::AskFailureCause {
                cluster: self.cluster.clone(),
                job: self.job.clone(),
            }),
            Some(Answer::FailureCause(Ok(None)))
                if self
                    .ended_at
                    .is_some_and(|e| now < e.saturating_add(WAIT_MS)) =>
            {
                Next::LookAgainAt {
                    at: now + LOOK_EVERY_MS,
                    why: format!("Flink has no failure cause of job {} yet", self.job),
                }
            }
            Some(Answer::FailureCause(result)) => Next::Done(Some(result)),
            other => unexpected("failure cause", other),
        }
    }

    fn paused(&mut self, _why: String) -> Self::Ending {
        None
    }
}
