//! What the controller remembers per job: its lifecycle, what is deployed, and the
//! operation in flight. Stored as one item per job; every change is a conditional
//! write on `version`, fenced by the reconcile lease.

use std::collections::BTreeMap;

use fjc_flink::JobId;
use fjc_spec::{ClassFingerprints, Fingerprint, JobType};
use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;

mod progress;

pub use progress::{DisposalProgress, RetentionProgress, Settling, UpgradeProgress};

/// Controller-level lifecycle of a job: defined once in [`fjc_snapshot`] and shared
/// with the dashboard.
pub use fjc_snapshot::Lifecycle;

/// The last error seen for a job: one short line, never a stack trace or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    /// What happened.
    pub message: String,
    /// When.
    pub at: EpochMs,
    /// Whether the controller will try again by itself.
    pub retryable: bool,
}

impl LastError {
    /// An error seen `at`; `retryable` when the controller will try again by itself.
    pub fn new(message: impl Into<String>, at: EpochMs, retryable: bool) -> LastError {
        LastError {
            message: message.into(),
            at,
            retryable,
        }
    }
}

/// A multi-step operation recorded before its first side effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Operation {
    /// Submit `fingerprint` as Flink job `flink_job_id`, after cancelling `replaces`.
    Deploy {
        /// The spec fingerprint being deployed.
        fingerprint: Fingerprint,
        /// The job id chosen for the submission (recorded before the run call).
        flink_job_id: JobId,
        /// The running job this deployment replaces, cancelled first.
        replaces: Option<JobId>,
        /// When the operation started.
        started_at: EpochMs,
        /// How the replaced job's state is carried over, and how far that got.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upgrade: Option<UpgradeProgress>,
        /// Why: a new version, a recovery, a resume, a restart or a rollback.
        #[serde(default)]
        purpose: Purpose,
    },
    /// `desired_state: suspended`: stop `flink_job_id` with a savepoint.
    Suspend {
        /// The running job.
        flink_job_id: JobId,
        /// When the operation started.
        started_at: EpochMs,
        /// The savepoint's trigger id and location, as far as known.
        upgrade: UpgradeProgress,
    },
    /// A savepoint of a job that keeps running (periodic or `fjc savepoint`).
    Savepoint {
        /// The running job.
        flink_job_id: JobId,
        /// Client-chosen trigger id, recorded before the trigger call.
        trigger_id: String,
        /// When the operation started.
        started_at: EpochMs,
        /// Asked for by `fjc savepoint` (else periodic).
        manual: bool,
        /// Once the savepoint is recorded: the expired savepoints still to be
        /// disposed of (the operation ends when none is left).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retention: Option<RetentionProgress>,
    },
    /// Only the parallelism changed, and the job runs under the adaptive
    /// scheduler: change its vertices' parallelism in place (no savepoint, the
    /// same Flink job, restarted by Flink from its newest checkpoint).
    Rescale {
        /// The running job.
        flink_job_id: JobId,
        /// The spec fingerprint rescaled to.
        fingerprint: Fingerprint,
        /// The parallelism it runs with.
        from: u32,
        /// The parallelism asked for.
        to: u32,
        /// Flink's count of the job's restarts before the rescale (the rescale
        /// itself restarts it once).
        restarts_before: u64,
        /// When the operation started.
        started_at: EpochMs,
    },
    /// The spec was deleted: cancel `flink_job_ids`, then forget the job.
    Delete {
        /// The jobs to cancel (the deployed job, or a batch job's active runs).
        flink_job_ids: Vec<JobId>,
        /// When the operation started.
        started_at: EpochMs,
    },
}

impl Operation {
    /// When the operation started.
    pub fn started_at(&self) -> EpochMs {
        match self {
            Operation::Deploy { started_at, .. }
            | Operation::Delete { started_at, .. }
            | Operation::Rescale { started_at, .. }
            | Operation::Suspend { started_at, .. }
            | Operation::Savepoint { started_at, .. } => *started_at,
        }
    }

