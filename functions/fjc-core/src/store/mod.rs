//! The store port: specs, job states and the reconcile lease, every change a
//! conditional write.

use std::future::Future;

use thiserror::Error;

use crate::clock::EpochMs;
use crate::runs::Run;
use crate::state::JobState;

pub use fjc_domain::runs::RunWrite;

pub use fjc_domain::record::{ArtifactRefusal, ArtifactTrust, AuditEntry, SpecRecord};

/// Proof of holding the reconcile lease; every state write is fenced by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseGrant {
    /// Lease name (one per shard).
    pub name: String,
    /// Holder id.
    pub owner: String,
    /// Fencing token, incremented at every acquisition.
    pub token: u64,
    /// Expiry, epoch ms.
    pub expires_at: EpochMs,
}

/// Who holds a lease when we could not get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseHolder {
    /// Holder id.
    pub owner: String,
    /// Expiry, epoch ms.
    pub expires_at: EpochMs,
}

/// Result of trying to take the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    /// We hold it.
    Acquired(LeaseGrant),
    /// Someone else does.
    Held(LeaseHolder),
}

/// Counts of store calls, for reports, tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Read requests (each page counts).
    pub reads: u64,
    /// Write requests (put, update, delete, transaction).
    pub writes: u64,
}

/// Store errors.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum StoreError {
    /// A conditional write lost: the item changed since it was read.
    #[error("{what} was changed by someone else (expected version {expected}); re-read and retry")]
    Conflict {
        /// Which item.
        what: String,
        /// The version we expected.
        expected: u64,
    },
    /// Our lease token is stale: another reconciler took over.
    #[error("lease {name} was taken over (our token {token} is stale); write refused")]
    LeaseLost {
        /// Lease name.
        name: String,
        /// Our token.
        token: u64,
    },
    /// The table does not exist.
    #[error("table {table} does not exist (run `fjc bootstrap`)")]
    NoTable {
        /// Table name.
        table: String,
    },
    /// Throttled or temporarily unavailable.
    #[error("store unavailable: {message}")]
    Unavailable {
        /// What the service said.
        message: String,
    },
    /// An item could not be decoded.
    #[error("stored item {item} is unreadable: {reason}")]
    Corrupt {
        /// Which item.
        item: String,
        /// Why.
        reason: String,
    },
    /// A whole-fleet cycle was asked for while the fleet is sharded.
    #[error(
        "reconcile.shards is {shards}: a cycle covers one shard (reconcile each shard, or invoke without a shard to fan out)"
    )]
    Sharded {
        /// The configured shard count.
        shards: u32,
    },
    /// Anything else the service refused.
    #[error("store request failed: {message}")]
    Other {
        /// What the service said.
        message: String,
    },
}

impl StoreError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable { .. } | StoreError::Conflict { .. }
        )
    }

    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Conflict { .. } => "conflict",
            StoreError::LeaseLost { .. } => "lease_lost",
            StoreError::NoTable { .. } => "no_table",
            StoreError::Unavailable { .. } => "unavailable",
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::Sharded { .. } => "sharded",
            StoreError::Other { .. } => "other",
        }
    }
}

