//! What the planner asks for: the actions a cycle carries out, and why a
//! deployment starts.

use fjc_flink::JobId;

use super::batch::BatchStep;
use crate::clock::EpochMs;
use crate::state::Lifecycle;

/// Why a deployment is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployReason {
    /// The job was never deployed.
    New,
    /// The spec (or its artifact) changed.
    Changed,
    /// A retryable failure is due for another try.
    Retry,
    /// The job vanished from its cluster and is started again.
    Lost,
    /// The job failed or vanished: started again from its newest state, within
    /// the recovery budget.
    Recover,
    /// `desired_state` is `running` again: start from the suspend savepoint.
    Resume,
    /// `fjc restart`.
    Restart,
}

impl DeployReason {
    /// What the deployment it starts is for.
    pub fn purpose(&self) -> crate::state::Purpose {
        use crate::state::Purpose;
        match self {
            DeployReason::Recover | DeployReason::Lost => Purpose::Recover,
            DeployReason::Resume => Purpose::Resume,
            DeployReason::Restart => Purpose::Restart,
            DeployReason::New | DeployReason::Changed | DeployReason::Retry => Purpose::Deploy,
        }
    }
}

/// One thing to do for one job.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Start a deploy operation of the current spec, replacing `replaces` (cancelled first).
    Deploy {
        /// Spec job id.
        job_id: String,
        /// The running Flink job to replace.
        replaces: Option<JobId>,
        /// Why.
        reason: DeployReason,
    },
    /// Carry on with the operation recorded in the job's state.
    ContinueOperation {
        /// Spec job id.
        job_id: String,
    },
    /// The spec was deleted: start a delete operation (cancel, then forget).
    Delete {
        /// Spec job id.
        job_id: String,
        /// The Flink jobs to cancel.
        flink_job_ids: Vec<JobId>,
    },
    /// A batch job's runs: end, start, skip (see [`BatchStep`]).
    Batch {
        /// Spec job id.
        job_id: String,
        /// What to do.
        step: BatchStep,
    },
    /// The spec changed only in fields that need no restart: record its
    /// fingerprint as deployed.
    Adopt {
        /// Spec job id.
        job_id: String,
    },
    /// Only the parallelism changed and the job runs under the adaptive
    /// scheduler: rescale it in place (see [`crate::operation::rescale`]).
    Rescale {
        /// Spec job id.
        job_id: String,
        /// The running Flink job.
        flink_job_id: JobId,
        /// The parallelism it runs with.
        from: u32,
        /// The spec's parallelism.
        to: u32,
    },
    /// Stop the running job with a savepoint (`desired_state: suspended`).
    Suspend {
        /// Spec job id.
        job_id: String,
        /// The running Flink job.
        flink_job_id: JobId,
    },
    /// Take a savepoint of the running job (periodic or `fjc savepoint`).
    Savepoint {
        /// Spec job id.
        job_id: String,
        /// Asked for by `fjc savepoint`.
        manual: bool,
    },
    /// Deploy an earlier revision again.
    Rollback {
        /// Spec job id.
        job_id: String,
        /// The revision (default: the last stable one).
        to: Option<u64>,
        /// Why.
        reason: String,
        /// Asked for by `fjc rollback`.
        manual: bool,
    },
    /// Cancel a job this controller submitted that no state accounts for
    /// (`reconcile.orphan_policy: cancel-own`).
    CancelOrphan {
        /// The job's `pipeline.name` (`fjc:<job id>`).
        job_id: String,
        /// Its cluster.
        cluster: String,
        /// The Flink job.
        flink_job_id: JobId,
    },
    /// Send the job's outbox of events (left by a cycle that could not send
    /// it) and clear it; nothing else to do for the job this cycle.
    Announce {
        /// Spec job id.
        job_id: String,
    },
    /// Record what Flink shows for a deployed job.
    Record {
        /// Spec job id.
        job_id: String,
        /// New lifecycle.
        lifecycle: Lifecycle,
        /// Flink's state.
        flink_state: String,
        /// Look up Flink's failure cause and record it as the last error.
        fetch_cause: bool,
        /// A message to record as the last error (with Flink's cause, if fetched).
        note: Option<String>,
        /// Whether the job runs with all tasks (starts or ends `running_since`).
        running: bool,
        /// Flink started the job again by itself at this time (a JobManager failover
        /// under high availability): recorded as a recovery, nothing submitted.
        restarted_by_flink_at: Option<EpochMs>,
        /// The observed job's start time (Flink's clock), kept to tell such a
        /// restart apart.
        flink_started_at: Option<EpochMs>,
        /// New health signals to keep, when a probe found a change worth writing.
        health: Option<Box<crate::signals::Health>>,
    },
}

impl Action {
    /// The spec job id the action is for.
    pub fn job_id(&self) -> &str {
        match self {
            Action::Deploy { job_id, .. }
            | Action::ContinueOperation { job_id }
            | Action::Delete { job_id, .. }
            | Action::Batch { job_id, .. }
            | Action::Adopt { job_id }
            | Action::Suspend { job_id, .. }
            | Action::Rescale { job_id, .. }
            | Action::Savepoint { job_id, .. }
            | Action::Rollback { job_id, .. }
            | Action::CancelOrphan { job_id, .. }
            | Action::Announce { job_id }
            | Action::Record { job_id, .. } => job_id,
        }
    }

    /// Whether the action calls Flink with a write (submit, cancel).
    pub fn writes_to_flink(&self) -> bool {
        !matches!(
            self,
            Action::Record { .. } | Action::Adopt { .. } | Action::Announce { .. }
        )
    }

    /// Short name for logs and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Deploy { .. } => "deploy",
            Action::ContinueOperation { .. } => "resume",
            Action::Delete { .. } => "delete",
            Action::Batch { .. } => "batch",
            Action::Adopt { .. } => "adopt",
            Action::Record { .. } => "record",
            Action::Announce { .. } => "announce",
            Action::Suspend { .. } => "suspend",
            Action::Rescale { .. } => "rescale",
            Action::Savepoint { .. } => "savepoint",
            Action::Rollback { .. } => "rollback",
            Action::CancelOrphan { .. } => "cancel-orphan",
        }
    }
}
