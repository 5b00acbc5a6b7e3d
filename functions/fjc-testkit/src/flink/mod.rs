//! [`ScriptedFlink`]: a fake for tests, an in-memory Flink session cluster.

mod messages;
mod model;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use fjc_core::clock::{Clock, EpochMs, SystemClock};
use fjc_flink::{
    CheckpointStats, ClusterOverview, DisposalStatus, ExecutionResult, FlinkApi, FlinkError,
    FlinkJobState, JarId, JobDetails, JobId, JobSummary, RunRequest, SavepointStatus,
};

use model::{CHECKPOINT_DIR, Cluster, SAVEPOINT_DIR, Settings};

macro_rules! call_names {
    ($($kind:ident $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        /// Every [`FlinkApi`] call by name, as [`fjc_flink::for_each_flink_call`]
        /// lists them: what [`ScriptedFlink::fail_next`] takes and
        /// [`ScriptedFlink::calls`] reports.
        pub const FLINK_CALLS: &[&str] = &[$(stringify!($name)),*];
    };
}
fjc_flink::for_each_flink_call!(call_names);

/// One call the fake answered: its name (one of [`FLINK_CALLS`]) and what it
/// was about (a job id, jar id, trigger id or location; empty for cluster calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The [`FlinkApi`] method.
    pub name: &'static str,
    /// Its main argument.
    pub subject: String,
}

/// How an injected failure strikes.
#[derive(Debug, Clone)]
enum Injected {
    /// Refused: nothing happens.
    Refused(FlinkError),
    /// Carried out, and the answer lost (a timeout after Flink acted).
    AnswerLost(FlinkError),
}

/// A fake for tests: an in-memory model of a Flink 2.3 session cluster's REST
/// semantics, as the controller uses them. Not Flink: no job code runs.
///
/// It passes the same contract suite ([`crate::contract::flink`]) as the REST
/// adapter against a real Flink 2.3 cluster. What it models:
///
/// - jars: upload (the file must exist, as the adapter reads it; the id is
///   `<uuid>_<name>.jar`), delete (unknown ones too), a run of an unknown jar
///   refused with Flink's HTTP 500;
/// - runs under a controller-chosen job id; a second run with an id the cluster
///   knows (whatever the job's state) is [`FlinkError::DuplicateJob`]. A job is
///   RUNNING with all its tasks (one per unit of parallelism) at once, named by
///   `pipeline.name`;
/// - restores: a run from a `savepointPath` that is not a known restore point is
///   refused ([`FlinkError::BadRequest`], "Cannot find checkpoint or savepoint")
///   and leaves a FAILED job with no tasks under its id, as Flink 2.3 does;
/// - cancel: RUNNING → CANCELED; again is fine; [`FlinkError::AlreadyTerminal`]
///   for a FINISHED or FAILED job, [`FlinkError::NotFound`] for an unknown one;
/// - savepoints and stop-with-savepoint: one operation per job and trigger id
///   (a retried trigger, of either kind, is the same operation); the status says
///   IN_PROGRESS for the first [`with_pending_polls`](Self::with_pending_polls)
///   asks (1 by default), then COMPLETED with
///   `file:/<dir>/savepoint-<first 6 of the job id>-<12 hex>`; a stopped job is
///   then FINISHED. A savepoint of an ended or unknown job is accepted and fails
///   ("Could not find Flink job"), as in Flink;
/// - checkpoints: a RUNNING job whose `execution.checkpointing.interval` is set
///   completes one checkpoint each time its checkpoints are looked at (or when a
///   test calls [`complete_checkpoint`](Self::complete_checkpoint)), at
///   `<checkpoint dir>/<job id>/chk-<n>`; the newest `num-retained` (1) are
///   restore points; when the job ends they are discarded as its
///   `externalized-checkpoint-retention` says (FINISHED: always; CANCELED: unless
///   RETAIN_ON_CANCELLATION; FAILED: only with NO_EXTERNALIZED_CHECKPOINTS, the
///   default);
/// - savepoint disposal (done, or failed for a location that is not there),
///   `/jobs/:id/execution-result`, `/jobs/:id/exceptions`, `/overview`,
///   `/jobmanager/config`;
/// - errors reduced to one line by the adapter's own functions, with the
///   adapter's texts.
///
/// Restore points live in memory, or, [`with_storage`](Self::with_storage), as
/// `_metadata` files on disk where the controller's restore discovery finds them.
///
/// A test scripts what Flink would do by itself: [`finish_job`](Self::finish_job),
/// [`fail_job`](Self::fail_job), [`set_job_state`](Self::set_job_state),
/// [`forget_jobs`](Self::forget_jobs) (a JobManager restart without HA),
/// [`fail_next`](Self::fail_next) and [`lose_next_answer`](Self::lose_next_answer)
/// (a refused call, or one carried out whose answer never came), and reads back
/// [`calls`](Self::calls).
///
/// Not modelled: time (nothing happens unless asked), slots as a limit,
/// INITIALIZING/CREATED/CANCELLING phases, restarts, the job store's expiry, entry
/// classes (any class runs; script a refusal with
/// [`fail_next`](Self::fail_next)). Unlike Flink it never lags: a stopped job is
/// FINISHED when its savepoint completes (Flink: a second or two later), and
/// checkpoint statistics are current (Flink's may be `web.refresh-interval`, 3 s,
/// old); the contract allows for both.
///
/// Clones share the cluster.
#[derive(Clone)]
pub struct ScriptedFlink {
    inner: Arc<Shared>,
}

