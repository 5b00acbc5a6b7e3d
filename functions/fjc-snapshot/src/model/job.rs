//! One job's row in the overview ([`JobView`]): its type, lifecycle, what Flink
//! shows of it, and the operation, error or refusal to show next to it.

use serde::{Deserialize, Serialize};

use crate::{DEFAULT_NAMESPACE, EpochMs, Shown};

use super::JobDetail;

/// Stream or batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobType {
    /// Unbounded.
    Stream,
    /// Bounded.
    Batch,
    /// Written by a newer controller.
    #[serde(other)]
    Unknown,
}

impl JobType {
    /// Every known type, for filters.
    pub const ALL: [JobType; 2] = [JobType::Stream, JobType::Batch];

    /// Lower-case name as in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Stream => "stream",
            JobType::Batch => "batch",
            JobType::Unknown => "unknown",
        }
    }
}

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_string()
}

/// One job: everything `fjc status` knows about it, secrets excepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    /// The spec's job id.
    pub job_id: String,
    /// The spec's namespace ([`DEFAULT_NAMESPACE`] when it names none).
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Stream or batch.
    pub job_type: JobType,
    /// Cluster it runs on.
    pub cluster: String,
    /// Controller lifecycle (`PENDING` before the first cycle acted on the spec).
    pub lifecycle: Shown,
    /// Flink's state of the deployed job; see [`JobView::flink_state_seen`] for
    /// whether it was observed just now or is a stored value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_state: Option<String>,
    /// Where [`JobView::flink_state`] comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_state_seen: Option<FlinkStateSeen>,
    /// Flink job id of the deployed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flink_job_id: Option<String>,
    /// Whether a spec exists (false while a deleted job is being cancelled).
    pub has_spec: bool,
    /// When the spec was last applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<EpochMs>,
    /// Whether the deployed version differs from the spec.
    pub drift: bool,
    /// Consecutive failed attempts to deploy the spec's version.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u32,
    /// Not before this time is a retryable failure tried again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<EpochMs>,
    /// Revision number of the deployed version (stream jobs; `None` before the
    /// first deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// The newest revision that reached STABLE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_revision: Option<u64>,
    /// When the deployed version was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_at: Option<EpochMs>,
    /// When the controller recovered the job within the recovery window, newest
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recoveries: Vec<EpochMs>,
    /// The spec's recovery budget (stream jobs with a spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_budget: Option<RecoveryBudget>,
    /// The last rollback, kept until the spec changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackView>,
    /// Next cron fire of a batch job (none without a cron, when suspended, or after
    /// `max_runs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_fire_at: Option<EpochMs>,
    /// The last error (one line, never a stack trace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorLine>,
    /// The operation in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationView>,
    /// The last refused artifact upload (the job keeps its version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_refused: Option<Refusal>,
    /// Why the namespace policy holds the spec back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by_policy: Option<String>,
    /// Health signals of a running stream job, as last kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<super::HealthView>,
    /// Last change of the controller's record (the last transition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<EpochMs>,
    /// Identifies the content of the job's [`JobDetail`] document (published at
    /// [`job_document_key`](super::job_document_key)): it changes whenever the
    /// detail does. `None` when no detail is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_version: Option<String>,
    /// The job's history and spec. Not in the published overview (see
    /// [`JobDocument`](super::JobDocument)); present in what the controller builds
    /// and in a job page that fetched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<JobDetail>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl JobView {
    /// A job with nothing known beyond its id, type, cluster and lifecycle.
    pub fn new(job_id: &str, job_type: JobType, cluster: &str, lifecycle: Shown) -> JobView {
        JobView {
            job_id: job_id.to_string(),
            namespace: DEFAULT_NAMESPACE.to_string(),
            job_type,
            cluster: cluster.to_string(),
            lifecycle,
            flink_state: None,
            flink_state_seen: None,
            flink_job_id: None,
            has_spec: true,
            applied_at: None,
            drift: false,
            failed_attempts: 0,
            next_attempt_at: None,
            revision: None,
            stable_revision: None,
            deployed_at: None,
            recoveries: Vec::new(),
            recovery_budget: None,
            rollback: None,
            next_fire_at: None,
            last_error: None,
            operation: None,
            artifact_refused: None,
            held_by_policy: None,
            health: None,
            updated_at: None,
            detail_version: None,
            detail: None,
        }
    }
}

/// Where a job's [`JobView::flink_state`] comes from: what Flink said in the cycle
/// (or command) that built the listing, or the controller's stored value and how
/// old it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum FlinkStateSeen {
    /// Flink listed the job in `/jobs/overview` just now.
    Observed,
    /// The cluster answered just now and does not list the job: Flink does not
    /// know it (any more). The state shown is the stored one.
    NotListed {
        /// When the shown state was stored (`None` for records older than this
        /// field).
        #[serde(default)]
        recorded_at: Option<EpochMs>,
    },
    /// The cluster could not be asked; the state shown is the stored one.
    Recorded {
        /// When it was stored (`None` for records older than this field).
        #[serde(default)]
        at: Option<EpochMs>,
    },
    /// Written by a newer controller.
    #[serde(other)]
    Unknown,
}

/// The recovery budget of a stream job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryBudget {
    /// Recoveries allowed per window.
    pub allowed: u32,
    /// The window, in seconds.
    pub window_seconds: u64,
}

/// A rollback that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackView {
    /// The revision rolled back from.
    pub from_revision: u64,
    /// The revision rolled back to.
    pub to_revision: u64,
    /// Why (one line).
    pub reason: String,
    /// When.
    pub at: EpochMs,
}

/// An artifact upload that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// When.
    pub at: EpochMs,
    /// Digest of the refused bytes, when they could be read.
    #[serde(default)]
    pub digest: Option<String>,
    /// Why (one line).
    pub reason: String,
}

/// A one-line error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLine {
    /// The cause line.
    pub message: String,
    /// When.
    pub at: EpochMs,
    /// Whether the controller retries by itself.
    pub retryable: bool,
}

/// The operation in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationView {
    /// `deploy`, `upgrade`, `recover`, `resume`, `restart`, `rollback`, `suspend`,
    /// `savepoint`, `delete`.
    pub kind: String,
    /// When it started.
    pub started_at: EpochMs,
    /// The Flink job it starts or stops.
    #[serde(default)]
    pub flink_job_id: Option<String>,
    /// The savepoint or checkpoint the new job starts from, once chosen.
    #[serde(default)]
    pub restore_from: Option<String>,
}
