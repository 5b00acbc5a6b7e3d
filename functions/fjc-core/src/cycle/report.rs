//! What a cycle reads before deciding ([`Loaded`]) and everything it did
//! ([`CycleReport`]), for logs, the CLI, the dashboard and tests.

use std::collections::BTreeMap;

use super::ClusterCall;
use crate::clock::EpochMs;
use crate::counted::FlinkStats;
use crate::executor::{ActionReport, Outcome};
use crate::planner::{Observation, Plan};
use crate::state::JobState;
use crate::store::{SpecRecord, StoreStats};

/// What happened to the lease in a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseReport {
    /// Nothing to do, so no lease was taken.
    NotNeeded,
    /// Taken with this fencing token.
    Acquired {
        /// Fencing token.
        token: u64,
    },
    /// Taken, then lost mid-cycle: a write was refused because another
    /// reconciler took over (its token is newer). The cycle stopped there; nothing
    /// it did is unrecorded (every Flink call is preceded by a fenced write).
    Lost {
        /// Our stale token.
        token: u64,
    },
    /// Another reconciler holds it; this cycle did nothing.
    Held {
        /// The holder.
        owner: String,
        /// Until when.
        expires_at: EpochMs,
    },
}

/// Everything a cycle did, for logs, the CLI and tests.
#[derive(Debug, Clone)]
pub struct CycleReport {
    /// Start time.
    pub started_at: EpochMs,
    /// Wall time.
    pub duration_ms: u128,
    /// Specs in scope.
    pub specs: usize,
    /// States in scope.
    pub states: usize,
    /// Per cluster: the number of jobs seen, or why it could not be observed.
    pub clusters: BTreeMap<String, Result<usize, String>>,
    /// The plan acted on (the one made under the lease when one was taken).
    pub plan: Plan,
    /// The lease.
    pub lease: LeaseReport,
    /// Outcomes of the actions.
    pub actions: Vec<ActionReport>,
    /// Store calls this cycle.
    pub store: StoreStats,
    /// Flink calls this cycle.
    pub flink: FlinkStats,
    /// What the cycle loaded (before its actions), for the dashboard snapshot.
    pub loaded: Loaded,
    /// The cycle's correlation id (in every log line of the cycle).
    pub correlation_id: String,
    /// Failed Flink calls this cycle by error class (`timeout`, `server`, …).
    pub flink_errors: BTreeMap<String, u64>,
    /// Each observed cluster's circuit breaker after this cycle.
    pub breakers: BTreeMap<String, crate::breaker::Breaker>,
}

impl CycleReport {
    /// What the dashboard snapshot shows of this cycle.
    pub fn facts(&self) -> fjc_domain::snapshot::CycleFacts<'_> {
        fjc_domain::snapshot::CycleFacts {
            started_at: self.started_at,
            duration_ms: self.duration_ms,
            actions: self.actions.len(),
            failed_actions: self
                .actions
                .iter()
                .filter(|a| matches!(a.outcome, Outcome::Failed(_)))
                .count(),
            waiting: self.plan.skipped.len(),
            clusters: &self.clusters,
            breakers: &self.breakers,
        }
    }

    /// Whether anything went wrong (unreachable cluster, failed action).
    pub fn has_errors(&self) -> bool {
        self.clusters.values().any(Result::is_err)
            || self
                .actions
                .iter()
                .any(|a| matches!(a.outcome, Outcome::Failed(_)))
    }
}

/// What a cycle reads before deciding: stored specs, states and run requests, and
/// one observation per cluster.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Specs by job id.
    pub specs: BTreeMap<String, SpecRecord>,
    /// States by job id.
    pub states: BTreeMap<String, JobState>,
    /// Observations by cluster.
    pub observed: BTreeMap<String, Observation>,
    /// Pending `fjc run` requests by job id.
    pub run_requests: BTreeMap<String, EpochMs>,
    /// Specs held back by policy, with the reason.
    pub held: BTreeMap<String, String>,
    /// Pending operator commands by job id.
    pub commands: BTreeMap<String, crate::revisions::Commands>,
    /// See [`crate::planner::PlanInput::cancel_orphans`].
    pub cancel_orphans: bool,
    /// The stored breakers and heartbeat.
    pub control: crate::health::Control,
    /// How each cluster's observation call went.
    pub calls: BTreeMap<String, ClusterCall>,
    /// This cycle's health probes by job id (taken once per cycle: the look
    /// under the lease keeps the first look's).
    pub probes: BTreeMap<String, crate::signals::Probe>,
    /// Whether health is probed at all (`reconcile.health_probe_budget` > 0).
    pub probing: bool,
}

impl Loaded {
    /// Takes in what a later, maybe narrower, look loaded: its specs and states
    /// by job, its observations by cluster, and the stored control items.
    pub fn overlay(&mut self, later: &Loaded) {
        self.specs.extend(later.specs.clone());
        self.states.extend(later.states.clone());
        self.observed.extend(later.observed.clone());
        self.calls.extend(later.calls.clone());
        self.probes.extend(later.probes.clone());
        self.held.extend(later.held.clone());
        self.control = later.control.clone();
    }
}