struct Shared {
    cluster: Mutex<Cluster>,
    clock: Mutex<Arc<dyn Clock>>,
    calls: Mutex<Vec<Call>>,
    injected: Mutex<BTreeMap<&'static str, VecDeque<Injected>>>,
}

impl fmt::Debug for ScriptedFlink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptedFlink")
            .field("jobs", &self.cluster().jobs.len())
            .finish_non_exhaustive()
    }
}

impl Default for ScriptedFlink {
    fn default() -> Self {
        ScriptedFlink::new()
    }
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A failed assertion elsewhere must not poison the fake.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ScriptedFlink {
    /// A cluster of one TaskManager with 8 slots, Flink 2.3.0, checkpoints and
    /// savepoints below `file:///scripted-flink/`, savepoints complete at the
    /// second status ask, the system clock.
    pub fn new() -> ScriptedFlink {
        let config = BTreeMap::from([
            (
                CHECKPOINT_DIR[0].to_string(),
                "file:///scripted-flink/checkpoints".to_string(),
            ),
            (
                SAVEPOINT_DIR[0].to_string(),
                "file:///scripted-flink/savepoints".to_string(),
            ),
            ("parallelism.default".to_string(), "1".to_string()),
            ("taskmanager.numberOfTaskSlots".to_string(), "8".to_string()),
        ]);
        let settings = Settings {
            flink_version: "2.3.0".into(),
            taskmanagers: 1,
            slots_per_taskmanager: 8,
            config,
            pending_polls: 1,
            checkpoint_when_looked_at: true,
            storage: None,
            upload_dir: "/scripted-flink/web-upload/flink-web-upload".into(),
        };
        ScriptedFlink {
            inner: Arc::new(Shared {
                cluster: Mutex::new(Cluster::new(settings)),
                clock: Mutex::new(Arc::new(SystemClock)),
                calls: Mutex::default(),
                injected: Mutex::default(),
            }),
        }
    }

    fn cluster(&self) -> MutexGuard<'_, Cluster> {
        lock(&self.inner.cluster)
    }

    fn now(&self) -> EpochMs {
        lock(&self.inner.clock).now_ms()
    }

    /// How many status asks a savepoint (or disposal) answers IN_PROGRESS before
    /// it completes (0: at the first).
    pub fn with_pending_polls(self, polls: u32) -> ScriptedFlink {
        self.cluster().settings.pending_polls = polls;
        self
    }

    /// Sets a key of the cluster's configuration (`/jobmanager/config`), e.g.
    /// `execution.checkpointing.externalized-checkpoint-retention`.
    pub fn with_config(self, key: &str, value: &str) -> ScriptedFlink {
        self.cluster()
            .settings
            .config
            .insert(key.to_string(), value.to_string());
        self
    }

    /// TaskManagers and slots each (`/overview`).
    pub fn with_taskmanagers(self, taskmanagers: u32, slots_each: u32) -> ScriptedFlink {
        {
            let mut c = self.cluster();
            c.settings.taskmanagers = taskmanagers;
            c.settings.slots_per_taskmanager = slots_each;
            c.settings.config.insert(
                "taskmanager.numberOfTaskSlots".into(),
                slots_each.to_string(),
            );
        }
        self
    }

    /// The version `/overview` reports.
    pub fn with_flink_version(self, version: &str) -> ScriptedFlink {
        self.cluster().settings.flink_version = version.to_string();
        self
    }

    /// Start and end times from `clock` (e.g. the test's `OffsetClock`).
    pub fn with_clock(self, clock: impl Clock + 'static) -> ScriptedFlink {
        *lock(&self.inner.clock) = Arc::new(clock);
        self
    }

