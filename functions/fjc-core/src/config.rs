//! Controller configuration, in layers: built-in defaults < `config/config.yaml` <
//! `config/config.<env>.yaml` < environment variables. Invalid configuration fails at
//! start with a message naming the file or variable.
//!
//! Environment variables (besides the standard `AWS_*` ones):
//!
//! | variable | meaning |
//! |---|---|
//! | `FJC_ENV` | environment name, selects `config.<env>.yaml` (default `local`) |
//! | `FJC_CONFIG_DIR` | directory of the config files (default `config`) |
//! | `FJC_TABLE` | DynamoDB table |
//! | `FJC_FLINK_URL` | REST URL of the `default` cluster |
//! | `FJC_FLINK_URL_<NAME>` | REST URL of cluster `<name>` (`_` stands for `-`) |
//! | `FJC_ARTIFACT_ROOT` | directories local artifact paths are relative to, joined by `:` |
//! | `FJC_TMP_DIR` | where downloaded artifacts go |
//! | `FJC_LOG_LEVEL` | `error`, `warn`, `info`, `debug`, `trace` |
//! | `FJC_LOG_FORMAT` | `text` or `json` |
//! | `FJC_LEASE_TTL_SECONDS`, `FJC_MAX_CONCURRENCY`, `FJC_CANCEL_WAIT_SECONDS`, `FJC_RECONCILE_INTERVAL_SECONDS` | reconcile tuning |
//! | `FJC_BREAKER_FAILURE_THRESHOLD`, `FJC_BREAKER_OPEN_SECONDS`, `FJC_BREAKER_MAX_OPEN_SECONDS` | per-cluster circuit breaker |
//! | `FJC_OBSERVE` | `overview` (default) or `per-job` cluster observation |
//! | `FJC_HEARTBEAT_SECONDS` | how often a full cycle refreshes the heartbeat |
//! | `FJC_FLINK_RETRY_ATTEMPTS`, `FJC_FLINK_CALL_DEADLINE_SECONDS` | Flink call retries and deadline |
//! | `FJC_DASHBOARD_DIR` / `FJC_DASHBOARD_BUCKET` | publish the dashboard snapshot to a directory / S3 bucket |
//! | `FJC_EVENT_BUS` | EventBridge bus for lifecycle events and alerts |
//! | `FJC_HEALTH_PROBE_BUDGET` | Flink calls a cycle may spend on health signals |

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use layer::{check_shape, decode, merge, read_layer};

mod check;
pub mod dashboard;
mod env;
mod layer;

#[cfg(test)]
mod tests;

/// One Flink session cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// REST base URL, `http://` or `https://`.
    pub url: String,
    /// Secrets Manager id of the cluster's credentials (see
    /// [`crate::flink_auth`]); none means no authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
}

/// Artifact trust and the upload trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArtifactsConfig {
    /// Directories local artifact paths are found in (with `artifact_root`);
    /// a relative `artifact_path` must be below exactly one of them.
    pub roots: Vec<PathBuf>,
    /// Ed25519 public keys (PEM or base64) that may sign artifacts.
    pub trusted_keys: Vec<String>,
    /// Secret holding more trusted keys (PEM blocks, or a JSON list of keys).
    pub trusted_keys_secret: Option<String>,
    /// Uploads of one object within this many seconds lead to one redeploy.
    pub event_debounce_seconds: u64,
    /// The SQL runner jar (`fjc-sql-runner.jar`, built by `sql-runner/build.sh`)
    /// on local disk, submitted for `sql` jobs (`FJC_SQL_RUNNER`).
    pub sql_runner: Option<PathBuf>,
    /// The Python runner jar (`fjc-python-runner.jar`, built by
    /// `python-runner/build.sh`) on local disk, submitted for `python` jobs
    /// (`FJC_PYTHON_RUNNER`).
    pub python_runner: Option<PathBuf>,
}

impl Default for ArtifactsConfig {
    fn default() -> Self {
        ArtifactsConfig {
            roots: Vec::new(),
            trusted_keys: Vec::new(),
            trusted_keys_secret: None,
            event_debounce_seconds: 5,
            sql_runner: None,
            python_runner: None,
        }
    }
}

