//! What the job asks of the cluster and of Flink at run time: the `resources`,
//! `security` and `advanced` sections.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