    /// Checkpoints and savepoints as directories with a `_metadata` file below
    /// `dir` (`checkpoints/`, `savepoints/`, the cluster's configured
    /// directories): written when taken, deleted when discarded or disposed of,
    /// and a restore needs the file. A test may delete or create them.
    pub fn with_storage(self, dir: impl Into<PathBuf>) -> ScriptedFlink {
        let dir = dir.into();
        {
            let mut c = self.cluster();
            for (keys, sub) in [
                (CHECKPOINT_DIR, "checkpoints"),
                (SAVEPOINT_DIR, "savepoints"),
            ] {
                c.settings.config.insert(
                    keys[0].to_string(),
                    format!("file://{}", dir.join(sub).display()),
                );
            }
            c.settings.storage = Some(dir);
        }
        self
    }

    /// Whether looking at a checkpointing job's checkpoints completes one (on by
    /// default); off, only [`complete_checkpoint`](Self::complete_checkpoint) does.
    pub fn with_checkpoints_when_looked_at(self, on: bool) -> ScriptedFlink {
        self.cluster().settings.checkpoint_when_looked_at = on;
        self
    }

    /// The storage directory, when [`with_storage`](Self::with_storage) set one.
    pub fn storage(&self) -> Option<PathBuf> {
        self.cluster().storage().map(Path::to_path_buf)
    }

    // --- scripting what Flink does by itself ---------------------------------

    /// The job completes (a batch job's end): FINISHED.
    pub fn finish_job(&self, id: &JobId) -> Result<(), FlinkError> {
        let now = self.now();
        self.cluster().set_state(id, FlinkJobState::Finished, now)
    }

    /// The job fails for good with `cause` (an exception line, e.g.
    /// `java.lang.RuntimeException: boom`): FAILED, its exception history and
    /// execution result say `Recovery is suppressed … / Caused by: <cause>`.
    pub fn fail_job(&self, id: &JobId, cause: &str) -> Result<(), FlinkError> {
        let now = self.now();
        let mut c = self.cluster();
        c.job(id)?;
        c.end(
            id,
            FlinkJobState::Failed,
            Some(messages::job_failed(cause)),
            now,
        );
        Ok(())
    }

    /// Puts the job in `state` (RESTARTING, CANCELLING, …; a terminal state ends
    /// it as Flink would).
    pub fn set_job_state(&self, id: &JobId, state: FlinkJobState) -> Result<(), FlinkError> {
        let now = self.now();
        self.cluster().set_state(id, state, now)
    }

    /// A checkpoint of a RUNNING job completes; its location (`None` when the
    /// job is not running or the cluster has no checkpoint directory).
    pub fn complete_checkpoint(&self, id: &JobId) -> Option<String> {
        let now = self.now();
        self.cluster().complete_checkpoint(id, now)
    }

    /// Completes every savepoint still in progress.
    pub fn settle(&self) {
        let now = self.now();
        self.cluster().settle(now);
    }

    /// The JobManager restarts without HA: every job and savepoint operation is
    /// forgotten; jars, checkpoints and savepoints stay.
    pub fn forget_jobs(&self) {
        self.cluster().forget_jobs();
    }

    /// A restore point made elsewhere (another cluster, a copy) exists at
    /// `location` from now on.
    pub fn add_restore_point(&self, location: &str) {
        self.cluster().add_point(location, 0);
    }

    /// The restore point at `location` is lost; whether it existed.
    pub fn remove_restore_point(&self, location: &str) -> bool {
        self.cluster().remove_point(location)
    }

    /// Whether a restore point exists at `location`.
    pub fn has_restore_point(&self, location: &str) -> bool {
        self.cluster().has_point(location)
    }

    /// The next call named `call` (one of [`FLINK_CALLS`]) is refused with
    /// `error` and changes nothing. Several queue up in order. `Err` names an
    /// unknown call.
    pub fn fail_next(&self, call: &str, error: FlinkError) -> Result<(), String> {
        self.inject(call, Injected::Refused(error))
    }

    /// The next call named `call` is carried out, but its answer is `error` (a
    /// timeout after Flink acted: the ambiguous case). `Err` names an unknown call.
    pub fn lose_next_answer(&self, call: &str, error: FlinkError) -> Result<(), String> {
        self.inject(call, Injected::AnswerLost(error))
    }

    fn inject(&self, call: &str, how: Injected) -> Result<(), String> {
        let Some(name) = FLINK_CALLS.iter().find(|n| **n == call) else {
            return Err(format!(
                "no Flink call {call:?}; the calls are {FLINK_CALLS:?}"
            ));
        };
        lock(&self.inner.injected)
            .entry(*name)
            .or_default()
            .push_back(how);
        Ok(())
    }

    // --- reading back ----------------------------------------------------------