    /// Every Flink job the operation may touch or has started.
    pub fn flink_jobs(&self) -> Vec<&JobId> {
        match self {
            Operation::Deploy {
                flink_job_id,
                replaces,
                ..
            } => std::iter::once(flink_job_id).chain(replaces).collect(),
            Operation::Delete { flink_job_ids, .. } => flink_job_ids.iter().collect(),
            Operation::Suspend { flink_job_id, .. }
            | Operation::Savepoint { flink_job_id, .. }
            | Operation::Rescale { flink_job_id, .. } => {
                vec![flink_job_id]
            }
        }
    }

    /// Short name for status and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Deploy { purpose, .. } => purpose.name(),
            Operation::Delete { .. } => "delete",
            Operation::Suspend { .. } => "suspend",
            Operation::Savepoint { .. } => "savepoint",
            Operation::Rescale { .. } => "rescale",
        }
    }
}

/// Why a deploy operation runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// A new version of the spec (or its first deployment).
    #[default]
    Deploy,
    /// The job failed or vanished; start it again from its newest state.
    Recover,
    /// `desired_state` went back to `running`: start from the suspend savepoint.
    Resume,
    /// `fjc restart`: start again, budget reset.
    Restart,
    /// Go back to revision `to` (its recorded spec), from the state the failing
    /// version started from.
    Rollback {
        /// The revision deployed.
        to: u64,
    },
}

impl Purpose {
    /// Short name for status and logs.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Deploy => "deploy",
            Purpose::Recover => "recover",
            Purpose::Resume => "resume",
            Purpose::Restart => "restart",
            Purpose::Rollback { .. } => "rollback",
        }
    }
}

/// A rollback that happened: which revision was left and why. Kept until the
/// spec changes, so the rejected version is not deployed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackRecord {
    /// The revision rolled back from.
    pub from_revision: u64,
    /// The revision rolled back to.
    pub to_revision: u64,
    /// The spec fingerprint that is not deployed again until the spec changes.
    pub rejected: Fingerprint,
    /// Why.
    pub reason: String,
    /// When.
    pub at: EpochMs,
}

/// The artifact a deployed job was started with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedArtifact {
    /// `artifact_path` of the spec.
    pub path: String,
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
    /// S3 version id, when the bucket is versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A savepoint (or retained checkpoint) the job's state can be restored from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavepointRecord {
    /// Its location (`savepointPath` for a run).
    pub location: String,
    /// When it was recorded.
    pub at: EpochMs,
    /// The Flink job it was taken from.
    pub from_job: JobId,
    /// `savepoint` or `checkpoint`.
    pub kind: String,
}

