//! The checkpoint statistics of a job that ended, read until they hold still.
//!
//! A read right after the job ended may still name a checkpoint that newer ones
//! have since subsumed and deleted: Flink caches the statistics
//! (`web.refresh-interval`, 3 s by default). So they are read until the answer
//! has held for [`SETTLE_MS`]. The answer and since when it held can be carried
//! from one cycle to the next ([`SettledCheckpoints::seeded`],
//! [`SettledCheckpoints::seen`]), so a wait that spans cycles still ends.

use fjc_flink::{CheckpointStats, FlinkError, JobId};

use super::{Answer, Effect, Next, Operation, unexpected};
use crate::clock::EpochMs;

/// How long the answer must hold (above Flink's default 3 s cache).
pub const SETTLE_MS: EpochMs = 4_000;
/// How often the statistics are read.
pub const LOOK_EVERY_MS: EpochMs = 500;

/// Reads `job`'s checkpoint statistics through `pick` until the picked answer
/// held for [`SETTLE_MS`]. Ends with `Some(answer)`, or `None` when the cycle
/// could wait no longer; a job Flink no longer knows has no statistics (`pick`
/// is not asked, the answer is `None`).
pub struct SettledCheckpoints<T, P> {
    cluster: String,
    job: JobId,
    pick: P,
    seen: Option<(Option<T>, EpochMs)>,
}

impl<T, P: Fn(CheckpointStats) -> Option<T>> SettledCheckpoints<T, P> {
    /// Reads `job`'s statistics on `cluster`, reduced by `pick`.
    pub fn new(cluster: &str, job: &JobId, pick: P) -> SettledCheckpoints<T, P> {
        SettledCheckpoints {
            cluster: cluster.to_string(),
            job: job.clone(),
            pick,
            seen: None,
        }
    }

    /// Goes on from an answer read earlier (`since` it held), e.g. in an
    /// earlier cycle.
    pub fn seeded(mut self, seen: Option<(Option<T>, EpochMs)>) -> Self {
        self.seen = seen;
        self
    }

    /// The last answer and since when it held, to carry to a later cycle.
    pub fn seen(&self) -> Option<(&Option<T>, EpochMs)> {
        self.seen.as_ref().map(|(v, since)| (v, *since))
    }
}

impl<T: PartialEq, P: Fn(CheckpointStats) -> Option<T>> Operation for SettledCheckpoints<T, P> {
    type Ending = Result<Option<Option<T>>, FlinkError>;

    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Self::Ending> {
        let now_seen = match answer {
            None => {
                return Next::Do(Effect::ReadCheckpoints {
                    cluster: self.cluster.clone(),
                    job: self.job.clone(),
                });
            }
            Some(Answer::Checkpoints(Ok(stats))) => (self.pick)(stats),
            Some(Answer::Checkpoints(Err(FlinkError::NotFound { .. }))) => None,
            Some(Answer::Checkpoints(Err(e))) => return Next::Done(Err(e)),
            other => return unexpected("checkpoint statistics", other),
        };
        match self.seen.take() {
            Some((seen, since)) if seen == now_seen => {
                if now - since >= SETTLE_MS {
                    return Next::Done(Ok(Some(seen)));
                }
                self.seen = Some((seen, since));
            }
            _ => self.seen = Some((now_seen, now)),
        }
        Next::LookAgainAt {
            at: now + LOOK_EVERY_MS,
            why: format!(
                "waiting for job {}'s checkpoint statistics to settle",
                self.job
            ),
        }
    }

    fn paused(&mut self, _why: String) -> Self::Ending {
        Ok(None)
    }
}
