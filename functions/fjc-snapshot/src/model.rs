//! The snapshot document.

use serde::{Deserialize, Serialize};

use crate::{DEFAULT_NAMESPACE, EpochMs, RevisionOutcome, SCHEMA_VERSION, Shown};

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Layout version ([`SCHEMA_VERSION`] when written by this crate).
    pub schema_version: u32,
    /// When the controller built this document.
    pub generated_at: EpochMs,
    /// The controller's heartbeat and last cycle.
    pub controller: Controller,
    /// Every configured cluster a job uses, by name.
    #[serde(default)]
    pub clusters: Vec<ClusterView>,
    /// Every job (spec or recorded state), ordered by namespace then job id.
    #[serde(default)]
    pub jobs: Vec<JobView>,
    /// Flink jobs running on a managed cluster that no job state accounts for.
    #[serde(default)]
    pub orphans: Vec<Orphan>,
}

impl Snapshot {
    /// An empty document at `now` (no clusters, jobs or orphans).
    pub fn empty(now: EpochMs, controller: Controller) -> Snapshot {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            generated_at: now,
            controller,
            clusters: Vec::new(),
            jobs: Vec::new(),
            orphans: Vec::new(),
        }
    }

    /// The same document with the fields that change every cycle (times and cycle
    /// statistics) zeroed: two snapshots with equal `without_heartbeat()` show the
    /// same jobs and clusters, so a publisher need not write again.
    pub fn without_heartbeat(&self) -> Snapshot {
        let mut s = self.clone();
        s.generated_at = 0;
        s.controller.heartbeat_at = 0;
        s.controller.cycle_started_at = 0;
        s.controller.cycle_duration_ms = 0;
        s
    }
}

/// The controller's liveness and its last cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// End of the last cycle reflected here.
    pub heartbeat_at: EpochMs,
    /// Start of that cycle.
    pub cycle_started_at: EpochMs,
    /// Its wall time.
    pub cycle_duration_ms: u64,
    /// How often a cycle is expected to run.
    pub interval_seconds: u64,
    /// The snapshot is rewritten at least this often even when nothing changed, so
    /// the heartbeat may lag by up to this much.
    pub heartbeat_refresh_seconds: u64,
    /// Actions the cycle carried out.
    #[serde(default)]
    pub actions: u32,
    /// Of which failed.
    #[serde(default)]
    pub failed_actions: u32,
    /// Jobs the cycle left waiting (backoff, unreachable cluster, ...).
    #[serde(default)]
    pub waiting: u32,
}

impl Controller {
    /// After how long without a new heartbeat the data counts as stale: the refresh
    /// period plus three cycle intervals (at least one minute).
    pub fn stale_after_ms(&self) -> i64 {
        let secs = self
            .heartbeat_refresh_seconds
            .saturating_add(self.interval_seconds.saturating_mul(3))
            .max(60);
        i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// Milliseconds since the heartbeat (never negative).
    pub fn heartbeat_age_ms(&self, now: EpochMs) -> i64 {
        now.saturating_sub(self.heartbeat_at).max(0)
    }

    /// Whether the controller has not been heard from for too long.
    pub fn is_stale(&self, now: EpochMs) -> bool {
        self.heartbeat_age_ms(now) > self.stale_after_ms()
    }
}

/// Whether a cluster answered this cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterHealth {
    /// `/jobs/overview` answered.
    Healthy,
    /// It did not; see [`ClusterView::error`].
    Unreachable,
    /// Written by a newer controller.
    #[serde(other)]
    Unknown,
}

/// One Flink session cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterView {
    /// Configured name.
    pub name: String,
    /// Health this cycle.
    pub health: ClusterHealth,
    /// Why it is unreachable (one line).
    #[serde(default)]
    pub error: Option<String>,
    /// Flink jobs it lists (any state).
    #[serde(default)]
    pub jobs_seen: Option<u32>,
    /// Task slots, when `/overview` answered.
    #[serde(default)]
    pub slots: Option<Slots>,
    /// Registered TaskManagers, when `/overview` answered.
    #[serde(default)]
    pub taskmanagers: Option<u32>,
    /// Flink version, when `/overview` answered.
    #[serde(default)]
    pub flink_version: Option<String>,
    /// Circuit breaker guarding calls to this cluster (`None` while it never
    /// tripped).
    #[serde(default)]
    pub breaker: Option<Breaker>,
}

