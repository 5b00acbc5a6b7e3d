//! The job spec as users write it (YAML or JSON).
//!
//! Every struct rejects unknown fields. Optional settings are `Option`s or carry a
//! serde default, so an omitted field and a field set to its default mean the same
//! thing (see [`mod@crate::fingerprint`]).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One Flink job, streaming or batch, as declared by a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Unique id of the job: `^[a-z0-9][a-z0-9-]{0,62}$`.
    pub job_id: String,
    /// `stream` (runs until stopped) or `batch` (runs to completion).
    pub job_type: JobType,
    /// Where the job jar lives: `s3://bucket/key` or a path below the configured artifact root.
    pub artifact_path: String,
    /// Expected digest of the jar, `sha256:<64 hex>`. When set, the controller refuses other bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_signature: Option<String>,
    /// Main class; when absent Flink uses the jar manifest's `Main-Class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Name of the Flink session cluster (from configuration) the job runs on.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// Policy namespace (allowed artifact locations and limits come from the
    /// controller configuration's `namespaces.<name>`). Not part of the fingerprint.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// How the job is deployed.
    #[serde(default)]
    pub deployment: Deployment,
    /// What the job needs from the cluster (informational in session clusters).
    #[serde(default)]
    pub resources: Resources,
    /// Security settings.
    #[serde(default)]
    pub security: Security,
    /// Monitoring and alerting settings (never cause a redeploy).
    #[serde(default)]
    pub monitoring: Monitoring,
    /// Program arguments passed to the job's main method.
    #[serde(default)]
    pub args: Vec<String>,
    /// Variables handed to the job as Flink global job parameters.
    #[serde(default)]
    pub env_vars: BTreeMap<String, String>,
    /// Batch-only settings (only with `job_type: batch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_config: Option<BatchConfig>,
    /// Stream-only settings (only with `job_type: stream`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_config: Option<StreamConfig>,
    /// Low-level Flink settings.
    #[serde(default)]
    pub advanced: Advanced,
    /// `running` (default) or `suspended`: a suspended stream job is stopped with a
    /// savepoint and resumed from it when set back to `running`. Not part of the
    /// fingerprint (suspending is not a change of what runs).
    #[serde(default, skip_serializing_if = "DesiredState::is_running")]
    pub desired_state: DesiredState,
}

/// Whether a stream job should run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DesiredState {
    /// Keep it running.
    #[default]
    Running,
    /// Stop it with a savepoint; resume from that savepoint later.
    Suspended,
}

impl DesiredState {
    /// Whether this is `running`.
    pub fn is_running(&self) -> bool {
        *self == DesiredState::Running
    }
}

/// Namespace of a spec that names none.
pub const DEFAULT_NAMESPACE: &str = "default";

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_string()
}

/// Name of the cluster a spec runs on when it names none.
pub const DEFAULT_CLUSTER: &str = "default";

fn default_cluster() -> String {
    DEFAULT_CLUSTER.to_string()
}

/// Whether a job is unbounded or bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobType {
    /// Unbounded streaming job.
    Stream,
    /// Bounded batch job.
    Batch,
}

impl JobType {
    /// Lowercase name as written in specs.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Stream => "stream",
            JobType::Batch => "batch",
        }
    }
}

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

/// Resources the job needs. Sizes are like `2g` or `512m`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Total memory, e.g. `2g`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// CPU cores, > 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_cores: Option<f64>,
    /// Network memory, e.g. `256m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_memory: Option<String>,
}

/// Security settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// Kerberos principal the job runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kerberos_principal: Option<String>,
    /// Whether the job expects SSL inside the cluster.
    #[serde(default)]
    pub ssl_enabled: bool,
    /// Require a verified artifact before deploying.
    #[serde(default)]
    pub artifact_verification: bool,
}

/// Monitoring settings. Changing only these never restarts a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// Port of the job's metrics reporter (1-65535).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_port: Option<i64>,
    /// Log level.
    #[serde(default)]
    pub log_level: LogLevel,
    /// Alert when the job fails.
    #[serde(default = "yes")]
    pub alert_on_failure: bool,
    /// Alert on sustained backpressure.
    #[serde(default)]
    pub alert_on_backpressure: bool,
    /// A canary: it must be converged (deployed and running) after every full
    /// cycle, or `fjc health` reports the controller unhealthy.
    #[serde(default)]
    pub canary: bool,
}

fn yes() -> bool {
    true
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            metrics_port: None,
            log_level: LogLevel::default(),
            alert_on_failure: true,
            alert_on_backpressure: false,
            canary: false,
        }
    }
}

/// Log levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// TRACE
    Trace,
    /// DEBUG
    Debug,
    /// INFO
    #[default]
    Info,
    /// WARN
    Warn,
    /// ERROR
    Error,
}

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

/// Low-level settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advanced {
    /// `child-first` or `parent-first`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classloader_resolve_order: Option<ClassloaderResolveOrder>,
    /// Whether user-code classloaders are cached between jobs of the cluster (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classloader_cache_mode: Option<ClassloaderCacheMode>,
    /// Network buffer flush timeout, a duration such as `100ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_buffer_timeout: Option<String>,
    /// TaskManager heap the job needs, e.g. `1g` (informational in session clusters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskmanager_heap_size: Option<String>,
}

/// Class loading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClassloaderResolveOrder {
    /// User classes first.
    ChildFirst,
    /// Flink classes first.
    ParentFirst,
}

/// Classloader caching mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ClassloaderCacheMode {
    /// No caching.
    None,
    /// Cache per job.
    PerJob,
}
