//! The settings only one job type takes: `batch_config` (schedule, run history,
//! overlapping runs) and `stream_config` (checkpoints, savepoint retention).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Batch settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchConfig {
    /// Cron schedule (5 or 6 fields, or a macro like `@daily`); runs once per spec when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// IANA time zone of the schedule, default `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Stop scheduling after this many runs (>= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runs: Option<i64>,
    /// Cancel a run older than this many seconds (>= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
    /// Remove the run's uploaded jar (and staged artifact) when it ends.
    #[serde(default)]
    pub cleanup_on_completion: bool,
    /// What to do when a run is due while another is still active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<ConcurrencyPolicy>,
    /// A scheduled run missed by more than this many seconds is skipped and counted
    /// as missed, never queued (>= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<i64>,
    /// Finished runs kept in history (default 3, 0-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_runs_history_limit: Option<i64>,
    /// Failed, cancelled, timed-out or lost runs kept in history (default 1, 0-100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_runs_history_limit: Option<i64>,
    /// Stop starting scheduled runs (active runs continue; `fjc run` still works).
    #[serde(default)]
    pub suspend: bool,
}

/// Kubernetes CronJob-style handling of overlapping runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConcurrencyPolicy {
    /// Skip a run that is due while another is active (default).
    #[default]
    Forbid,
    /// Start it anyway.
    Allow,
    /// Cancel the active runs, then start it.
    Replace,
}

impl BatchConfig {
    /// The concurrency policy in force.
    pub fn policy(&self) -> ConcurrencyPolicy {
        self.concurrency_policy.unwrap_or_default()
    }

    /// Successful runs kept in history.
    pub fn successful_history(&self) -> usize {
        usize::try_from(self.successful_runs_history_limit.unwrap_or(3)).unwrap_or(3)
    }

    /// Unsuccessful runs kept in history.
    pub fn failed_history(&self) -> usize {
        usize::try_from(self.failed_runs_history_limit.unwrap_or(1)).unwrap_or(1)
    }
}

/// Streaming settings. Durations are like `30s`, `5m`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamConfig {
    /// How often the controller takes a savepoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_trigger_interval: Option<String>,
    /// Checkpoint timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_timeout: Option<String>,
    /// Minimum pause between checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_pause_between_checkpoints: Option<String>,
    /// Maximum concurrent checkpoints (>= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_checkpoints: Option<i64>,
    /// Savepoints the controller keeps (default 5); older ones are disposed of
    /// through Flink. The newest completed one is always kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_history_max_count: Option<i64>,
    /// Savepoints older than this are disposed of (default `7d`), newest excepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_history_max_age: Option<String>,
}
