//! The snapshot document: the overview ([`Snapshot`]) with the controller's
//! heartbeat, built from a cluster section ([`cluster`]), one row per job
//! ([`job`]) and the per-job detail published on its own ([`detail`]).

mod cluster;
mod detail;
mod health;
mod job;

pub use cluster::*;
pub use detail::*;
pub use health::*;
pub use job::*;

use serde::{Deserialize, Serialize};

use crate::{EpochMs, SCHEMA_VERSION};

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Layout version ([`SCHEMA_VERSION`] when written by this crate).
    pub schema_version: u32,
    /// When the controller built this document.
    pub generated_at: EpochMs,
    /// The controller's heartbeat and last cycle.
    pub controller: Controller,
    /// Every configured cluster a job uses, by name.
    #[serde(default)]
    pub clusters: Vec<ClusterView>,
    /// Every job (spec or recorded state), ordered by namespace then job id.
    #[serde(default)]
    pub jobs: Vec<JobView>,
    /// Flink jobs running on a managed cluster that no job state accounts for.
    #[serde(default)]
    pub orphans: Vec<Orphan>,
}

impl Snapshot {
    /// An empty document at `now` (no clusters, jobs or orphans).
    pub fn empty(now: EpochMs, controller: Controller) -> Snapshot {
        Snapshot {
            schema_version: SCHEMA_VERSION,
            generated_at: now,
            controller,
            clusters: Vec::new(),
            jobs: Vec::new(),
            orphans: Vec::new(),
        }
    }

    /// The document a viewer of `namespace` reads: that namespace's jobs and the
    /// clusters they use, no orphans (a Flink job no state accounts for belongs to
    /// no namespace), and the controller's heartbeat and cycle counts.
    pub fn for_namespace(&self, namespace: &str) -> Snapshot {
        let jobs = self
            .jobs
            .iter()
            .filter(|j| j.namespace == namespace)
            .cloned()
            .collect();
        self.viewing(jobs)
    }

    /// [`Snapshot::for_namespace`] of every namespace of the jobs, in order, from
    /// one pass over the jobs.
    pub fn by_namespace(&self) -> Vec<(String, Snapshot)> {
        let mut jobs: std::collections::BTreeMap<&str, Vec<JobView>> =
            std::collections::BTreeMap::new();
        for j in &self.jobs {
            jobs.entry(j.namespace.as_str())
                .or_default()
                .push(j.clone());
        }
        jobs.into_iter()
            .map(|(ns, jobs)| (ns.to_string(), self.viewing(jobs)))
            .collect()
    }

    /// This document with only `jobs` and the clusters they use, and no orphans.
    fn viewing(&self, jobs: Vec<JobView>) -> Snapshot {
        let clusters = self
            .clusters
            .iter()
            .filter(|c| jobs.iter().any(|j| j.cluster == c.name))
            .cloned()
            .collect();
        Snapshot {
            schema_version: self.schema_version,
            generated_at: self.generated_at,
            controller: self.controller.clone(),
            clusters,
            jobs,
            orphans: Vec::new(),
        }
    }

    /// The same document with the fields that change every cycle (times and cycle
    /// statistics) zeroed: two snapshots with equal `without_heartbeat()` show the
    /// same jobs and clusters, so a publisher need not write again.
    pub fn without_heartbeat(&self) -> Snapshot {
        let mut s = self.clone();
        s.generated_at = 0;
        s.controller.heartbeat_at = 0;
        s.controller.cycle_started_at = 0;
        s.controller.cycle_duration_ms = 0;
        s
    }
}

/// The controller's liveness and its last cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// End of the last cycle reflected here.
    pub heartbeat_at: EpochMs,
    /// Start of that cycle.
    pub cycle_started_at: EpochMs,
    /// Its wall time.
    pub cycle_duration_ms: u64,
    /// How often a cycle is expected to run.
    pub interval_seconds: u64,
    /// The snapshot is rewritten at least this often even when nothing changed, so
    /// the heartbeat may lag by up to this much.
    pub heartbeat_refresh_seconds: u64,
    /// Actions the cycle carried out.
    #[serde(default)]
    pub actions: u32,
    /// Of which failed.
    #[serde(default)]
    pub failed_actions: u32,
    /// Jobs the cycle left waiting (backoff, unreachable cluster, ...).
    #[serde(default)]
    pub waiting: u32,
}

impl Controller {
    /// After how long without a new heartbeat the data counts as stale: the refresh
    /// period plus three cycle intervals (at least one minute).
    pub fn stale_after_ms(&self) -> i64 {
        let secs = self
            .heartbeat_refresh_seconds
            .saturating_add(self.interval_seconds.saturating_mul(3))
            .max(60);
        i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }

    /// Milliseconds since the heartbeat (never negative).
    pub fn heartbeat_age_ms(&self, now: EpochMs) -> i64 {
        now.saturating_sub(self.heartbeat_at).max(0)
    }

    /// Whether the controller has not been heard from for too long.
    pub fn is_stale(&self, now: EpochMs) -> bool {
        self.heartbeat_age_ms(now) > self.stale_after_ms()
    }
}

/// Truncates a message to its first line and at most `max` characters, so an error
/// shown or stored is never a stack trace.
pub fn one_line(message: &str, max: usize) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let mut s: String = line.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
