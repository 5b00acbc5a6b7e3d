//! Data the Flink REST API returns or accepts, reduced to what the controller uses.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A Flink job id: 32 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(String);

impl JobId {
    /// Parses a job id; accepts upper or lower case hex, stores lower case.
    pub fn parse(s: &str) -> Result<JobId, String> {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(JobId(s.to_ascii_lowercase()))
        } else {
            Err(format!("not a Flink job id (32 hex characters): {s:?}"))
        }
    }

    /// A new random job id, chosen by the controller before a submission.
    pub fn random() -> JobId {
        let bytes: [u8; 16] = rand::random();
        JobId(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The id as Flink writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for JobId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        JobId::parse(&s)
    }
}

impl From<JobId> for String {
    fn from(id: JobId) -> String {
        id.0
    }
}

/// The id Flink gives an uploaded jar (the basename of the stored file).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JarId(pub String);

impl fmt::Display for JarId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Flink's job status (`JobStatus`), plus anything newer versions add.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FlinkJobState {
    /// INITIALIZING
    Initializing,
    /// CREATED
    Created,
    /// RUNNING
    Running,
    /// FAILING
    Failing,
    /// FAILED
    Failed,
    /// CANCELLING
    Cancelling,
    /// CANCELED
    Canceled,
    /// FINISHED
    Finished,
    /// RESTARTING
    Restarting,
    /// SUSPENDED
    Suspended,
    /// RECONCILING
    Reconciling,
    /// A state this client does not know.
    Other(String),
}

impl FlinkJobState {
    /// Maps Flink's upper-case name.
    pub fn from_flink(s: &str) -> FlinkJobState {
        match s {
            "INITIALIZING" => FlinkJobState::Initializing,
            "CREATED" => FlinkJobState::Created,
            "RUNNING" => FlinkJobState::Running,
            "FAILING" => FlinkJobState::Failing,
            "FAILED" => FlinkJobState::Failed,
            "CANCELLING" => FlinkJobState::Cancelling,
            "CANCELED" => FlinkJobState::Canceled,
            "FINISHED" => FlinkJobState::Finished,
            "RESTARTING" => FlinkJobState::Restarting,
            "SUSPENDED" => FlinkJobState::Suspended,
            "RECONCILING" => FlinkJobState::Reconciling,
            other => FlinkJobState::Other(other.to_string()),
        }
    }

    /// Flink's upper-case name.
    pub fn as_str(&self) -> &str {
        match self {
            FlinkJobState::Initializing => "INITIALIZING",
            FlinkJobState::Created => "CREATED",
            FlinkJobState::Running => "RUNNING",
            FlinkJobState::Failing => "FAILING",
            FlinkJobState::Failed => "FAILED",
            FlinkJobState::Cancelling => "CANCELLING",
            FlinkJobState::Canceled => "CANCELED",
            FlinkJobState::Finished => "FINISHED",
            FlinkJobState::Restarting => "RESTARTING",
            FlinkJobState::Suspended => "SUSPENDED",
            FlinkJobState::Reconciling => "RECONCILING",
            FlinkJobState::Other(s) => s,
        }
    }

    /// FAILED, CANCELED or FINISHED: the job will not run again in this cluster.
    pub fn is_globally_terminal(&self) -> bool {
        matches!(
            self,
            FlinkJobState::Failed | FlinkJobState::Canceled | FlinkJobState::Finished
        )
    }
}

impl fmt::Display for FlinkJobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `/jobs/overview`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSummary {
    /// Job id.
    pub id: JobId,
    /// Job name (`pipeline.name`).
    pub name: String,
    /// Current state.
    pub state: FlinkJobState,
    /// Start time, epoch milliseconds.
    pub start_time_ms: i64,
    /// End time, epoch milliseconds, or -1 while running.
    pub end_time_ms: i64,
    /// Number of tasks in total.
    pub tasks_total: u32,
    /// Number of tasks running.
    pub tasks_running: u32,
    /// Number of tasks finished while the job goes on (a source subtask with
    /// no split to read finishes at once, e.g. after a rescale).
    pub tasks_finished: u32,
    /// The job runs under the adaptive scheduler (`schedulerType: Adaptive`):
    /// its parallelism can change in place through
    /// [`FlinkApi::set_resource_requirements`](crate::FlinkApi::set_resource_requirements).
    pub adaptive: bool,
}