/// The controller's record of one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobState {
    /// The spec's job id.
    pub job_id: String,
    /// Stream or batch.
    pub job_type: JobType,
    /// Cluster the job runs on.
    pub cluster: String,
    /// Controller lifecycle.
    pub lifecycle: Lifecycle,
    /// Flink's state of the job as last observed.
    #[serde(default)]
    pub flink_state: Option<String>,
    /// When `flink_state` was stored (`None` in records older than this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_state_at: Option<EpochMs>,
    /// The Flink job id of the deployed version.
    #[serde(default)]
    pub flink_job_id: Option<JobId>,
    /// Fingerprint of the deployed version.
    #[serde(default)]
    pub deployed_fingerprint: Option<Fingerprint>,
    /// Fingerprint of the last deployment attempt (equal to deployed on success).
    #[serde(default)]
    pub attempted_fingerprint: Option<Fingerprint>,
    /// Consecutive failed attempts for `attempted_fingerprint`.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Not before this time will a retryable failure be tried again.
    #[serde(default)]
    pub next_attempt_at: Option<EpochMs>,
    /// The operation in flight.
    #[serde(default)]
    pub operation: Option<Operation>,
    /// The last error.
    #[serde(default)]
    pub last_error: Option<LastError>,
    /// Batch runs (batch jobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<crate::runs::BatchState>,
    /// Change-class fingerprints of the deployed spec (see
    /// [`fjc_spec::ClassFingerprints`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_classes: Option<ClassFingerprints>,
    /// Exactly which bytes the deployed job runs: path, digest and S3 version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_artifact: Option<DeployedArtifact>,
    /// The newest savepoint or retained checkpoint known for the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_savepoint: Option<SavepointRecord>,
    /// Savepoints the controller took and keeps (oldest first), for retention.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub savepoints: Vec<SavepointRecord>,
    /// When the controller recovered the job, within the recovery window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recoveries: Vec<EpochMs>,
    /// When the deployed version was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<EpochMs>,
    /// Since when it has been RUNNING with all tasks running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since: Option<EpochMs>,
    /// The deployed Flink job's start time as Flink reports it (its clock), taken
    /// when the job was first recorded: a later start time of the same job id means
    /// Flink started it again by itself (a JobManager failover under HA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_started_at: Option<EpochMs>,
    /// The savepoint or checkpoint the deployed version started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<String>,
    /// The task slots the deployed version holds (its parallelism): what an
    /// upgrade counts as freed when it is admitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_parallelism: Option<u32>,
    /// Health signals of the deployed Flink job, written when they change in a
    /// way that matters (see [`crate::signals`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::signals::Health>,
    /// What Flink had counted for the deployed Flink job when the deployed
    /// version started on it: `None` for a job the controller submitted (Flink
    /// counts from zero); an in-place rescale keeps the job and its counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::signals::Baseline>,
    /// The lifecycle last put in the event outbox (`None` in records older than
    /// events: taken as told; see [`crate::events`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_told: Option<Lifecycle>,
    /// The start of the backpressure episode last alerted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressure_told: Option<EpochMs>,
    /// Events made for the job (numbers their ids).
    #[serde(default)]
    pub events_made: u64,
    /// Events not sent yet, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<crate::events::JobEvent>,
    /// Revision number of the deployed version (0: none yet).
    #[serde(default)]
    pub revision: u64,
    /// Highest revision number handed out.
    #[serde(default)]
    pub revisions_made: u64,
    /// The newest revision that reached STABLE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_revision: Option<u64>,
    /// The last rollback, kept until the spec changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackRecord>,
    /// Per command kind (`restart`, `savepoint`, `rollback`), the request time
    /// last handled.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub handled: BTreeMap<String, EpochMs>,
    /// Jars uploaded for a submission whose answer never came (a timeout): the
    /// run may still be going on in the JobManager, which reads the jar when the
    /// program submits its job, so the jar stays until the deployment sees its
    /// job and deletes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_jars: Vec<fjc_flink::JarId>,
    /// Last change of this record.
    pub updated_at: EpochMs,
    /// Optimistic version, managed by the store (0 = not stored yet).
    #[serde(skip)]
    pub version: u64,
}

impl JobState {
    /// Records `message` (one short line) as the job's last error, seen `at`.
    pub fn set_error(&mut self, message: impl Into<String>, at: EpochMs, retryable: bool) {
        self.last_error = Some(LastError::new(message, at, retryable));
    }

    /// Records Flink's state of the job as seen at `at`.
    pub fn set_flink_state(&mut self, flink_state: Option<String>, at: EpochMs) {
        self.flink_state = flink_state;
        self.flink_state_at = Some(at);
    }

    /// A fresh record for a job that has never been deployed.
    pub fn new(job_id: &str, job_type: JobType, cluster: &str, now: EpochMs) -> JobState {
        JobState {
            job_id: job_id.to_string(),
            job_type,
            cluster: cluster.to_string(),
            lifecycle: Lifecycle::Created,
            flink_state: None,
            flink_state_at: None,
            flink_job_id: None,
            deployed_fingerprint: None,
            attempted_fingerprint: None,
            failed_attempts: 0,
            next_attempt_at: None,
            operation: None,
            last_error: None,
            batch: None,
            deployed_classes: None,
            deployed_artifact: None,
            last_savepoint: None,
            savepoints: Vec::new(),
            recoveries: Vec::new(),
            deployed_at: None,
            running_since: None,
            flink_started_at: None,
            restored_from: None,
            deployed_parallelism: None,
            health: None,
            baseline: None,
            lifecycle_told: Some(Lifecycle::Created),
            backpressure_told: None,
            events_made: 0,
            outbox: Vec::new(),
            revision: 0,
            revisions_made: 0,
            stable_revision: None,
            rollback: None,
            handled: BTreeMap::new(),
            pending_jars: Vec::new(),
            updated_at: now,
            version: 0,
        }
    }
}