/// Secret caching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// How long a secret value is reused before it is read again.
    pub cache_ttl_seconds: u64,
    /// Secret name prefixes that `secret://` references in specs may use (empty:
    /// any secret except the controller's own).
    pub spec_secret_prefixes: Vec<String>,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        SecretsConfig {
            cache_ttl_seconds: 300,
            spec_secret_prefixes: Vec::new(),
        }
    }
}

/// Reconcile tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileConfig {
    /// Lease time to live (default 30 s). The holder renews it every third of
    /// that while it works (a Lambda never past its invocation deadline), so it
    /// need not cover a whole cycle: it bounds how long a crashed holder blocks
    /// the next cycle. Safety rests on the fencing token, not on this length.
    pub lease_ttl_seconds: u64,
    /// Actions carried out at once.
    pub max_concurrency: usize,
    /// How long a tick follows the operations in flight, looking at each again
    /// when it asks (e.g. a savepoint in progress, a cancelled job stopping),
    /// before leaving them to the next tick; also how long an old job is given
    /// to end by itself after its stop-savepoint before it is cancelled.
    pub cancel_wait_seconds: u64,
    /// Interval of `fjc reconcile --every` when none is given.
    pub interval_seconds: u64,
    /// First retry delay after a retryable deployment failure (doubles per attempt).
    pub retry_base_seconds: u64,
    /// Upper bound of the retry delay.
    pub retry_max_seconds: u64,
    /// What to do with orphans (jobs on a cluster no state accounts for).
    pub orphan_policy: OrphanPolicy,
    /// How clusters are observed: one `/jobs/overview` per cluster (default), or
    /// one `/jobs/:id` per known job (the Flink Kubernetes Operator's way; kept
    /// for comparison in the scale benchmark).
    pub observe: ObserveMode,
    /// The per-cluster circuit breaker.
    pub breaker: crate::breaker::BreakerConfig,
    /// A full cycle writes the heartbeat (and reads each cluster's `/overview`)
    /// when the stored one is older than this, or a cluster's health changed.
    pub heartbeat_seconds: u64,
    /// How many shards the fleet is split into (1 to 1024; default 1). Each shard
    /// is reconciled by its own invocation under its own lease; see
    /// [`crate::shard`].
    pub shards: u32,
    /// Extra Flink calls a cycle may spend on health signals (checkpoints,
    /// restarts, backpressure) of running stream jobs, beyond its one
    /// `/jobs/overview` per cluster (default 20; 0: no signals, and a rollout is
    /// gated on running with all tasks only). Jobs in a rollout's gate window
    /// come first; the rest take turns.
    pub health_probe_budget: u32,
}

/// How a cycle observes a cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObserveMode {
    /// One `/jobs/overview` per cluster, joined locally.
    #[default]
    Overview,
    /// One `/jobs/:id` per job the store knows (orphans are not seen).
    PerJob,
}

/// What a full reconcile cycle does with orphans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OrphanPolicy {
    /// List them (status, dashboard); never touch them.
    #[default]
    Leave,
    /// Cancel the ones this controller submitted (`pipeline.name` `fjc:…`);
    /// other jobs on the cluster are only listed.
    CancelOwn,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            lease_ttl_seconds: 30,
            max_concurrency: 8,
            cancel_wait_seconds: 30,
            interval_seconds: 30,
            retry_base_seconds: 30,
            retry_max_seconds: 1800,
            orphan_policy: OrphanPolicy::Leave,
            observe: ObserveMode::Overview,
            breaker: Default::default(),
            heartbeat_seconds: 60,
            shards: 1,
            health_probe_budget: 20,
        }
    }
}

/// Flink client tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlinkClientConfig {
    /// TCP connect timeout.
    pub connect_timeout_seconds: u64,
    /// Timeout of every call but uploads.
    pub request_timeout_seconds: u64,
    /// Timeout of a jar upload.
    pub upload_timeout_seconds: u64,
    /// Tries per call for failures that are safe to repeat (1: no retry).
    pub retry_attempts: u32,
    /// Upper bound of the first retry delay (full jitter; doubles per retry).
    pub retry_base_millis: u64,
    /// Upper bound of any retry delay.
    pub retry_max_millis: u64,
    /// A call, every try and delay included, ends within this.
    pub call_deadline_seconds: u64,
}

