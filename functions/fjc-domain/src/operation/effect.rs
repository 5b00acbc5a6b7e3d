//! What an operation asks the executor for ([`Effect`], one port call each) and
//! what comes back ([`Answer`]).

use fjc_flink::{
    CheckpointStats, DisposalStatus, ExecutionResult, FlinkError, FlinkJobState, JarId, JobId,
    JobMetrics, JobSummary, ResourceRequirements, SavepointStatus,
};

use super::{StepError, SubmitError};
use crate::record::SpecRecord;
use crate::revisions::{Revision, RevisionOutcome};
use crate::runs::RunWrite;
use crate::state::{JobState, SavepointRecord};

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
    /// The cluster's task slots, less those this cycle's submissions took
    /// ([`Answer::Slots`]).
    AskSlots {
        /// The cluster.
        cluster: String,
    },
    /// The jobs holding task slots on the cluster's TaskManagers, including jobs a
    /// restarted JobManager forgot whose tasks still run ([`Answer::SlotHolders`]).
    AskSlotHolders {
        /// The cluster.
        cluster: String,
    },
    /// Where a Flink job stands ([`Answer::Job`]).
    AskJob {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// A Flink job's state and task counts, from `GET /jobs/:id`
    /// ([`Answer::Tasks`]).
    AskTasks {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// A Flink job's restart and checkpoint counts ([`Answer::Metrics`]).
    AskMetrics {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// The parallelism bounds of a job's vertices under the adaptive scheduler
    /// ([`Answer::Requirements`]).
    AskRequirements {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
    },
    /// New parallelism bounds: the adaptive scheduler rescales the job in place
    /// ([`Answer::Called`]).
    SetRequirements {
        /// The job's cluster.
        cluster: String,
        /// The Flink job.
        job: JobId,
        /// Every vertex's bounds.
        requirements: ResourceRequirements,
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
    /// A cluster's task slots.
    Slots(Result<Slots, FlinkError>),
    /// The jobs holding task slots.
    SlotHolders(Result<Vec<JobId>, FlinkError>),
    /// A Flink job as `/jobs/overview` would list it.
    Tasks(Result<JobSummary, FlinkError>),
    /// A Flink job's counts.
    Metrics(Result<JobMetrics, FlinkError>),
    /// A job's vertices' parallelism bounds.
    Requirements(Result<ResourceRequirements, FlinkError>),
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
    /// The submission's result, and the uploaded jar kept in Flink when the run
    /// was sent but never answered (its program may still be submitting the job).
    Submitted {
        /// Submitted, or why not.
        result: Result<(), SubmitError>,
        /// The jar left for an unanswered run.
        kept_jar: Option<JarId>,
    },
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

/// A cluster's task slots: free (less those this cycle's submissions took) and
/// in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slots {
    /// Free for a new job.
    pub free: u32,
    /// In all, over the registered TaskManagers.
    pub total: u32,
}
