//! Fault injection for the write-ahead log (a fake by design: a real process kill
//! cannot be aimed between two particular steps). [`CrashStore`] and
//! [`CrashFlink`] pass every call through to the real DynamoDB store and Flink
//! client; after the N-th side effect (a store write or a Flink write) has
//! *happened*, they never return: the cycle hangs there and the test drops it,
//! which is what a process dying right after that step looks like.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::harness::World;
use fjc_core::artifacts::Artifacts;
use fjc_core::clock::{EpochMs, OffsetClock};
use fjc_core::config::ReconcileConfig;
use fjc_core::context::Context;
use fjc_core::flink_auth::AuthedFlink;
use fjc_core::revisions::{Command, Commands, Revision};
use fjc_core::runs::Run;
use fjc_core::shard::Shard;
use fjc_core::state::JobState;
use fjc_core::store::{
    AuditEntry, LeaseGrant, LeaseOutcome, RunWrite, SpecRecord, Store, StoreError, StoreStats,
};
use fjc_core::store::{ControlStore, DynamoStore, HistoryStore, SpecStore, StateStore};
use fjc_core::wiring::RealSecrets;
use fjc_flink::{
    CheckpointStats, ClusterOverview, DisposalStatus, ExecutionResult, FlinkApi, FlinkError, JarId,
    JobDetails, JobId, JobSummary, RunRequest, SavepointStatus,
};

/// Which side effect to die after, and what happened so far.
#[derive(Debug, Default)]
pub struct CrashPlan {
    at: usize,
    count: AtomicUsize,
    crashed: AtomicBool,
    steps: Mutex<Vec<String>>,
    lose_restore_point: AtomicBool,
    savepoints_in_progress: AtomicBool,
    triggered: Mutex<Vec<String>>,
}

impl CrashPlan {
    /// Die right after side effect number `at` (1-based); 0 never dies.
    pub fn new(at: usize) -> Arc<CrashPlan> {
        Arc::new(CrashPlan {
            at,
            ..Default::default()
        })
    }

    /// Makes the first submission that restores from a path find that path gone:
    /// [`CrashFlink`] deletes the directory (a `file:` location) just before it
    /// forwards the run request, as Flink subsuming a checkpoint between the
    /// controller's look at storage and its submission would.
    pub fn lose_first_restore_point(&self) {
        self.lose_restore_point.store(true, Ordering::SeqCst);
    }

    /// While `on`, [`CrashFlink`] answers the status of every savepoint it
    /// triggered with "in progress" without asking Flink, as Flink does while a
    /// savepoint is slow:
    /// the step waits, and gives up at the spec's `savepoint_timeout`, while the
    /// real savepoint completes.
    pub fn slow_savepoints(&self, on: bool) {
        self.savepoints_in_progress.store(on, Ordering::SeqCst);
    }

    /// Whether the crash happened.
    pub fn crashed(&self) -> bool {
        self.crashed.load(Ordering::SeqCst)
    }