impl Default for FlinkClientConfig {
    fn default() -> Self {
        FlinkClientConfig {
            connect_timeout_seconds: 5,
            request_timeout_seconds: 30,
            upload_timeout_seconds: 300,
            retry_attempts: 3,
            retry_base_millis: 200,
            retry_max_millis: 2000,
            call_deadline_seconds: 20,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Environment name.
    pub environment: String,
    /// DynamoDB table.
    pub table: String,
    /// Root of local artifact paths (one; `artifacts.roots` may add more).
    pub artifact_root: Option<PathBuf>,
    /// Where downloaded artifacts go.
    pub tmp_dir: PathBuf,
    /// Flink clusters by name.
    pub clusters: BTreeMap<String, ClusterConfig>,
    /// Reconcile tuning.
    pub reconcile: ReconcileConfig,
    /// Flink client tuning.
    pub flink: FlinkClientConfig,
    /// Log level.
    pub log_level: String,
    /// `text` or `json`.
    pub log_format: String,
    /// Where the dashboard snapshot is published.
    pub dashboard: dashboard::DashboardConfig,
    /// Policies by namespace (none: every spec allowed).
    pub namespaces: BTreeMap<String, crate::policy::NamespacePolicy>,
    /// Artifact trust and the upload trigger.
    pub artifacts: ArtifactsConfig,
    /// Secret caching.
    pub secrets: SecretsConfig,
    /// Where lifecycle events and alerts go.
    pub events: EventsConfig,
}

/// Lifecycle events and alerts (see [`crate::events`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// The EventBridge bus (name or ARN) events are put on; none: no events are
    /// made (`FJC_EVENT_BUS`).
    pub bus: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            environment: "local".into(),
            table: "fjc-state".into(),
            artifact_root: None,
            tmp_dir: std::env::temp_dir().join("fjc"),
            clusters: BTreeMap::new(),
            reconcile: ReconcileConfig::default(),
            flink: FlinkClientConfig::default(),
            log_level: "info".into(),
            log_format: "text".into(),
            dashboard: Default::default(),
            namespaces: BTreeMap::new(),
            artifacts: Default::default(),
            secrets: Default::default(),
            events: Default::default(),
        }
    }
}

impl Config {
    /// The local artifact roots: `artifact_root`, then `artifacts.roots`.
    pub fn artifact_roots(&self) -> crate::artifacts::ArtifactRoots {
        crate::artifacts::ArtifactRoots::new(
            self.artifact_root
                .iter()
                .chain(&self.artifacts.roots)
                .cloned(),
        )
    }

    /// Loads from the process environment and the config directory.
    pub fn load() -> Result<Config, CoreError> {
        Config::load_with(|k| std::env::var(k).ok())
    }

    /// Loads with an injected environment lookup (for tests).
    pub fn load_with(env: impl Fn(&str) -> Option<String>) -> Result<Config, CoreError> {
        let environment = env("FJC_ENV").unwrap_or_else(|| "local".into());
        let dir = PathBuf::from(env("FJC_CONFIG_DIR").unwrap_or_else(|| "config".into()));
        let defaults = serde_json::to_value(Config::default())
            .map_err(|e| CoreError::Config(e.to_string()))?;
        let mut merged = defaults.clone();
        for file in [
            dir.join("config.yaml"),
            dir.join(format!("config.{environment}.yaml")),
        ] {
            if let Some(layer) = read_layer(&file)? {
                // Check the layer on its own so an error names its file.
                let name = file.display().to_string();
                check_shape(&defaults, &layer, "")
                    .map_err(|m| CoreError::Config(format!("{name}: {m}")))?;
                let mut alone = defaults.clone();
                merge(&mut alone, layer.clone());
                decode(alone, &name)?
                    .check()
                    .map_err(|e| CoreError::Config(format!("{name}: {e}")))?;
                merge(&mut merged, layer);
            }
        }
        let mut config = decode(merged, "configuration")?;
        config.environment = environment;
        config.apply_env(&env)?;
        config.check()?;
        Ok(config)
    }

    /// The configured cluster, or an error naming the missing setting.
    pub fn cluster(&self, name: &str) -> Result<&ClusterConfig, CoreError> {
        self.clusters.get(name).ok_or_else(|| {
            CoreError::Config(format!(
                "cluster {name:?} is not configured (set FJC_FLINK_URL for `default`, \
                 FJC_FLINK_URL_<NAME>, or clusters.{name}.url in config/config.yaml)"
            ))
        })
    }
}