impl JobSummary {
    /// RUNNING, with every task running or finished (at least one running):
    /// the job does all it was given to do.
    pub fn runs_all_tasks(&self) -> bool {
        self.state == FlinkJobState::Running
            && self.tasks_running > 0
            && self.tasks_running.saturating_add(self.tasks_finished) >= self.tasks_total
    }
}

/// `/jobs/:id`, reduced.
#[derive(Debug, Clone, PartialEq)]
pub struct JobDetails {
    /// Job id.
    pub id: JobId,
    /// Job name.
    pub name: String,
    /// Current state.
    pub state: FlinkJobState,
    /// Start time, epoch milliseconds.
    pub start_time_ms: i64,
    /// End time, epoch milliseconds, or -1.
    pub end_time_ms: i64,
    /// Subtasks in all (summed over the job's vertices).
    pub tasks_total: u32,
    /// Subtasks running.
    pub tasks_running: u32,
    /// Subtasks finished while the job goes on.
    pub tasks_finished: u32,
    /// Runs under the adaptive scheduler (see [`JobSummary::adaptive`]).
    pub adaptive: bool,
    /// The share of time the most backpressured vertex spent backpressured since
    /// its tasks started (`accumulated-backpressured-time` over the sum of
    /// backpressured, busy and idle time), in `[0, 1]`; `None` until Flink has
    /// measured any time.
    pub backpressure: Option<f64>,
}

impl JobDetails {
    /// The same job as `/jobs/overview` would list it.
    pub fn summary(self) -> JobSummary {
        JobSummary {
            id: self.id,
            name: self.name,
            state: self.state,
            start_time_ms: self.start_time_ms,
            end_time_ms: self.end_time_ms,
            tasks_total: self.tasks_total,
            tasks_running: self.tasks_running,
            tasks_finished: self.tasks_finished,
            adaptive: self.adaptive,
        }
    }
}

/// `GET /jobs/:id/metrics`: the job-level numbers a health probe reads, in one
/// call. A job Flink does not know answers with none of them (`None` here), not
/// an error.
///
/// They are as old as Flink's previous metrics request: the REST handler answers
/// from the metric fetcher's store and only then starts a refresh (at most every
/// `metrics.fetcher.update-interval`, 10 s). A cluster whose metrics are read
/// once a minute answers with minute-old values (measured on Flink 2.3: after 46 s
/// and 50 s without a metrics request, the newest checkpoint named was 51 s and
/// 52 s old). [`JobMetrics::with_checkpoints`] replaces the
/// checkpoint facts with the current ones from the checkpoint statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobMetrics {
    /// `numRestarts`: restarts Flink made of this job since it was submitted.
    pub restarts: Option<u64>,
    /// `numberOfCompletedCheckpoints` of this job (a restored checkpoint not counted).
    pub checkpoints_completed: Option<u64>,
    /// `numberOfFailedCheckpoints`.
    pub checkpoints_failed: Option<u64>,
    /// `lastCheckpointCompletedTimestamp` (epoch ms), when a checkpoint completed.
    pub last_checkpoint_at: Option<i64>,
}

impl JobMetrics {
    /// The metric names asked for, in the order of the fields.
    pub const NAMES: [&'static str; 4] = [
        "numRestarts",
        "numberOfCompletedCheckpoints",
        "numberOfFailedCheckpoints",
        "lastCheckpointCompletedTimestamp",
    ];

    /// These metrics with the checkpoint counts and the newest completed
    /// checkpoint's time taken from `stats` (`GET /jobs/:id/checkpoints`), which
    /// Flink keeps current within `web.refresh-interval`. The counts are the same
    /// ones the metrics report, only fresh.
    #[must_use]
    pub fn with_checkpoints(self, stats: &CheckpointStats) -> JobMetrics {
        JobMetrics {
            checkpoints_completed: Some(stats.counts.completed),
            checkpoints_failed: Some(stats.counts.failed),
            last_checkpoint_at: stats
                .latest_completed
                .as_ref()
                .and_then(|c| c.completed_at)
                .filter(|t| *t > 0),
            ..self
        }
    }
}

