//! Controller health: the heartbeat item a full cycle writes (last successful
//! cycle, each cluster's health and breaker), and the verdict `fjc health` gives.
//! Pure apart from serde.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::breaker::Breaker;
use crate::clock::{EpochMs, rfc3339};

/// One cluster as the last heartbeat saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterHealth {
    /// `/jobs/overview` answered this cycle.
    pub reachable: bool,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
    /// Jobs the cluster reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jobs: Option<usize>,
    /// Task managers registered (from `/overview`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taskmanagers: Option<u32>,
    /// Task slots in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots_total: Option<u32>,
    /// Task slots free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots_free: Option<u32>,
    /// Why it is not healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A canary spec: it must be converged (deployed and running) every cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanaryHealth {
    /// Deployed at the spec's fingerprint and running.
    pub converged: bool,
    /// Lifecycle and the last error, when not converged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The heartbeat item: written by a full reconcile cycle that could read and
/// write the store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// When the cycle ended.
    pub at: EpochMs,
    /// The reconciler (owner id).
    pub owner: String,
    /// The cycle's correlation id (Lambda request id, or generated).
    pub correlation_id: String,
    /// Cycle duration.
    pub cycle_ms: u64,
    /// Specs seen.
    pub specs: usize,
    /// Actions that failed this cycle.
    pub failed_actions: usize,
    /// Every observed cluster.
    pub clusters: BTreeMap<String, ClusterHealth>,
    /// Canary specs by job id.
    #[serde(default)]
    pub canaries: BTreeMap<String, CanaryHealth>,
}

/// What the control partition holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    /// Breakers by cluster.
    pub breakers: BTreeMap<String, Breaker>,
    /// The newest heartbeat.
    pub heartbeat: Option<Heartbeat>,
}

/// `fjc health`'s verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// All good.
    pub healthy: bool,
    /// One line per problem.
    pub problems: Vec<String>,
}

/// Judges the stored control items at `now`: unhealthy when no heartbeat is
/// younger than `stale_after_ms`, a cluster was unreachable or its breaker is
/// open, or a canary is not converged.
pub fn verdict(control: &Control, now: EpochMs, stale_after_ms: i64) -> Verdict {
    let mut problems = Vec::new();
    match &control.heartbeat {
        None => problems.push("no heartbeat: no full reconcile cycle has completed".to_string()),
        Some(h) if now - h.at > stale_after_ms => problems.push(format!(
            "heartbeat stale: last full cycle at {} ({} s ago, limit {} s)",
            rfc3339(h.at),
            (now - h.at) / 1000,
            stale_after_ms / 1000
        )),
        Some(_) => {}
    }
    if let Some(h) = &control.heartbeat {
        for (name, c) in &h.clusters {
            if !c.reachable {
                problems.push(format!(
                    "cluster {name} down: {}",
                    c.error.as_deref().unwrap_or("unreachable")
                ));
            } else if c.taskmanagers == Some(0) {
                problems.push(format!("cluster {name} has no task manager"));
            }
        }
        for (job, c) in &h.canaries {
            if !c.converged {
                problems.push(format!(
                    "canary {job} not converged: {}",
                    c.detail.as_deref().unwrap_or("-")
                ));
            }
        }
    }
    for (name, b) in &control.breakers {
        let reported = control
            .heartbeat
            .as_ref()
            .and_then(|h| h.clusters.get(name))
            .is_some_and(|c| !c.reachable);
        if b.is_open(now) && !reported {
            problems.push(format!("cluster {name}: circuit breaker open"));
        }
    }
    Verdict {
        healthy: problems.is_empty(),
        problems,
    }
}

#[cfg(test)]
mod tests;
