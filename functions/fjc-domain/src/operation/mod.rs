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

use fjc_flink::{
    CheckpointStats, DisposalStatus, ExecutionResult, FlinkError, FlinkJobState, JarId, JobId,
    SavepointStatus,
};

use crate::clock::EpochMs;
use crate::record::SpecRecord;
use crate::revisions::{Revision, RevisionOutcome};
use crate::runs::RunWrite;
use crate::state::{JobState, SavepointRecord};

pub mod batch;
pub mod carry;
pub mod cause;
pub mod delete;
pub mod deploy;
pub mod orphan;
pub mod record;
pub mod rollback;
pub mod savepoint;
pub mod settle;
pub mod stop;
pub mod suspend;

#[cfg(test)]
mod tests;

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

/// The effects the executor carries out: each is one call to a port.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write the job's state (fenced by the cycle's lease). Answered with
    /// [`Answer::Saved`], the state as stored (its new version).
    Save(Box<JobState>),
    /// Write the job's state together with run-item changes, in one
    /// transaction fenced by the cycle's lease ([`Answer::Saved`]).
    Commit {
        /// The job's state.
        state: Box<JobState>,
        /// The run items written with it.
        writes: Vec<RunWrite>,
    },
    /// Where a savepoint trigger stands ([`Answer::Savepoint`]).
    AskSavepoint {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
        /// The client-chosen trigger id.
        trigger: String,
    },
    /// Trigger a savepoint of a job that keeps running, idempotent per trigger id
    /// ([`Answer::Called`]).
    TriggerSavepoint {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
        /// Where to write it (the cluster's default when `None`).
        target: Option<String>,
        /// The client-chosen trigger id, recorded before this call.
        trigger: String,
    },
    /// Stop a job with a savepoint, idempotent per trigger id
    /// ([`Answer::Called`]).
    StopWithSavepoint {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
        /// Where to write it (the cluster's default when `None`).
        target: Option<String>,
        /// The client-chosen trigger id, recorded before this call.
        trigger: String,
    },
    /// Where a Flink job stands ([`Answer::Job`]).
    AskJob {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// Cancel a Flink job ([`Answer::Called`]).
    Cancel {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// Flink's failure cause of a failed job ([`Answer::FailureCause`]).
    AskFailureCause {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// How a job that Flink no longer lists ended, from its
    /// `/execution-result` ([`Answer::JobResult`]).
    AskJobResult {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// Delete an uploaded jar ([`Answer::Called`]; a failure is only logged).
    DeleteJar {
        /// The job's cluster.
        cluster: String,
        /// The jar.
        jar: JarId,
    },
    /// Remove the values of the job's secrets from a text bound for the state
    /// ([`Answer::Scrubbed`]).
    Scrub {
        /// Spec job id (whose secret references are resolved).
        job_id: String,
        /// The text.
        text: String,
    },
    /// A job's checkpoint statistics ([`Answer::Checkpoints`]).
    ReadCheckpoints {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// List the job's savepoints in storage that `state` does not know
    /// ([`Answer::Late`]).
    FindLateSavepoints {
        /// The job's state as it stands.
        state: Box<JobState>,
        /// The Flink job whose savepoints are looked for.
        job: JobId,
    },
    /// Fetch a spec's artifact, check its digest and signature, and resolve its
    /// secret references, without submitting ([`Answer::Verified`]).
    Verify {
        /// What is to be deployed.
        record: Box<SpecRecord>,
    },
    /// Upload the verified artifact and run it under the controller-chosen job
    /// id, from `restore_from` (empty state when `None`) ([`Answer::Submitted`]).
    Submit {
        /// The job's cluster.
        cluster: String,
        /// What is deployed.
        record: Box<SpecRecord>,
        /// The job id recorded for the submission.
        job: JobId,
        /// The savepoint or checkpoint to start from.
        restore_from: Option<String>,
    },
    /// Verify the artifact and run it as a batch run under the recorded job
    /// id, keeping its jar in Flink ([`Answer::RunSubmitted`]).
    SubmitRun {
        /// The job's cluster.
        cluster: String,
        /// What is run.
        record: Box<SpecRecord>,
        /// The run's recorded Flink job id.
        job: JobId,
    },
    /// Set the outcome of a job's revision (history only: a failure is logged,
    /// and answered [`Answer::Stored`] all the same).
    MarkRevision {
        /// Spec job id.
        job_id: String,
        /// The revision.
        number: u64,
        /// Its outcome.
        outcome: RevisionOutcome,
        /// Why, when there is a reason to tell.
        reason: Option<String>,
    },
    /// Forget a deleted job's state, if still at `version` (fenced by the
    /// cycle's lease; answered [`Answer::Stored`]).
    Forget {
        /// Spec job id.
        job_id: String,
        /// The state's version.
        version: u64,
    },
    /// A job's recorded revisions ([`Answer::Revisions`]).
    ReadRevisions {
        /// Spec job id.
        job_id: String,
    },
    /// Write a revision, before the state that names it (a failed write stops
    /// the operation like a failed [`Effect::Save`]; answered [`Answer::Stored`]).
    PutRevision(Box<Revision>),
    /// Delete an old revision ([`Answer::Stored`]; a failure is the operation's
    /// to judge).
    DeleteRevision {
        /// Spec job id.
        job_id: String,
        /// The revision.
        number: u64,
    },
    /// The job's restore points: its checkpoints and savepoints in storage with
    /// the recorded ones, newest first ([`Answer::RestorePoints`]).
    FindRestorePoints {
        /// The job's state as it stands.
        state: Box<JobState>,
    },
    /// Ask Flink to dispose of a savepoint ([`Answer::Disposing`]).
    Dispose {
        /// The job's cluster.
        cluster: String,
        /// The savepoint's location.
        location: String,
    },
    /// Where a disposal stands ([`Answer::Disposal`]).
    AskDisposal {
        /// The job's cluster.
        cluster: String,
        /// The disposal's trigger id.
        trigger: String,
    },
}

/// The answer to an [`Effect`].
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The state as stored.
    Saved(Box<JobState>),
    /// A savepoint trigger's status.
    Savepoint(Result<SavepointStatus, FlinkError>),
    /// A call with nothing to return (trigger, cancel).
    Called(Result<(), FlinkError>),
    /// A Flink job's state.
    Job(Result<FlinkJobState, FlinkError>),
    /// A failed job's failure cause, when Flink has one yet.
    FailureCause(Result<Option<String>, FlinkError>),
    /// How a job ended (`None` while it still runs).
    JobResult(Result<Option<ExecutionResult>, FlinkError>),
    /// The text without secret values.
    Scrubbed(String),
    /// A job's checkpoint statistics.
    Checkpoints(Result<CheckpointStats, FlinkError>),
    /// Savepoints found in storage that the state did not know.
    Late(Vec<SavepointRecord>),
    /// The artifact verified and the secrets resolved, or why not.
    Verified(Result<(), SubmitError>),
    /// The submission's result.
    Submitted(Result<(), SubmitError>),
    /// A run's submission: the jar kept in Flink, when there is one.
    RunSubmitted(Result<Option<JarId>, SubmitError>),
    /// A job's revisions.
    Revisions(Result<Vec<Revision>, StepError>),
    /// A revision write or delete.
    Stored(Result<(), StepError>),
    /// The job's restore points.
    RestorePoints(crate::restore::Found),
    /// The disposal's trigger id.
    Disposing(Result<String, FlinkError>),
    /// A disposal's status.
    Disposal(Result<DisposalStatus, FlinkError>),
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