    /// Every call answered so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.inner.calls).clone()
    }

    /// The calls answered so far, forgetting them.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *lock(&self.inner.calls))
    }

    /// Every job the cluster knows, newest first.
    pub fn jobs(&self) -> Vec<JobSummary> {
        self.cluster().list()
    }

    /// The uploaded jars.
    pub fn jar_ids(&self) -> Vec<JarId> {
        self.cluster().jar_ids()
    }

    // --- answering -----------------------------------------------------------

    /// Records the call and runs `f` on the cluster, unless a failure was
    /// injected for it.
    fn answer<T>(
        &self,
        name: &'static str,
        subject: impl fmt::Display,
        f: impl FnOnce(&mut Cluster, EpochMs) -> Result<T, FlinkError>,
    ) -> Result<T, FlinkError> {
        lock(&self.inner.calls).push(Call {
            name,
            subject: subject.to_string(),
        });
        let injected = lock(&self.inner.injected)
            .get_mut(name)
            .and_then(VecDeque::pop_front);
        let now = self.now();
        match injected {
            Some(Injected::Refused(e)) => Err(e),
            Some(Injected::AnswerLost(e)) => {
                let _ = f(&mut self.cluster(), now);
                Err(e)
            }
            None => f(&mut self.cluster(), now),
        }
    }
}

impl FlinkApi for ScriptedFlink {
    async fn cluster_overview(&self) -> Result<ClusterOverview, FlinkError> {
        self.answer("cluster_overview", "", |c, _| Ok(c.overview()))
    }

    async fn list_jobs(&self) -> Result<Vec<JobSummary>, FlinkError> {
        self.answer("list_jobs", "", |c, _| Ok(c.list()))
    }

    async fn job(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        self.answer("job", id, |c, _| c.details(id))
    }

    async fn job_failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        self.answer("job_failure_cause", id, |c, _| c.failure_cause(id))
    }

    /// Reads the file's metadata (a missing or odd file is
    /// [`FlinkError::LocalIo`], as in the adapter), not its bytes.
    async fn upload_jar(&self, jar: &Path) -> Result<JarId, FlinkError> {
        let local = |message: String| FlinkError::LocalIo {
            path: jar.display().to_string(),
            message,
        };
        let checked = match tokio::fs::metadata(jar).await {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(_) => Err(local("not a regular file".into())),
            Err(e) => Err(local(e.to_string())),
        };
        let name = fjc_flink::rest::upload_file_name(jar);
        self.answer("upload_jar", jar.display(), |c, _| {
            checked?;
            Ok(c.upload(&name))
        })
    }

    async fn run_jar(&self, jar: &JarId, request: &RunRequest) -> Result<JobId, FlinkError> {
        let subject = request
            .job_id
            .as_ref()
            .map_or_else(|| jar.to_string(), ToString::to_string);
        self.answer("run_jar", subject, |c, now| c.run(jar, request, now))
    }

    async fn delete_jar(&self, jar: &JarId) -> Result<(), FlinkError> {
        self.answer("delete_jar", jar, |c, _| {
            c.delete_jar(jar);
            Ok(())
        })
    }

    async fn cancel(&self, id: &JobId) -> Result<(), FlinkError> {
        self.answer("cancel", id, |c, now| c.cancel(id, now))
    }

    async fn job_execution_result(
        &self,
        id: &JobId,
    ) -> Result<Option<ExecutionResult>, FlinkError> {
        self.answer("job_execution_result", id, |c, _| c.execution_result(id))
    }

    async fn stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        self.answer("stop_with_savepoint", id, |c, _| {
            c.trigger(id, target_dir, trigger_id, true)
        })
    }

    async fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        self.answer("savepoint_status", id, |c, now| {
            c.savepoint_status(id, trigger_id, now)
        })
    }

    async fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        self.answer("trigger_savepoint", id, |c, _| {
            c.trigger(id, target_dir, trigger_id, false)
        })
    }

    async fn dispose_savepoint(&self, location: &str) -> Result<String, FlinkError> {
        self.answer(
            "dispose_savepoint",
            location,
            |c, _| Ok(c.dispose(location)),
        )
    }

    async fn disposal_status(&self, trigger_id: &str) -> Result<DisposalStatus, FlinkError> {
        self.answer("disposal_status", trigger_id, |c, _| {
            c.disposal_status(trigger_id)
        })
    }

    async fn checkpoints(&self, id: &JobId) -> Result<CheckpointStats, FlinkError> {
        self.answer("checkpoints", id, |c, now| c.checkpoints(id, now))
    }

    async fn cluster_config(&self) -> Result<BTreeMap<String, String>, FlinkError> {
        self.answer("cluster_config", "", |c, _| Ok(c.settings.config.clone()))
    }
}
