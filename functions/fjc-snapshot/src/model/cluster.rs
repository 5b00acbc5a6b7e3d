//! The clusters section of the overview: each cluster's health, slots and circuit
//! breaker, and the Flink jobs on them that no job state accounts for.

use serde::{Deserialize, Serialize};

use crate::EpochMs;

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
