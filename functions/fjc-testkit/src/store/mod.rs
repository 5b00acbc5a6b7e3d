//! [`InMemoryStore`]: a fake for tests, in memory, with the same contract as
//! `DynamoStore` (`fjc_aws::dynamo`).

mod size;
mod tables;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use fjc_core::breaker::Breaker;
use fjc_core::clock::EpochMs;
use fjc_core::health::{Control, Heartbeat};
use fjc_core::revisions::{Command, Commands, Revision};
use fjc_core::runs::Run;
use fjc_core::shard::Shard;
use fjc_core::state::JobState;
use fjc_core::store::{
    AuditEntry, LeaseGrant, LeaseOutcome, RunWrite, SpecRecord, Store, StoreError, StoreStats,
};
use fjc_core::store::{ControlStore, HistoryStore, SpecStore, StateStore};

use tables::Tables;

/// A fake for tests: in memory, same contract as
/// `DynamoStore` (`fjc_aws::dynamo`).
///
/// Every rule the DynamoDB adapter enforces with a conditional write holds here
/// too, checked by the same contract suite ([`crate::contract::store`]) that runs
/// against DynamoDB (moto):
///
/// - specs, states and breakers carry optimistic versions: a write at a stale
///   version (or a create of an existing item) is refused with
///   [`StoreError::Conflict`] and changes nothing;
/// - a lease's fencing token grows at every acquisition, and every state write
///   checks it (and the owner) in the same atomic step: a stale holder gets
///   [`StoreError::LeaseLost`]. As in DynamoDB, the check is on the token, not on
///   the lease's expiry;
/// - a state commit and its run writes are one transaction: a run id is recorded
///   once, and a losing commit writes nothing;
/// - DynamoDB's request limits are kept: an item over 400 KB, a transaction of
///   more than 100 items, or two writes of one item in one transaction are
///   refused ([`StoreError::Other`]) before anything is written;
/// - records are stored as JSON and read back from it, as the adapter does;
/// - lists come in key order: specs and states by shard sort key, runs by run id,
///   revisions by number, audit entries by time (entries of the same millisecond
///   in the order written; DynamoDB orders those at random);
/// - [`Store::stats`] counts one read per get and per 1 MiB page of a query (an
///   estimate from the items' sizes), one write per write request, refused ones
///   included.
///
/// Clones share the data, like two adapters on one table.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tables: Mutex<Tables>,
    reads: AtomicU64,
    writes: AtomicU64,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> InMemoryStore {
        InMemoryStore::default()
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        // A panic elsewhere (a failed assertion) must not poison the fake.
        self.inner.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self, pages: u64) {
        self.inner.reads.fetch_add(pages, Ordering::Relaxed);
    }

    fn write(&self) {
        self.inner.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// A write request: counted, then carried out under the lock.
    fn writing<T>(
        &self,
        f: impl FnOnce(&mut Tables) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write();
        f(&mut self.tables())
    }

    /// A query: its result and the pages it took.
    fn querying<T>(&self, f: impl FnOnce(&Tables) -> (T, u64)) -> T {
        let (out, pages) = f(&self.tables());
        self.read(pages);
        out
    }
}

impl SpecStore for InMemoryStore {
    async fn list_specs(&self) -> Result<Vec<SpecRecord>, StoreError> {
        self.list_specs_in(Shard::WHOLE).await
    }

    async fn list_specs_in(&self, shard: Shard) -> Result<Vec<SpecRecord>, StoreError> {
        Ok(self.querying(|t| t.specs_in(shard)))
    }

    async fn get_spec(&self, job_id: &str) -> Result<Option<SpecRecord>, StoreError> {
        self.read(1);
        Ok(self.tables().spec(job_id))
    }

    async fn put_spec(
        &self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, StoreError> {
        self.writing(|t| t.put_spec(record, old_artifact, audit))
    }

    async fn delete_spec(
        &self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        self.writing(|t| t.delete_spec(record, audit))
    }

    async fn jobs_for_artifact(&self, path: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.querying(|t| t.jobs_for_artifact(path)))
    }