    /// The side effects seen, in order.
    pub fn steps(&self) -> Vec<String> {
        self.steps.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Counts a side effect that just happened; never returns if it is the one.
    async fn after(&self, what: &str) {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if let Ok(mut s) = self.steps.lock() {
            s.push(what.to_string());
        }
        if n == self.at {
            self.crashed.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
    }
}

/// A store that dies after a planned write.
pub struct CrashStore<S> {
    /// The real store.
    pub inner: S,
    /// The plan.
    pub plan: Arc<CrashPlan>,
}

impl<S: Store> SpecStore for CrashStore<S> {
    async fn list_specs(&self) -> Result<Vec<SpecRecord>, StoreError> {
        self.inner.list_specs().await
    }
    async fn list_specs_in(&self, shard: Shard) -> Result<Vec<SpecRecord>, StoreError> {
        self.inner.list_specs_in(shard).await
    }
    async fn get_spec(&self, job_id: &str) -> Result<Option<SpecRecord>, StoreError> {
        self.inner.get_spec(job_id).await
    }
    async fn put_spec(
        &self,
        record: &SpecRecord,
        old_artifact: Option<&str>,
        audit: Option<&AuditEntry>,
    ) -> Result<u64, StoreError> {
        self.inner.put_spec(record, old_artifact, audit).await
    }
    async fn delete_spec(
        &self,
        record: &SpecRecord,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        self.inner.delete_spec(record, audit).await
    }
    async fn jobs_for_artifact(&self, path: &str) -> Result<Vec<String>, StoreError> {
        self.inner.jobs_for_artifact(path).await
    }
    async fn mark_artifact_event(
        &self,
        path: &str,
        token: &str,
        at: EpochMs,
    ) -> Result<(), StoreError> {
        self.inner.mark_artifact_event(path, token, at).await
    }
    async fn artifact_event_token(&self, path: &str) -> Result<Option<String>, StoreError> {
        self.inner.artifact_event_token(path).await
    }
}

impl<S: Store> StateStore for CrashStore<S> {
    async fn list_states(&self) -> Result<Vec<JobState>, StoreError> {
        self.inner.list_states().await
    }
    async fn list_states_in(&self, shard: Shard) -> Result<Vec<JobState>, StoreError> {
        self.inner.list_states_in(shard).await
    }
    async fn commit(
        &self,
        state: &JobState,
        runs: &[RunWrite],
        lease: &LeaseGrant,
    ) -> Result<u64, StoreError> {
        let r = self.inner.commit(state, runs, lease).await;
        let op = state.operation.as_ref().map_or("-", |o| o.name());
        self.plan
            .after(&format!("store: state {} ({op})", state.lifecycle.as_str()))
            .await;
        r
    }
    async fn list_runs(&self, job_id: &str) -> Result<Vec<Run>, StoreError> {
        self.inner.list_runs(job_id).await
    }
    async fn request_run(&self, job_id: &str, at: EpochMs) -> Result<(), StoreError> {
        self.inner.request_run(job_id, at).await
    }
    async fn list_run_requests(
        &self,
    ) -> Result<std::collections::BTreeMap<String, EpochMs>, StoreError> {
        self.inner.list_run_requests().await
    }
    async fn delete_state(
        &self,
        job_id: &str,
        version: u64,
        lease: &LeaseGrant,
    ) -> Result<(), StoreError> {
        let r = self.inner.delete_state(job_id, version, lease).await;
        self.plan.after("store: delete state").await;
        r
    }
    async fn acquire_lease(
        &self,
        name: &str,
        owner: &str,
        ttl_ms: i64,
        now: EpochMs,
    ) -> Result<LeaseOutcome, StoreError> {
        let r = self.inner.acquire_lease(name, owner, ttl_ms, now).await;
        self.plan.after("store: acquire lease").await;
        r
    }
    async fn renew_lease(
        &self,
        lease: &fjc_core::store::LeaseGrant,
        expires_at: EpochMs,
    ) -> Result<bool, StoreError> {
        self.inner.renew_lease(lease, expires_at).await
    }
    async fn release_lease(&self, lease: &LeaseGrant) -> Result<(), StoreError> {
        let r = self.inner.release_lease(lease).await;
        self.plan.after("store: release lease").await;
        r
    }
}

impl<S: Store> ControlStore for CrashStore<S> {
    async fn control(&self) -> Result<fjc_core::health::Control, StoreError> {
        self.inner.control().await
    }
    async fn put_breaker(&self, b: &fjc_core::breaker::Breaker) -> Result<u64, StoreError> {
        self.inner.put_breaker(b).await
    }
    async fn put_heartbeat(&self, h: &fjc_core::health::Heartbeat) -> Result<(), StoreError> {
        self.inner.put_heartbeat(h).await
    }
    async fn request_command(
        &self,
        job_id: &str,
        command: Command,
        at: EpochMs,
        audit: &fjc_core::store::AuditEntry,
    ) -> Result<(), StoreError> {
        self.inner.request_command(job_id, command, at, audit).await
    }
    async fn list_commands(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Commands>, StoreError> {
        self.inner.list_commands().await
    }
}

impl<S: Store> HistoryStore for CrashStore<S> {
    async fn list_audit(&self, job_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.list_audit(job_id).await
    }
    async fn put_revision(&self, revision: &Revision) -> Result<(), StoreError> {
        let r = self.inner.put_revision(revision).await;
        self.plan.after("store: revision").await;
        r
    }
    async fn list_revisions(&self, job_id: &str) -> Result<Vec<Revision>, StoreError> {
        self.inner.list_revisions(job_id).await
    }
    async fn delete_revision(&self, job_id: &str, number: u64) -> Result<(), StoreError> {
        self.inner.delete_revision(job_id, number).await
    }
}

impl<S: Store> Store for CrashStore<S> {
    fn stats(&self) -> StoreStats {
        self.inner.stats()
    }
}

/// A Flink client that dies after a planned write call.
pub struct CrashFlink<F> {
    /// The real client.
    pub inner: F,
    /// The plan.
    pub plan: Arc<CrashPlan>,
}

impl<F: FlinkApi> FlinkApi for CrashFlink<F> {
    async fn cluster_overview(&self) -> Result<ClusterOverview, FlinkError> {
        self.inner.cluster_overview().await
    }
    async fn list_jobs(&self) -> Result<Vec<JobSummary>, FlinkError> {
        self.inner.list_jobs().await
    }
    async fn job(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        self.inner.job(id).await
    }
    async fn job_failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        self.inner.job_failure_cause(id).await
    }
    async fn upload_jar(&self, jar: &Path) -> Result<JarId, FlinkError> {
        let r = self.inner.upload_jar(jar).await;
        self.plan.after("flink: upload jar").await;
        r
    }
    async fn run_jar(&self, jar: &JarId, request: &RunRequest) -> Result<JobId, FlinkError> {
        if let Some(path) = &request.savepoint_path
            && self.plan.lose_restore_point.swap(false, Ordering::SeqCst)
        {
            let _ = std::fs::remove_dir_all(crate::harness::on_disk(path));
            if let Ok(mut s) = self.plan.steps.lock() {
                s.push(format!("(restore point {path} lost)"));
            }
        }
        let r = self.inner.run_jar(jar, request).await;
        self.plan.after("flink: run jar").await;
        r
    }
    async fn delete_jar(&self, jar: &JarId) -> Result<(), FlinkError> {
        let r = self.inner.delete_jar(jar).await;
        self.plan.after("flink: delete jar").await;
        r
    }
    async fn cancel(&self, id: &JobId) -> Result<(), FlinkError> {
        let r = self.inner.cancel(id).await;
        self.plan.after("flink: cancel").await;
        r
    }
    async fn job_execution_result(
        &self,
        id: &JobId,
    ) -> Result<Option<ExecutionResult>, FlinkError> {
        self.inner.job_execution_result(id).await
    }
    async fn stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        let r = self
            .inner
            .stop_with_savepoint(id, target_dir, trigger_id)
            .await;
        self.plan.after("flink: stop with savepoint").await;
        r
    }
    async fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        let triggered = self
            .plan
            .triggered
            .lock()
            .is_ok_and(|t| t.iter().any(|x| x == trigger_id));
        if triggered && self.plan.savepoints_in_progress.load(Ordering::SeqCst) {
            return Ok(SavepointStatus::InProgress);
        }
        self.inner.savepoint_status(id, trigger_id).await
    }
    async fn checkpoints(&self, id: &JobId) -> Result<CheckpointStats, FlinkError> {
        self.inner.checkpoints(id).await
    }
    async fn cluster_config(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, FlinkError> {
        self.inner.cluster_config().await
    }
    async fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        let r = self
            .inner
            .trigger_savepoint(id, target_dir, trigger_id)
            .await;
        if let Ok(mut t) = self.plan.triggered.lock() {
            t.push(trigger_id.to_string());
        }
        self.plan.after("flink: trigger savepoint").await;
        r
    }
    async fn dispose_savepoint(&self, location: &str) -> Result<String, FlinkError> {
        let r = self.inner.dispose_savepoint(location).await;
        self.plan.after("flink: dispose savepoint").await;
        r
    }
    async fn disposal_status(&self, trigger_id: &str) -> Result<DisposalStatus, FlinkError> {
        self.inner.disposal_status(trigger_id).await
    }
}

/// The context of a reconciler that fails as `plan` says: the world's real table
/// and cluster behind [`CrashStore`] and [`CrashFlink`], with a lease of
/// `lease_ttl_seconds`.
pub async fn faulty_reconciler(
    w: &World,
    plan: &Arc<CrashPlan>,
    lease_ttl_seconds: u64,
) -> FaultyContext {
    let (store_plan, flink_plan) = (plan.clone(), plan.clone());
    w.reconciler_with(
        |inner, flink| {
            (
                CrashStore {
                    inner,
                    plan: store_plan,
                },
                CrashFlink {
                    inner: flink,
                    plan: flink_plan,
                },
            )
        },
        ReconcileConfig {
            lease_ttl_seconds,
            cancel_wait_seconds: 30,
            ..ReconcileConfig::default()
        },
        "faulty",
    )
    .await
}

/// The context [`faulty_reconciler`] makes.
pub type FaultyContext = Context<(
    CrashStore<DynamoStore>,
    CrashFlink<AuthedFlink<RealSecrets>>,
    Artifacts,
    OffsetClock,
    RealSecrets,
)>;
