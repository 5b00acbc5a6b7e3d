//! Fault injection for the write-ahead log (a fake by design: a real process kill
//! cannot be aimed between two particular steps). [`CrashStore`] and
//! [`CrashFlink`] pass every call through to the real DynamoDB store and Flink
//! client; after the N-th side effect (a store write or a Flink write) has
//! *happened*, they never return: the cycle hangs there and the test drops it,
//! which is what a process dying right after that step looks like.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::harness::World;
use fjc_aws::artifacts::Artifacts;
use fjc_aws::dynamo::DynamoStore;
use fjc_aws::wiring::RealSecrets;
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
use fjc_core::store::{ControlStore, HistoryStore, SpecStore, StateStore};
use fjc_flink::{FlinkApi, FlinkError, RunRequest, SavepointStatus};

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

impl<F> CrashFlink<F> {
    /// After a read call: nothing to count.
    async fn read(&self, _call: &str) {}

    /// After a write call: counts it as a side effect (`flink: upload jar` for
    /// `upload_jar`); never returns if it is the planned one.
    async fn write(&self, call: &str) {
        self.plan
            .after(&format!("flink: {}", call.replace('_', " ")))
            .await;
    }

    /// Before a run: if planned, deletes the restore point it names (once).
    fn lose_restore_point(&self, request: &RunRequest) {
        if let Some(path) = &request.savepoint_path
            && self.plan.lose_restore_point.swap(false, Ordering::SeqCst)
        {
            let _ = std::fs::remove_dir_all(crate::harness::on_disk(path));
            if let Ok(mut s) = self.plan.steps.lock() {
                s.push(format!("(restore point {path} lost)"));
            }
        }
    }

    /// Notes a savepoint this client triggered.
    fn note_trigger(&self, trigger_id: &str) {
        if let Ok(mut t) = self.plan.triggered.lock() {
            t.push(trigger_id.to_string());
        }
    }

    /// Whether the status of this savepoint is to be answered "in progress"
    /// without asking Flink ([`CrashPlan::slow_savepoints`]).
    fn held_in_progress(&self, trigger_id: &str) -> bool {
        let triggered = self
            .plan
            .triggered
            .lock()
            .is_ok_and(|t| t.iter().any(|x| x == trigger_id));
        triggered && self.plan.savepoints_in_progress.load(Ordering::SeqCst)
    }
}

/// What [`CrashFlink`] does before forwarding a call, for the calls where it
/// does something: lose a restore point before a run, note a triggered
/// savepoint, hold a savepoint's status at "in progress".
macro_rules! crash_before {
    ($self:ident, run_jar($jar:ident, $request:ident)) => {
        $self.lose_restore_point($request)
    };
    ($self:ident, trigger_savepoint($id:ident, $dir:ident, $trigger_id:ident)) => {
        $self.note_trigger($trigger_id)
    };
    ($self:ident, savepoint_status($id:ident, $trigger_id:ident)) => {
        if $self.held_in_progress($trigger_id) {
            return Ok(SavepointStatus::InProgress);
        }
    };
    ($self:ident, $name:ident($($arg:ident),*)) => {};
}

/// `impl FlinkApi for CrashFlink<F>` from the list of calls: the call's own
/// step ([`crash_before!`]), forward, then count a write as a side effect
/// (never returning after the planned one).
macro_rules! crash_calls {
    ($($kind:ident $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl<F: FlinkApi> FlinkApi for CrashFlink<F> {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out, FlinkError> {
                    crash_before!(self, $name($($arg),*));
                    let r = self.inner.$name($($arg),*).await;
                    self.$kind(stringify!($name)).await;
                    r
                }
            )*
        }
    };
}

fjc_flink::for_each_flink_call!(crash_calls);

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