    async fn mark_artifact_event(
        &self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> Result<(), StoreError> {
        self.writing(|t| t.mark_artifact_event(path, token, at))
    }

    async fn artifact_event_token(&self, path: &str) -> Result<Option<String>, StoreError> {
        self.read(1);
        Ok(self.tables().artifact_event(path))
    }
}

impl StateStore for InMemoryStore {
    async fn list_states(&self) -> Result<Vec<JobState>, StoreError> {
        self.list_states_in(Shard::WHOLE).await
    }

    async fn list_states_in(&self, shard: Shard) -> Result<Vec<JobState>, StoreError> {
        Ok(self.querying(|t| t.states_in(shard)))
    }

    async fn commit(
        &self,
        state: &JobState,
        runs: &[RunWrite],
        lease: &LeaseGrant,
    ) -> Result<u64, StoreError> {
        self.writing(|t| t.commit(state, runs, lease))
    }

    async fn list_runs(&self, job_id: &str) -> Result<Vec<Run>, StoreError> {
        Ok(self.querying(|t| t.runs(job_id)))
    }

    async fn request_run(&self, job_id: &str, at: EpochMs) -> Result<(), StoreError> {
        self.writing(|t| {
            t.run_requests.insert(job_id.to_string(), at);
            Ok(())
        })
    }

    async fn list_run_requests(&self) -> Result<BTreeMap<String, EpochMs>, StoreError> {
        Ok(self.querying(|t| (t.run_requests.clone(), 1)))
    }

    async fn delete_state(
        &self,
        job_id: &str,
        version: u64,
        lease: &LeaseGrant,
    ) -> Result<(), StoreError> {
        self.writing(|t| t.delete_state(job_id, version, lease))
    }

    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        ttl_ms: i64,
        now: EpochMs,
    ) -> Result<LeaseOutcome, StoreError> {
        self.writing(|t| Ok(t.acquire_lease(name, owner, ttl_ms, now)))
    }

    async fn renew_lease(
        &self,
        lease: &LeaseGrant,
        expires_at: EpochMs,
    ) -> Result<bool, StoreError> {
        self.writing(|t| Ok(t.set_own_lease_expiry(lease, expires_at)))
    }

    async fn release_lease(&self, lease: &LeaseGrant) -> Result<(), StoreError> {
        // `false`: someone else holds it now, nothing of ours to release.
        self.writing(|t| Ok(t.set_own_lease_expiry(lease, 0)).map(|_| ()))
    }
}

impl ControlStore for InMemoryStore {
    async fn request_command(
        &self,
        job_id: &str,
        command: Command,
        at: EpochMs,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.writing(|t| t.request_command(job_id, command, at, audit))
    }

    async fn list_commands(&self) -> Result<BTreeMap<String, Commands>, StoreError> {
        Ok(self.querying(|t| (t.commands.clone(), 1)))
    }

    async fn control(&self) -> Result<Control, StoreError> {
        Ok(self.querying(|t| t.control()))
    }

    async fn put_breaker(&self, breaker: &Breaker) -> Result<u64, StoreError> {
        self.writing(|t| t.put_breaker(breaker))
    }

    async fn put_heartbeat(&self, heartbeat: &Heartbeat) -> Result<(), StoreError> {
        self.writing(|t| t.put_heartbeat(heartbeat))
    }
}

impl HistoryStore for InMemoryStore {
    async fn list_audit(&self, job_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self.querying(|t| t.audit(job_id)))
    }

    async fn put_revision(&self, revision: &Revision) -> Result<(), StoreError> {
        self.writing(|t| t.put_revision(revision))
    }

    async fn list_revisions(&self, job_id: &str) -> Result<Vec<Revision>, StoreError> {
        Ok(self.querying(|t| t.revisions(job_id)))
    }

    async fn delete_revision(&self, job_id: &str, number: u64) -> Result<(), StoreError> {
        self.writing(|t| {
            t.delete_revision(job_id, number);
            Ok(())
        })
    }
}

impl Store for InMemoryStore {
    fn stats(&self) -> StoreStats {
        StoreStats {
            reads: self.inner.reads.load(Ordering::Relaxed),
            writes: self.inner.writes.load(Ordering::Relaxed),
        }
    }
}