/// Task slots of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slots {
    /// In total.
    pub total: u32,
    /// Free.
    pub available: u32,
}

/// A circuit breaker's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    /// `closed`, `open` or `half_open`.
    pub state: BreakerState,
    /// Since when.
    #[serde(default)]
    pub since: Option<EpochMs>,
    /// Why it opened (one line).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Circuit breaker states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused until a probe succeeds.
    Open,
    /// One probe call is allowed.
    HalfOpen,
    /// Written by a newer controller.
    #[serde(other)]
    Unknown,
}

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
    /// Last change of the controller's record (the last transition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<EpochMs>,
    /// Identifies the content of the job's [`JobDetail`] document (published at
    /// [`job_document_key`]): it changes whenever the detail does. `None` when no
    /// detail is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_version: Option<String>,
    /// The job's history and spec. Not in the published overview (see
    /// [`JobDocument`]); present in what the controller builds and in a job page
    /// that fetched it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<JobDetail>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What only a job's own page shows: its history, restore points and spec. A large
/// fleet's overview would be mostly this, so it is published as one document per
/// job ([`JobDocument`]) that the job page fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDetail {
    /// Fingerprint of the spec.
    #[serde(default)]
    pub spec_fingerprint: Option<String>,
    /// Fingerprint of the deployed version.
    #[serde(default)]
    pub deployed_fingerprint: Option<String>,
    /// The kept revisions, newest first.
    #[serde(default)]
    pub revisions: Vec<Revision>,
    /// The newest savepoint or retained checkpoint a restart would use.
    #[serde(default)]
    pub last_savepoint: Option<Savepoint>,
    /// The savepoints the controller took and keeps, newest first.
    #[serde(default)]
    pub savepoints: Vec<Savepoint>,
    /// The savepoint or checkpoint the deployed version started from.
    #[serde(default)]
    pub restored_from: Option<String>,
    /// Recent runs of a batch job, newest first (active ones, then history).
    #[serde(default)]
    pub runs: Vec<Run>,
    /// The bytes the deployed job runs.
    #[serde(default)]
    pub deployed_artifact: Option<ArtifactView>,
    /// Key id that signed the spec's artifact.
    #[serde(default)]
    pub signed_by: Option<String>,
    /// The last audit entries (who did what, when), newest first.
    #[serde(default)]
    pub audit: Vec<AuditView>,
    /// What the spec asks for, without values that could be secret.
    #[serde(default)]
    pub spec: Option<SpecSummary>,
}

/// One job's [`JobDetail`] as its own published document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDocument {
    /// Layout version ([`SCHEMA_VERSION`] when written by this crate).
    pub schema_version: u32,
    /// The spec's job id.
    pub job_id: String,
    /// The detail.
    pub detail: JobDetail,
}

/// Where a job's [`JobDocument`] is published, relative to the snapshot
/// (`jobs/<job id>.json`). Bytes other than ASCII letters, digits, `-` and `_` are
/// written as `~XX` (hex), so any job id gives one safe file name and URL path
/// segment, never `..` or a `/`.
pub fn job_document_key(job_id: &str) -> String {
    let mut key = String::with_capacity(job_id.len() + 10);
    key.push_str("jobs/");
    for b in job_id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            key.push(char::from(b));
        } else {
            key.push('~');
            key.push(char::from(HEX[usize::from(b >> 4)]));
            key.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    key.push_str(".json");
    key
}

const HEX: &[u8; 16] = b"0123456789abcdef";

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

/// The artifact a deployed job runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactView {
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
    /// S3 version id, when the bucket is versioned.
    #[serde(default)]
    pub version: Option<String>,
}