/// The specs: what each job should be, with the artifact index (which jobs use
/// an artifact) and the latest upload event of each artifact. Writing a spec also
/// writes its audit entry, in the same transaction.
pub trait SpecStore: Send + Sync {
    /// Every spec (all pages).
    fn list_specs(&self) -> impl Future<Output = Result<Vec<SpecRecord>, StoreError>> + Send;
    /// The specs of one shard (one key range; every spec for the whole fleet).
    fn list_specs_in(
        &self,
        shard: crate::shard::Shard,
    ) -> impl Future<Output = Result<Vec<SpecRecord>, StoreError>> + Send;
    /// One spec.
    fn get_spec(
        &self,
        job_id: &str,
    ) -> impl Future<Output = Result<Option<SpecRecord>, StoreError>> + Send;
    /// Creates (`record.version == 0`) or replaces the spec at `record.version`,
    /// together (one transaction) with its artifact index item (moved from
    /// `old_artifact` when the path changed) and an audit entry; returns the new
    /// version.
    fn put_spec(
        &self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Deletes the spec if it is still at `record.version`, with its index item,
    /// recording `audit`.
    fn delete_spec(
        &self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Job ids of the specs whose `artifact_path` is `path`.
    fn jobs_for_artifact(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Records `token` as the latest upload event of `path` (last writer wins).
    fn mark_artifact_event(
        &self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The latest upload event token of `path`.
    fn artifact_event_token(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
}

/// Job state and the lease: what each job is (state items and the runs of batch
/// jobs), the run requests of `fjc run`, and the lease every state write is
/// fenced by.
pub trait StateStore: Send + Sync {
    /// Every job state (all pages).
    fn list_states(&self) -> impl Future<Output = Result<Vec<JobState>, StoreError>> + Send;
    /// The job states of one shard.
    fn list_states_in(
        &self,
        shard: crate::shard::Shard,
    ) -> impl Future<Output = Result<Vec<JobState>, StoreError>> + Send;
    /// Creates (`state.version == 0`) or replaces the state at `state.version`,
    /// only while `lease` is current; returns the new version.
    fn put_state(
        &self,
        state: &JobState,
        lease: &LeaseGrant,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        self.commit(state, &[], lease)
    }
    /// Like [`StateStore::put_state`], with run-item changes in the same transaction.
    fn commit(
        &self,
        state: &JobState,
        runs: &[RunWrite],
        lease: &LeaseGrant,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// A job's runs, oldest first.
    fn list_runs(&self, job_id: &str) -> impl Future<Output = Result<Vec<Run>, StoreError>> + Send;
    /// Records a request to start a run now (`fjc run`); a newer request replaces
    /// an unhandled older one.
    fn request_run(
        &self,
        job_id: &str,
        at: EpochMs,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Pending run requests by job id.
    fn list_run_requests(
        &self,
    ) -> impl Future<Output = Result<std::collections::BTreeMap<String, EpochMs>, StoreError>> + Send;
    /// Deletes the state if it is still at `version`, only while `lease` is current.
    fn delete_state(
        &self,
        job_id: &str,
        version: u64,
        lease: &LeaseGrant,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Takes the lease if free, expired, or already ours; bumps the fencing token.
    fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        ttl_ms: i64,
        now: EpochMs,
    ) -> impl Future<Output = Result<LeaseOutcome, StoreError>> + Send;
    /// Extends a lease we hold to `expires_at` without changing its fencing token;
    /// `false` when it is no longer ours (taken over after it expired).
    fn renew_lease(
        &self,
        lease: &LeaseGrant,
        expires_at: EpochMs,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Gives the lease back (only if still ours).
    fn release_lease(
        &self,
        lease: &LeaseGrant,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Control items: the cluster breakers, the heartbeat and pending operator
/// commands.
pub trait ControlStore: Send + Sync {
    /// Records an operator command (`fjc restart|savepoint|rollback`) together
    /// (one transaction) with its audit entry; a newer request of the same kind
    /// replaces an unhandled older one.
    fn request_command(
        &self,
        job_id: &str,
        command: crate::revisions::Command,
        at: EpochMs,
        audit: &AuditEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Pending commands by job id.
    fn list_commands(
        &self,
    ) -> impl Future<
        Output = Result<std::collections::BTreeMap<String, crate::revisions::Commands>, StoreError>,
    > + Send;
    /// The control items: cluster breakers and the heartbeat (one query).
    fn control(&self) -> impl Future<Output = Result<crate::health::Control, StoreError>> + Send;
    /// Writes a cluster's breaker if it is still at its version; the new version
    /// ([`StoreError::Conflict`] when another reconciler wrote it first).
    fn put_breaker(
        &self,
        breaker: &crate::breaker::Breaker,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Writes the heartbeat (last writer wins).
    fn put_heartbeat(
        &self,
        heartbeat: &crate::health::Heartbeat,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// History: a job's revisions (the specs it ran, for rollbacks) and its audit
/// entries.
pub trait HistoryStore: Send + Sync {
    /// A job's audit entries, oldest first.
    fn list_audit(
        &self,
        job_id: &str,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;
    /// Writes a revision (idempotent: the same number overwrites).
    fn put_revision(
        &self,
        revision: &crate::revisions::Revision,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A job's revisions, oldest first.
    fn list_revisions(
        &self,
        job_id: &str,
    ) -> impl Future<Output = Result<Vec<crate::revisions::Revision>, StoreError>> + Send;
    /// Deletes revision `number` of a job.
    fn delete_revision(
        &self,
        job_id: &str,
        number: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Where specs, states and the lease live: every concern of the table, plus call
/// counts. Code that needs one concern only may take the narrow trait
/// ([`SpecStore`], [`StateStore`], [`ControlStore`], [`HistoryStore`]); the
/// engine takes `Store`. A method is called through the trait that declares it,
/// so callers import that trait (or [`prelude`]), also when they hold a
/// `P::Store` of a [`crate::context::Ports`].
pub trait Store: SpecStore + StateStore + ControlStore + HistoryStore {
    /// Calls made so far.
    fn stats(&self) -> StoreStats;
}

/// The store traits, to call store methods on a concrete store.
pub mod prelude {
    pub use super::{ControlStore, HistoryStore, SpecStore, StateStore, Store};
}
