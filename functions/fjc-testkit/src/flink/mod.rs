//! [`ScriptedFlink`]: a fake for tests, an in-memory Flink session cluster.
//!
//! Here the fake and its shared state; its setup in `setup`, what a test
//! scripts and reads back in `script`, its
//! [`FlinkApi`](fjc_flink::FlinkApi) calls in `api`, the cluster they act on
//! in `model`.

mod api;
mod messages;
mod model;
mod script;
mod setup;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use fjc_core::clock::{Clock, EpochMs};
use fjc_flink::FlinkError;

use model::Cluster;

macro_rules! call_names {
    ($($kind:ident $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        /// Every [`FlinkApi`](fjc_flink::FlinkApi) call by name, as
        /// [`fjc_flink::for_each_flink_call`] lists them: what
        /// [`ScriptedFlink::fail_next`] takes and [`ScriptedFlink::calls`]
        /// reports.
        pub const FLINK_CALLS: &[&str] = &[$(stringify!($name)),*];
    };
}
fjc_flink::for_each_flink_call!(call_names);

/// One call the fake answered: its name (one of [`FLINK_CALLS`]) and what it
/// was about (a job id, jar id, trigger id or location; empty for cluster calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The [`FlinkApi`](fjc_flink::FlinkApi) method.
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

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A failed assertion elsewhere must not poison the fake.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ScriptedFlink {
    fn cluster(&self) -> MutexGuard<'_, Cluster> {
        lock(&self.inner.cluster)
    }

    fn now(&self) -> EpochMs {
        lock(&self.inner.clock).now_ms()
    }
}