/// `/overview`, reduced.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOverview {
    /// Registered TaskManagers.
    pub taskmanagers: u32,
    /// Slots in total.
    pub slots_total: u32,
    /// Free slots.
    pub slots_available: u32,
    /// Running jobs.
    pub jobs_running: u32,
    /// Flink version string.
    pub flink_version: String,
}

/// What `POST /jars/:id/run` is asked to do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRequest {
    /// Controller-chosen job id (makes a retried submission idempotent).
    pub job_id: Option<JobId>,
    /// Main class; the manifest's when `None`.
    pub entry_class: Option<String>,
    /// Program arguments, one element per argument.
    pub program_args: Vec<String>,
    /// Job parallelism.
    pub parallelism: Option<u32>,
    /// Savepoint or retained checkpoint to restore from.
    pub savepoint_path: Option<String>,
    /// Allow state of removed operators to be skipped on restore.
    pub allow_non_restored_state: bool,
    /// Job-level Flink configuration.
    pub flink_configuration: BTreeMap<String, String>,
}

/// The outcome of a savepoint (or stop-with-savepoint) operation, as
/// `GET /jobs/:id/savepoints/:triggerid` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavepointStatus {
    /// Still being taken.
    InProgress,
    /// Written; `location` can be given as `savepointPath` to a later run.
    Completed {
        /// Where the savepoint is, e.g. `file:/data/savepoints/savepoint-1a2b3c-0123456789ab`.
        location: String,
    },
    /// Flink gave up; `cause` is the reduced one-line reason.
    Failed {
        /// First line and last "Caused by:" line of Flink's failure cause.
        cause: String,
    },
}

/// `GET /jobs/:id/checkpoints`, reduced to what restore decisions need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// How many checkpoints were restored, triggered, are running, completed, failed.
    pub counts: CheckpointCounts,
    /// The newest completed checkpoint (Flink's `latest.completed`; savepoints are
    /// reported separately), if any.
    pub latest_completed: Option<CheckpointRef>,
    /// The newest completed savepoint, if any.
    pub latest_savepoint: Option<CheckpointRef>,
    /// The checkpoint or savepoint the job was restored from, if any.
    pub latest_restored: Option<CheckpointRef>,
}

/// The `counts` object of `GET /jobs/:id/checkpoints`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointCounts {
    /// Restores from a checkpoint.
    pub restored: u64,
    /// Checkpoints triggered in total.
    pub total: u64,
    /// Checkpoints in progress.
    pub in_progress: u64,
    /// Completed checkpoints.
    pub completed: u64,
    /// Failed checkpoints.
    pub failed: u64,
}

/// One checkpoint or savepoint as `GET /jobs/:id/checkpoints` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRef {
    /// Checkpoint id.
    pub id: u64,
    /// Where it is stored (usable as `savepointPath` when retained), if Flink reports it.
    pub external_path: Option<String>,
    /// Whether it is a savepoint rather than a checkpoint.
    pub is_savepoint: bool,
    /// When it completed (epoch ms; for a restored one, when it was restored).
    pub completed_at: Option<i64>,
}

/// The outcome of a finished job (`/jobs/:id/execution-result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionResult {
    /// FINISHED, FAILED or CANCELED.
    pub state: FlinkJobState,
    /// The failure cause reduced to one line, for failed jobs.
    pub cause: Option<String>,
}

/// Where a savepoint disposal (`/savepoint-disposal`) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisposalStatus {
    /// Still deleting.
    InProgress,
    /// The savepoint is gone.
    Done,
    /// Flink could not dispose of it; the reduced one-line reason.
    Failed {
        /// First line and last "Caused by:" line of Flink's failure cause.
        cause: String,
    },
}

/// The parallelism a job vertex may run with under the adaptive scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParallelismBounds {
    /// The least it runs with (it waits for slots below that).
    pub lower_bound: u32,
    /// The most it takes when slots are free.
    pub upper_bound: u32,
}

/// `GET|PUT /jobs/:id/resource-requirements`: per job vertex id, its
/// parallelism bounds (`{"<vertex>": {"parallelism": {"lowerBound": 1,
/// "upperBound": 4}}}`).
pub type ResourceRequirements = std::collections::BTreeMap<String, ParallelismBounds>;
