//! Operations as pure step functions (sans-IO).
//!
//! An operation is a state machine that never calls anything. Each step takes the
//! answer to the effect it asked for last (none on the first step, and none after
//! a wait) and the time, and says what comes next: an [`Effect`] to carry out, a
//! time to look again at, or the end. The executor only carries effects out and
//! feeds their answers back (`fjc_core::executor`'s `drive`); it makes no lifecycle
//! decision and no polling loop. An operation that asks to be looked at again
//! pauses with its progress saved, and its job is requeued for then
//! (`fjc_core::tick`); so a wait whose bound spans cycles keeps its start in the
//! state or takes it from Flink, never in memory.
//!
//! Every change an operation must survive a crash with is written through
//! [`Effect::Save`] before the Flink call that depends on it. A machine rebuilt
//! from the last saved state therefore resumes at the same point, which is what
//! the crash-point tests of each operation walk through, without any service.

use fjc_flink::FlinkError;

use crate::clock::EpochMs;

pub mod batch;
pub mod carry;
pub mod cause;
pub mod delete;
pub mod deploy;
mod effect;
pub mod orphan;
pub mod record;
pub mod rescale;
pub mod rollback;
pub mod savepoint;
pub mod settle;
pub mod stop;
pub mod suspend;

#[cfg(test)]
mod tests;

pub use effect::{Answer, Effect, Slots};

/// How an operation (or an action) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; what was done.
    Done(String),
    /// Started or continued; finishes in a later cycle.
    InProgress(String),
    /// Failed; recorded in the job's state where possible.
    Failed(String),
}

/// What an operation wants next.
#[derive(Debug)]
pub enum Next<E> {
    /// Carry this out and step again with its [`Answer`].
    Do(Effect),
    /// Nothing to do before `at`. The operation is paused there (see
    /// [`Operation::paused`]) and its job requeued for `at`: a later cycle goes
    /// on from its saved state. A machine that is stepped on instead (the unit
    /// tests' clock jumps) steps again with no answer.
    LookAgainAt {
        /// Epoch milliseconds.
        at: EpochMs,
        /// What is awaited, for the report when the operation pauses.
        why: String,
    },
    /// Finished.
    Done(E),
    /// Stopped by an error that is not the operation's to handle (the cycle
    /// reports it; the saved state is where a later cycle goes on from).
    Fail(StepError),
}

/// A step function: the operation's state is the machine itself.
pub trait Operation {
    /// What the operation ends with.
    type Ending;

    /// One step: `answer` answers the last [`Next::Do`] (none first and after a
    /// wait).
    fn step(&mut self, answer: Option<Answer>, now: EpochMs) -> Next<Self::Ending>;

    /// The operation waits for `why` (it asked to be looked at again): what to
    /// end this cycle's action with. The saved state is where a later cycle goes
    /// on from.
    fn paused(&mut self, why: String) -> Self::Ending;
}

/// Why an operation stopped without ending.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StepError {
    /// A Flink call failed in a way the operation does not handle.
    #[error(transparent)]
    Flink(#[from] FlinkError),
    /// What the operation needs does not exist (e.g. a revision no longer kept).
    #[error("{0}")]
    NotFound(String),
    /// A port other than Flink failed (e.g. reading revisions).
    #[error("{message}")]
    Port {
        /// What failed.
        message: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
    },
    /// A step was given an answer it did not ask for: a defect.
    #[error("internal error: {0}")]
    Defect(String),
}

/// Why a verification or submission did not happen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubmitError {
    /// Flink refused or failed the call.
    #[error(transparent)]
    Flink(#[from] FlinkError),
    /// The artifact or a secret could not be used (Flink was not called).
    #[error("{message}")]
    Refused {
        /// Why, naming the artifact or secret (never a secret's value).
        message: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
    },
}

impl StepError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StepError::Flink(e) => e.is_retryable(),
            StepError::Port { retryable, .. } => *retryable,
            StepError::NotFound(_) | StepError::Defect(_) => false,
        }
    }
}

/// A machine was given an answer to an effect it did not ask for: a defect.
pub(crate) fn unexpected<E>(what: &str, answer: Option<Answer>) -> Next<E> {
    Next::Fail(StepError::Defect(format!(
        "the {what} step was answered with {answer:?}"
    )))
}

/// Retry backoff: `base · 2^(attempts-1)` seconds, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Seconds after the first failure.
    pub base_seconds: u64,
    /// The longest wait, seconds.
    pub max_seconds: u64,
}

impl Backoff {
    /// Milliseconds to wait after `attempts` failed attempts.
    pub fn after(&self, attempts: u32) -> i64 {
        let exp = attempts.saturating_sub(1).min(20);
        let secs = self
            .base_seconds
            .saturating_mul(1u64 << exp)
            .min(self.max_seconds);
        i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}
