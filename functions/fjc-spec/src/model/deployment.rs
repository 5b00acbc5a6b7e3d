//! The `deployment` section: parallelism and checkpoints, how a running stream job
//! is upgraded, Flink's restart strategy, and the controller's recovery, readiness
//! and rollback settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Deployment settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Job parallelism, >= 1.
    #[serde(default = "default_parallelism")]
    pub parallelism: i64,
    /// Checkpoint interval, a duration such as `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_interval: Option<String>,
    /// Target directory for this job's savepoints (e.g. `s3://bucket/savepoints`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_path: Option<String>,
    /// Where this job's checkpoints go (`file:///data/checkpoints` or
    /// `s3://bucket/checkpoints`) instead of the cluster's checkpoint directory; the
    /// controller looks for restore points there first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_dir: Option<String>,
    /// Flink restart strategy; the cluster default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_strategy: Option<RestartStrategy>,
    /// Restart attempts for `fixed-delay`/`exponential-delay`, failures per interval for `failure-rate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_restart_attempts: Option<i64>,
    /// Delay between restarts, a duration such as `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_delay: Option<String>,
    /// How a running stream job is replaced: `savepoint` (default for streams),
    /// `last-state` (its latest retained checkpoint) or `stateless` (cancel, start empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_mode: Option<UpgradeMode>,
    /// How long a savepoint may take before the upgrade is given up (the old job
    /// keeps running); default `stream_config.checkpoint_timeout`, else `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub savepoint_timeout: Option<String>,
    /// `last-state`: the newest retained checkpoint must be younger than this
    /// (default `1h`); an older one means a savepoint is taken instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_state_max_age: Option<String>,
    /// Controller recoveries of a failed or lost job allowed within
    /// `recovery_window` (default 3; 0 = never recover). Past it the job stays
    /// FAILED until the spec changes or `fjc restart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_attempts: Option<i64>,
    /// The window `recovery_attempts` counts in (default `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_window: Option<String>,
    /// First wait before a recovery, doubled per recovery in the window (default `10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_backoff: Option<String>,
    /// A new version must be RUNNING with all tasks running within this
    /// (default `5m`), else it is rolled back (or FAILED when there is nothing to
    /// roll back to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_timeout: Option<String>,
    /// How long a version must keep running to count as STABLE, the revision a
    /// rollback returns to (default `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_after: Option<String>,
    /// Roll a failing new version back to the last stable revision by itself
    /// (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_rollback: Option<bool>,
    /// A new version is promoted to STABLE only while its most backpressured
    /// operator spends less than this share of its time backpressured (a number
    /// in `(0, 1]`, e.g. `0.8`); unset, backpressure does not hold a rollout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_backpressure: Option<f64>,
}

/// How a running stream job is replaced by a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeMode {
    /// Stop with a savepoint, start the new version from it.
    Savepoint,
    /// Cancel, start the new version from the latest retained checkpoint.
    LastState,
    /// Cancel, start the new version with empty state.
    Stateless,
}

impl UpgradeMode {
    /// The spelling in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            UpgradeMode::Savepoint => "savepoint",
            UpgradeMode::LastState => "last-state",
            UpgradeMode::Stateless => "stateless",
        }
    }
}

fn default_parallelism() -> i64 {
    1
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            parallelism: default_parallelism(),
            checkpoint_interval: None,
            savepoint_path: None,
            checkpoint_dir: None,
            restart_strategy: None,
            max_restart_attempts: None,
            restart_delay: None,
            upgrade_mode: None,
            savepoint_timeout: None,
            last_state_max_age: None,
            recovery_attempts: None,
            recovery_window: None,
            recovery_backoff: None,
            readiness_timeout: None,
            stable_after: None,
            auto_rollback: None,
            max_backpressure: None,
        }
    }
}

/// Flink restart strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestartStrategy {
    /// Restart a fixed number of times with a fixed delay.
    FixedDelay,
    /// Restart with exponentially growing delays.
    ExponentialDelay,
    /// Restart unless failures per interval exceed a rate.
    FailureRate,
    /// Never restart.
    None,
}

impl RestartStrategy {
    /// The value Flink's `restart-strategy.type` expects.
    pub fn flink_name(self) -> &'static str {
        match self {
            RestartStrategy::FixedDelay => "fixed-delay",
            RestartStrategy::ExponentialDelay => "exponential-delay",
            RestartStrategy::FailureRate => "failure-rate",
            RestartStrategy::None => "none",
        }
    }
}