/// One audit entry: who changed what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    /// When.
    pub at: EpochMs,
    /// Caller identity (IAM ARN, or `local:<user>@<host>`).
    pub actor: String,
    /// `create`, `update`, `delete`, `suspend`, `resume`, `restart`, `savepoint`,
    /// `rollback`, `artifact-update`, ...
    pub action: String,
    /// Fingerprint before.
    #[serde(default)]
    pub from: Option<String>,
    /// Fingerprint after.
    #[serde(default)]
    pub to: Option<String>,
    /// More about it (one line).
    #[serde(default)]
    pub detail: Option<String>,
}

/// A spec, reduced to what is safe and useful to show. Environment variable values
/// and program arguments are deliberately absent: only their counts are here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecSummary {
    /// `s3://bucket/key.jar` or a path below the artifact root.
    pub artifact_path: String,
    /// `sha256:<hex>` of the artifact at apply time.
    #[serde(default)]
    pub artifact_digest: Option<String>,
    /// Main class, when set.
    #[serde(default)]
    pub entry_class: Option<String>,
    /// Parallelism.
    pub parallelism: u32,
    /// Checkpoint interval as written (`30s`).
    #[serde(default)]
    pub checkpoint_interval: Option<String>,
    /// Restart strategy name.
    #[serde(default)]
    pub restart_strategy: Option<String>,
    /// Batch schedule (cron expression), when set.
    #[serde(default)]
    pub cron: Option<String>,
    /// Time zone of the schedule.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Periodic savepoint interval of a streaming job.
    #[serde(default)]
    pub savepoint_trigger_interval: Option<String>,
    /// How many program arguments the spec passes (their values are never shown).
    pub arg_count: u32,
    /// How many environment variables the spec sets (their values are never shown).
    pub env_var_count: u32,
}

/// A deployed version of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// Revision number, increasing.
    pub number: u64,
    /// Spec fingerprint of this revision.
    pub fingerprint: String,
    /// When it was deployed.
    #[serde(default)]
    pub deployed_at: Option<EpochMs>,
    /// How it fared (`None` in documents older than this field).
    #[serde(default)]
    pub outcome: Option<RevisionOutcome>,
    /// Why it was rolled back (one line).
    #[serde(default)]
    pub reason: Option<String>,
    /// The savepoint or checkpoint it started from.
    #[serde(default)]
    pub restored_from: Option<String>,
}

/// A savepoint or retained checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Savepoint {
    /// Where it is.
    pub location: String,
    /// When it completed (or was recorded).
    pub at: EpochMs,
    /// `savepoint` or `checkpoint`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The Flink job it was taken from.
    #[serde(default)]
    pub from_flink_job_id: Option<String>,
}

/// Outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Still running.
    Running,
    /// Completed.
    Finished,
    /// Failed.
    Failed,
    /// Cancelled.
    Cancelled,
    /// Cancelled for running longer than `ttl_seconds`.
    TimedOut,
    /// Vanished from the cluster before its result was seen.
    Lost,
    /// Written by a newer controller.
    #[serde(other)]
    Unknown,
}

/// One run of a batch job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Run id (`<scheduled ms>-<trigger>`).
    #[serde(default)]
    pub run_id: String,
    /// Flink job id of the run.
    #[serde(default)]
    pub flink_job_id: Option<String>,
    /// Start.
    pub started_at: EpochMs,
    /// End, once over.
    #[serde(default)]
    pub ended_at: Option<EpochMs>,
    /// Outcome.
    pub outcome: RunOutcome,
    /// Failure cause (one line).
    #[serde(default)]
    pub error: Option<String>,
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

/// A Flink job on a managed cluster that no job state accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orphan {
    /// Cluster.
    pub cluster: String,
    /// Flink job id.
    pub flink_job_id: String,
    /// Flink job name.
    pub name: String,
    /// Flink state.
    pub flink_state: String,
    /// Start time.
    pub started_at: EpochMs,
}

/// Truncates a message to its first line and at most `max` characters, so an error
/// shown or stored is never a stack trace.
pub fn one_line(message: &str, max: usize) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let mut s: String = line.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
