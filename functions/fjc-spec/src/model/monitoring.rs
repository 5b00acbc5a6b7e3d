//! The `monitoring` section: metrics, log level, alerts and canaries. Changing only
//! these never restarts a job.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// How long backpressure must stay over the job's threshold to be sustained
    /// (alerted once per episode), a duration such as `5m` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressure_alert_after: Option<String>,
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
            backpressure_alert_after: None,
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
