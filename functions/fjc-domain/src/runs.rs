//! Batch runs: the record kept per run, and the summary kept in the job's state.

use fjc_flink::{JarId, JobId};
use fjc_spec::Fingerprint;
use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// A cron fire time.
    Schedule,
    /// `fjc run`.
    Manual,
    /// A batch spec without cron runs once per fingerprint.
    Spec,
}

impl RunTrigger {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Schedule => "schedule",
            RunTrigger::Manual => "manual",
            RunTrigger::Spec => "spec",
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Recorded; submission in flight.
    Starting,
    /// Submitted to Flink.
    Running,
    /// Completed successfully.
    Finished,
    /// Failed (Flink's cause line in the reason).
    Failed,
    /// Cancelled (replaced, or cancelled outside the controller).
    Canceled,
    /// Cancelled for exceeding `ttl_seconds`.
    TimedOut,
    /// Vanished from the cluster before its result was seen.
    Lost,
}

impl RunStatus {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Starting => "STARTING",
            RunStatus::Running => "RUNNING",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Canceled => "CANCELED",
            RunStatus::TimedOut => "TIMED_OUT",
            RunStatus::Lost => "LOST",
        }
    }

    /// Whether the run is over.
    pub fn is_terminal(self) -> bool {
        !matches!(self, RunStatus::Starting | RunStatus::Running)
    }
}

/// One run, as stored in its own item (`RUN#<job>` / run id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Spec job id.
    pub job_id: String,
    /// Run id: `<scheduled ms, 13 digits>-<trigger>`; sorts by time.
    pub run_id: String,
    /// What started it.
    pub trigger: RunTrigger,
    /// The fire time (schedule) or request time (manual, spec).
    pub scheduled_at: EpochMs,
    /// When the controller recorded it.
    pub created_at: EpochMs,
    /// When Flink accepted it.
    #[serde(default)]
    pub started_at: Option<EpochMs>,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<EpochMs>,
    /// The Flink job id (chosen and recorded before submission).
    pub flink_job_id: JobId,
    /// The spec fingerprint it ran.
    pub fingerprint: Fingerprint,
    /// Where it is.
    pub status: RunStatus,
    /// Why it ended as it did (one line).
    #[serde(default)]
    pub reason: Option<String>,
    /// The uploaded jar, while kept.
    #[serde(default)]
    pub jar: Option<JarId>,
}

impl Run {
    /// The id of a run started by `trigger` for time `at`: the same scheduled time
    /// always gives the same id, so it can only be recorded once.
    pub fn id_for(trigger: RunTrigger, at: EpochMs) -> String {
        format!("{at:013}-{}", trigger.as_str())
    }
}

/// A finished run, as kept in the job's state (newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Run id.
    pub run_id: String,
    /// When Flink accepted it (none if it never started).
    #[serde(default)]
    pub started_at: Option<EpochMs>,
    /// Its Flink job id.
    #[serde(default)]
    pub flink_job_id: Option<JobId>,
    /// How it ended.
    pub status: RunStatus,
    /// When.
    pub ended_at: EpochMs,
    /// Why (one line).
    #[serde(default)]
    pub reason: Option<String>,
    /// Its jar, if kept in Flink until the run leaves the history.
    #[serde(default)]
    pub jar: Option<JarId>,
}

/// Batch bookkeeping kept in the job's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchState {
    /// Runs not yet ended.
    #[serde(default)]
    pub active: Vec<Run>,
    /// The latest cron fire time handled (started, skipped or missed); the schedule
    /// continues after it. Set to the first time the schedule was seen.
    #[serde(default)]
    pub last_scheduled_at: Option<EpochMs>,
    /// Runs started, for `max_runs`.
    #[serde(default)]
    pub runs_started: u32,
    /// Fire times passed without a run (outage, starting deadline).
    #[serde(default)]
    pub missed: u32,
    /// Fire times skipped because a run was active (`forbid`).
    #[serde(default)]
    pub skipped: u32,
    /// Why the last fire time was skipped or missed.
    #[serde(default)]
    pub last_skip: Option<String>,
    /// Ended runs, newest first, within the history limits.
    #[serde(default)]
    pub history: Vec<RunSummary>,
    /// Fingerprint of the last spec-triggered run (specs without cron).
    #[serde(default)]
    pub spec_run_fingerprint: Option<Fingerprint>,
    /// The last `fjc run` request handled.
    #[serde(default)]
    pub manual_handled_at: Option<EpochMs>,
}

impl BatchState {
    /// The newest ended run.
    pub fn last_run(&self) -> Option<&RunSummary> {
        self.history.first()
    }
}

/// A run-item change committed together with a job state.
#[derive(Debug, Clone, PartialEq)]
pub enum RunWrite {
    /// Record a new run; fails the whole commit if a run with its id exists
    /// (the same scheduled time never starts twice).
    Create(Run),
    /// Overwrite a run's record.
    Put(Run),
    /// Remove a run from history.
    Delete {
        /// Spec job id.
        job_id: String,
        /// Run id.
        run_id: String,
    },
    /// Remove the job's pending `fjc run` request.
    ConsumeRequest {
        /// Spec job id.
        job_id: String,
    },
}
