//! The Flink contract: what a [`FlinkApi`] must do as the controller uses it,
//! as Flink 2.3 does it (each assertion was checked against a real 2.3 cluster).
//!
//! It drives a streaming job through its life: a run under a chosen job id (a
//! second run with that id refused), savepoints idempotent per trigger id, a
//! stop-with-savepoint, a restore, cancel, disposal; Flink's refusals (unknown
//! jobs, jars, triggers, a missing restore point that leaves a FAILED job behind);
//! retained checkpoints and a restore from one. Every job it starts is cancelled
//! and every jar it uploads deleted at the end, whatever the outcome.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fjc_core::restore::savepoint_prefix;
use fjc_flink::rest::new_trigger_id;
use fjc_flink::{
    CheckpointStats, DisposalStatus, ExecutionResult, FlinkApi, FlinkError, FlinkJobState, JarId,
    JobId, JobSummary, RunRequest, SavepointStatus,
};

use futures::FutureExt;

use super::{Check, run_all};

/// Makes the run request of the contract's job under a job id, with a name.
pub type RequestFor<'a> = Box<dyn Fn(&JobId, &str) -> RunRequest + 'a>;

/// How to run the Flink contract against one cluster.
pub struct FlinkContract<'a> {
    /// The jar of an endless streaming job with keyed state and operator uids (the
    /// tests' `stream-counter.jar`).
    pub jar: PathBuf,
    /// The run request of that job under job id `id`, named `name` (through
    /// `pipeline.name`); the contract adds `savepoint_path` and settings.
    pub request: RequestFor<'a>,
    /// Start of every job name the contract uses: unique per run, so that runs
    /// sharing a cluster keep apart.
    pub name_prefix: String,
    /// A directory for savepoints taken to a chosen target (`file:///…`), unique
    /// per run.
    pub savepoint_target: String,
    /// Told every job id before its submission (a test can cancel them if it is
    /// killed half-way; the contract cancels them itself at the end).
    pub on_submit: Box<dyn Fn(&JobId) + 'a>,
    /// How long a job or an operation may take to get where it is going.
    pub patience: Duration,
    /// How long to wait between two looks.
    pub poll: Duration,
    /// How old `/jobs/:id/checkpoints` may be: Flink answers it from a cache of
    /// the job's execution graph that lives `web.refresh-interval` (3 s by
    /// default). Zero for a fake.
    pub stats_max_age: Duration,
}

/// Runs the Flink contract against `flink`; panics, naming every failed part,
/// when it is broken. Cancels every job it started and deletes every jar it
/// uploaded before it returns (or panics).
pub async fn flink_contract<F: FlinkApi>(flink: &F, setup: &FlinkContract<'_>) {
    let run = Run {
        flink,
        setup,
        jobs: Mutex::default(),
        jars: Mutex::default(),
    };
    let checks: Vec<Check<'_>> = vec![
        ("the_cluster_describes_itself", Box::pin(cluster(&run))),
        (
            "a_job_lives_under_its_id_through_savepoints_stop_restore_and_cancel",
            Box::pin(lifecycle(&run)),
        ),
        (
            "flink_refuses_what_does_not_exist",
            Box::pin(refusals(&run)),
        ),
        (
            "retained_checkpoints_are_reported_and_restore",
            Box::pin(checkpoints(&run)),
        ),
    ];
    let outcome = AssertUnwindSafe(run_all("flink contract", checks))
        .catch_unwind()
        .await;
    run.clean_up().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// One run of the contract: the cluster, the setup, what to clean up.
struct Run<'a, F> {
    flink: &'a F,
    setup: &'a FlinkContract<'a>,
    jobs: Mutex<Vec<JobId>>,
    jars: Mutex<Vec<JarId>>,
}

fn ok<T, E: std::fmt::Debug>(what: &str, r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e:?}"))
}

fn running(j: &JobSummary) -> bool {
    j.state == FlinkJobState::Running && j.tasks_total > 0 && j.tasks_running == j.tasks_total
}

/// The local path of a `file:` location or directory.
fn local_path(location: &str) -> &str {
    location
        .strip_prefix("file://")
        .or_else(|| location.strip_prefix("file:"))
        .unwrap_or(location)
        .trim_end_matches('/')
}

impl<F: FlinkApi> Run<'_, F> {
    fn name(&self, part: &str) -> String {
        format!("{}-{part}", self.setup.name_prefix)
    }

    fn request(&self, id: &JobId, part: &str) -> RunRequest {
        (self.setup.request)(id, &self.name(part))
    }

    async fn upload(&self) -> JarId {
        let jar = ok(
            "upload the jar",
            self.flink.upload_jar(&self.setup.jar).await,
        );
        self.jars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(jar.clone());
        jar
    }

    /// Submits `request` (its job id chosen), telling the setup first.
    async fn submit(&self, jar: &JarId, request: &RunRequest) -> Result<JobId, FlinkError> {
        if let Some(id) = &request.job_id {
            (self.setup.on_submit)(id);
            self.jobs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id.clone());
        }
        self.flink.run_jar(jar, request).await
    }

    async fn clean_up(&self) {
        let jobs = std::mem::take(&mut *self.jobs.lock().unwrap_or_else(|p| p.into_inner()));
        let jars = std::mem::take(&mut *self.jars.lock().unwrap_or_else(|p| p.into_inner()));
        for id in &jobs {
            let _ = self.flink.cancel(id).await;
        }
        for jar in &jars {
            let _ = self.flink.delete_jar(jar).await;
        }
    }

    /// Polls until `look` gives something; panics after the setup's patience.
    async fn wait<T, Fut>(&self, what: &str, mut look: impl FnMut() -> Fut) -> T
    where
        Fut: Future<Output = Result<Option<T>, String>>,
    {
        let deadline = Instant::now() + self.setup.patience;
        let mut last = String::from("nothing yet");
        loop {
            match look().await {
                Ok(Some(found)) => return found,
                Ok(None) => {}
                Err(seen) => last = seen,
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {:?}; last seen: {last}",
                self.setup.patience
            );
            tokio::time::sleep(self.setup.poll).await;
        }
    }

    /// Waits until `/jobs/overview` shows job `id` as `done` says.
    async fn wait_job(
        &self,
        id: &JobId,
        what: &str,
        done: impl Fn(&JobSummary) -> bool,
    ) -> JobSummary {
        self.wait(&format!("job {id} {what}"), || async {
            let jobs = self.flink.list_jobs().await.map_err(|e| e.to_string())?;
            match jobs.into_iter().find(|j| &j.id == id) {
                Some(j) if done(&j) => Ok(Some(j)),
                Some(j) => Err(format!("{j:?}")),
                None => Err("not listed".into()),
            }
        })
        .await
    }

    /// Waits until a savepoint operation is no longer in progress.
    async fn wait_savepoint(&self, id: &JobId, trigger: &str) -> SavepointStatus {
        self.wait(&format!("savepoint {trigger} of {id}"), || async {
            match self.flink.savepoint_status(id, trigger).await {
                Ok(SavepointStatus::InProgress) => Err("in progress".into()),
                Ok(done) => Ok(Some(done)),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
    }

    async fn savepoint_location(&self, id: &JobId, trigger: &str) -> String {
        match self.wait_savepoint(id, trigger).await {
            SavepointStatus::Completed { location } => location,
            other => panic!("savepoint {trigger} of {id}: {other:?}"),
        }
    }

    async fn wait_disposal(&self, trigger: &str) -> DisposalStatus {
        self.wait(&format!("disposal {trigger}"), || async {
            match self.flink.disposal_status(trigger).await {
                Ok(DisposalStatus::InProgress) => Err("in progress".into()),
                Ok(done) => Ok(Some(done)),
                Err(e) => Err(e.to_string()),
            }
        })
        .await
    }

    async fn checkpoints(&self, id: &JobId) -> CheckpointStats {
        ok(
            &format!("checkpoints of {id}"),
            self.flink.checkpoints(id).await,
        )
    }

    /// Waits until the job's checkpoint statistics (which may lag, see
    /// [`FlinkContract::stats_max_age`]) satisfy `done`.
    async fn wait_stats(
        &self,
        id: &JobId,
        what: &str,
        done: impl Fn(&CheckpointStats) -> bool,
    ) -> CheckpointStats {
        self.wait(&format!("checkpoints of {id}: {what}"), || async {
            let stats = self
                .flink
                .checkpoints(id)
                .await
                .map_err(|e| e.to_string())?;
            if done(&stats) {
                Ok(Some(stats))
            } else {
                Err(format!("{stats:?}"))
            }
        })
        .await
    }

    /// A run request of the contract's job restoring from `from`.
    fn restoring(&self, id: &JobId, part: &str, from: &str) -> RunRequest {
        RunRequest {
            savepoint_path: Some(from.to_string()),
            ..self.request(id, part)
        }
    }

    /// A run restoring from `from` is refused because it is not there, and
    /// leaves a FAILED job with no tasks under its id, as Flink 2.3 does.
    async fn refused_restore(&self, jar: &JarId, part: &str, from: &str) {
        let id = JobId::random();
        let err = self
            .submit(jar, &self.restoring(&id, part, from))
            .await
            .unwrap_err();
        let FlinkError::BadRequest { message } = &err else {
            panic!("restore from missing {from}: expected a bad request, got {err:?}");
        };
        assert!(
            message.contains("Cannot find checkpoint or savepoint"),
            "{message}"
        );
        assert!(
            !message.contains('\n') && message.len() < 600,
            "{message:?}"
        );
        let job = self
            .wait_job(&id, "FAILED", |j| j.state == FlinkJobState::Failed)
            .await;
        assert_eq!(job.tasks_total, 0, "{job:?}");
        let cause = ok("failure cause", self.flink.job_failure_cause(&id).await);
        assert!(
            cause
                .as_deref()
                .is_some_and(|c| c.contains("Cannot find checkpoint or savepoint")),
            "{cause:?}"
        );
        match ok(
            "execution result",
            self.flink.job_execution_result(&id).await,
        ) {
            Some(ExecutionResult {
                state: FlinkJobState::Failed,
                cause: Some(cause),
            }) => assert!(cause.contains("Could not start the JobMaster"), "{cause}"),
            other => panic!("execution result of {id}: {other:?}"),
        }
        // ...so the same id cannot be submitted again, restore point or not.
        let again = self.submit(jar, &self.request(&id, part)).await;
        assert_eq!(
            again,
            Err(FlinkError::DuplicateJob {
                job: id.to_string()
            })
        );
    }
}

/// `/overview` and `/jobmanager/config`.
async fn cluster<F: FlinkApi>(run: &Run<'_, F>) {
    let overview = ok("overview", run.flink.cluster_overview().await);
    assert!(overview.taskmanagers >= 1, "{overview:?}");
    assert!(overview.slots_total >= 1, "{overview:?}");
    assert!(
        overview.slots_available <= overview.slots_total,
        "{overview:?}"
    );
    assert!(!overview.flink_version.is_empty(), "{overview:?}");
    let config = ok("config", run.flink.cluster_config().await);
    let has = |keys: &[&str]| {
        keys.iter()
            .any(|k| config.get(*k).is_some_and(|v| !v.is_empty()))
    };
    assert!(
        has(&["execution.checkpointing.dir", "state.checkpoints.dir"]),
        "no checkpoint directory in {config:?}"
    );
    assert!(
        has(&[
            "execution.checkpointing.savepoint-dir",
            "state.savepoints.dir"
        ]),
        "no savepoint directory in {config:?}"
    );
}

async fn lifecycle<F: FlinkApi>(run: &Run<'_, F>) {
    let flink = run.flink;
    let jar = run.upload().await;
    let file = run
        .setup
        .jar
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert!(jar.0.ends_with(&format!("_{file}")), "{jar} for {file}");

    // A run under the chosen id, RUNNING with all its tasks.
    let id = JobId::random();
    let request = run.request(&id, "life");
    assert_eq!(ok("run", run.submit(&jar, &request).await), id);
    let job = run.wait_job(&id, "RUNNING", running).await;
    assert_eq!(job.name, run.name("life"));
    assert_eq!(job.end_time_ms, -1);
    assert!(job.start_time_ms > 0, "{job:?}");
    let details = ok("job", flink.job(&id).await);
    assert_eq!(details.name, run.name("life"));
    assert_eq!(details.state, FlinkJobState::Running);
    assert!(details.tasks_total > 0 && details.tasks_running == details.tasks_total);
    assert_eq!(ok("cause", flink.job_failure_cause(&id).await), None);
    assert_eq!(ok("result", flink.job_execution_result(&id).await), None);

    // The same id again: refused, and the job is still the only one under it.
    let again = run.submit(&jar, &request).await;
    assert_eq!(
        again,
        Err(FlinkError::DuplicateJob {
            job: id.to_string()
        })
    );
    let same: Vec<JobSummary> = ok("list", flink.list_jobs().await)
        .into_iter()
        .filter(|j| j.id == id)
        .collect();
    assert_eq!(same.len(), 1, "{same:?}");
    assert_eq!(same[0].state, FlinkJobState::Running);

    // A savepoint to the cluster's directory; a retried trigger is the same one.
    let t1 = new_trigger_id();
    ok("savepoint", flink.trigger_savepoint(&id, None, &t1).await);
    ok(
        "savepoint again",
        flink.trigger_savepoint(&id, None, &t1).await,
    );
    let first = run.savepoint_location(&id, &t1).await;
    assert!(
        first.starts_with("file:/") || first.contains("://"),
        "{first}"
    );
    assert!(first.contains(&savepoint_prefix(&id)), "{first}");
    // Asked again, and triggered again after it completed: still that one.
    ok(
        "savepoint once more",
        flink.trigger_savepoint(&id, None, &t1).await,
    );
    assert_eq!(
        ok("status", flink.savepoint_status(&id, &t1).await),
        SavepointStatus::Completed {
            location: first.clone()
        }
    );
    // A trigger id is one operation of the job: a stop under it is that savepoint
    // again, and the job keeps running.
    ok(
        "stop under t1",
        flink.stop_with_savepoint(&id, None, &t1).await,
    );
    assert_eq!(
        ok("status", flink.savepoint_status(&id, &t1).await),
        SavepointStatus::Completed {
            location: first.clone()
        }
    );
    assert_eq!(
        ok("job", flink.job(&id).await).state,
        FlinkJobState::Running
    );
    let is = |location: &str| {
        let location = location.to_string();
        move |s: &CheckpointStats| {
            s.latest_savepoint
                .as_ref()
                .is_some_and(|p| p.external_path.as_deref() == Some(location.as_str()))
        }
    };
    let stats = run.wait_stats(&id, "the first savepoint", is(&first)).await;
    let Some(latest) = stats.latest_savepoint.clone() else {
        panic!("no latest savepoint in {stats:?}");
    };
    assert!(latest.is_savepoint, "{stats:?}");
    assert!(latest.completed_at.is_some_and(|t| t > 0), "{stats:?}");
    // Savepoints count among the completed checkpoints.
    assert!(stats.counts.completed >= 1, "{stats:?}");
    // Unknown and malformed trigger ids.
    let unknown = flink.savepoint_status(&id, &new_trigger_id()).await;
    assert!(
        matches!(unknown, Err(FlinkError::NotFound { .. })),
        "{unknown:?}"
    );
    for bad in ["", "xyz", "0123456789abcdef0123456789abcdeg"] {
        let err = flink.savepoint_status(&id, bad).await;
        assert!(
            matches!(err, Err(FlinkError::BadRequest { .. })),
            "{bad:?}: {err:?}"
        );
        let err = flink.trigger_savepoint(&id, None, bad).await;
        assert!(
            matches!(err, Err(FlinkError::BadRequest { .. })),
            "{bad:?}: {err:?}"
        );
    }

    // Stop with a savepoint to a chosen directory: the job ends FINISHED.
    let t2 = new_trigger_id();
    let target = run.setup.savepoint_target.as_str();
    ok(
        "stop",
        flink.stop_with_savepoint(&id, Some(target), &t2).await,
    );
    ok(
        "stop again",
        flink.stop_with_savepoint(&id, Some(target), &t2).await,
    );
    let second = run.savepoint_location(&id, &t2).await;
    assert_ne!(second, first);
    assert!(
        second.contains(local_path(target)),
        "{second} not in {target}"
    );
    assert!(second.contains(&savepoint_prefix(&id)), "{second}");
    run.wait_job(&id, "FINISHED", |j| j.state == FlinkJobState::Finished)
        .await;
    assert_eq!(
        ok("result", flink.job_execution_result(&id).await),
        Some(ExecutionResult {
            state: FlinkJobState::Finished,
            cause: None
        })
    );
    run.wait_stats(&id, "the stop-savepoint", is(&second)).await;
    // Nothing to cancel.
    assert_eq!(
        flink.cancel(&id).await,
        Err(FlinkError::AlreadyTerminal {
            job: id.to_string()
        })
    );
    // A savepoint of an ended job is accepted, and fails.
    let t3 = new_trigger_id();
    ok(
        "savepoint of a finished job",
        flink.trigger_savepoint(&id, None, &t3).await,
    );
    match run.wait_savepoint(&id, &t3).await {
        SavepointStatus::Failed { cause } => {
            assert!(cause.contains("Could not find Flink job"), "{cause}");
        }
        other => panic!("savepoint of a finished job: {other:?}"),
    }

    // Restored from the stop-savepoint under a new id; Flink says from where.
    let restored = JobId::random();
    let request = run.restoring(&restored, "life-restored", &second);
    assert_eq!(ok("restore", run.submit(&jar, &request).await), restored);
    run.wait_job(&restored, "RUNNING", running).await;
    let stats = run
        .wait_stats(&restored, "restored", |s| s.latest_restored.is_some())
        .await;
    assert_eq!(stats.counts.restored, 1, "{stats:?}");
    let Some(from) = stats.latest_restored else {
        panic!("not reported as restored: {stats:?}");
    };
    assert_eq!(from.external_path.as_deref(), Some(second.as_str()));
    assert!(from.is_savepoint);

    // Cancel: CANCELED; cancelling it again is fine (only a job that ended
    // otherwise, FINISHED or FAILED, has nothing to cancel).
    ok("cancel", flink.cancel(&restored).await);
    run.wait_job(&restored, "CANCELED", |j| {
        j.state == FlinkJobState::Canceled
    })
    .await;
    assert_eq!(
        ok("result", flink.job_execution_result(&restored).await),
        Some(ExecutionResult {
            state: FlinkJobState::Canceled,
            cause: None
        })
    );
    ok("cancel again", flink.cancel(&restored).await);
    let job = ok("job", flink.job(&restored).await);
    assert_eq!(job.state, FlinkJobState::Canceled);

    // Disposal: the first savepoint is gone afterwards, and a restore from it is
    // refused; disposing of it again fails.
    let trigger = ok("dispose", flink.dispose_savepoint(&first).await);
    assert_eq!(run.wait_disposal(&trigger).await, DisposalStatus::Done);
    run.refused_restore(&jar, "life-disposed", &first).await;
    let trigger = ok("dispose again", flink.dispose_savepoint(&first).await);
    match run.wait_disposal(&trigger).await {
        DisposalStatus::Failed { cause } => {
            assert!(
                cause.contains("Cannot find checkpoint or savepoint"),
                "{cause}"
            );
        }
        other => panic!("disposal of a disposed savepoint: {other:?}"),
    }

    // A deleted jar runs nothing; deleting it twice is fine.
    ok("delete jar", flink.delete_jar(&jar).await);
    ok("delete jar again", flink.delete_jar(&jar).await);
    let gone = JobId::random();
    match run.submit(&jar, &run.request(&gone, "life-no-jar")).await {
        Err(FlinkError::Server {
            status: 500,
            message,
        }) => {
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("run of a deleted jar: {other:?}"),
    }
    let listed = ok("list", flink.list_jobs().await);
    assert!(!listed.iter().any(|j| j.id == gone), "{listed:?}");
}

async fn refusals<F: FlinkApi>(run: &Run<'_, F>) {
    let flink = run.flink;
    // A job the cluster does not know.
    let unknown = JobId::random();
    let not_found = FlinkError::NotFound {
        what: format!("job {unknown}"),
    };
    assert_eq!(flink.cancel(&unknown).await, Err(not_found.clone()));
    assert_eq!(flink.job(&unknown).await.unwrap_err(), not_found);
    assert_eq!(flink.checkpoints(&unknown).await.unwrap_err(), not_found);
    assert_eq!(
        flink.job_execution_result(&unknown).await.unwrap_err(),
        not_found
    );
    assert_eq!(
        flink.job_failure_cause(&unknown).await.unwrap_err(),
        not_found
    );
    let status = flink.savepoint_status(&unknown, &new_trigger_id()).await;
    assert!(
        matches!(status, Err(FlinkError::NotFound { .. })),
        "{status:?}"
    );
    // Savepoints of it, with or without a stop, are accepted, and fail.
    for stop in [false, true] {
        let t = new_trigger_id();
        if stop {
            ok(
                "stop unknown",
                flink.stop_with_savepoint(&unknown, None, &t).await,
            );
        } else {
            ok(
                "savepoint unknown",
                flink.trigger_savepoint(&unknown, None, &t).await,
            );
        }
        match run.wait_savepoint(&unknown, &t).await {
            SavepointStatus::Failed { cause } => {
                assert!(cause.contains("Could not find Flink job"), "{cause}");
            }
            other => panic!("savepoint of an unknown job (stop: {stop}): {other:?}"),
        }
    }
    // An unknown disposal trigger.
    let disposal = flink.disposal_status(&new_trigger_id()).await;
    assert!(
        matches!(disposal, Err(FlinkError::NotFound { .. })),
        "{disposal:?}"
    );

    // Jars: a missing file is a local error; an unknown jar is Flink's 500.
    let missing = Path::new("/nonexistent-fjc-contract/none.jar");
    let err = flink.upload_jar(missing).await.unwrap_err();
    assert!(matches!(err, FlinkError::LocalIo { .. }), "{err:?}");
    let nosuch = JarId(format!("{}_nosuch.jar", JobId::random()));
    ok("delete unknown jar", flink.delete_jar(&nosuch).await);
    let id = JobId::random();
    match run.submit(&nosuch, &run.request(&id, "refused")).await {
        Err(FlinkError::Server {
            status: 500,
            message,
        }) => {
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("run of an unknown jar: {other:?}"),
    }

    // A restore point that was never there.
    let jar = run.upload().await;
    let missing = format!(
        "{}/no-such-savepoint-{}",
        run.setup.savepoint_target.trim_end_matches('/'),
        JobId::random()
    );
    run.refused_restore(&jar, "missing", &missing).await;
}

async fn checkpoints<F: FlinkApi>(run: &Run<'_, F>) {
    let flink = run.flink;
    let jar = run.upload().await;
    let id = JobId::random();
    let mut request = run.request(&id, "checkpoints");
    request.flink_configuration.extend([
        (
            "execution.checkpointing.interval".to_string(),
            "1 s".to_string(),
        ),
        (
            "execution.checkpointing.externalized-checkpoint-retention".to_string(),
            "RETAIN_ON_CANCELLATION".to_string(),
        ),
    ]);
    assert_eq!(ok("run", run.submit(&jar, &request).await), id);
    run.wait_job(&id, "RUNNING", running).await;
    let marker = format!("/{id}/chk-");
    let latest = run
        .wait(&format!("a completed checkpoint of {id}"), || async {
            let stats = flink.checkpoints(&id).await.map_err(|e| e.to_string())?;
            Ok(stats.latest_completed.filter(|c| {
                c.external_path
                    .as_deref()
                    .is_some_and(|p| p.contains(&marker))
            }))
        })
        .await;
    assert!(!latest.is_savepoint, "{latest:?}");
    assert!(latest.completed_at.is_some_and(|t| t > 0), "{latest:?}");
    let stats = run.checkpoints(&id).await;
    assert!(stats.counts.completed >= 1, "{stats:?}");
    assert_eq!(stats.counts.restored, 0, "{stats:?}");
    assert_eq!(stats.latest_restored, None);

    // Cancelled, the job keeps its newest checkpoint (retained on cancellation),
    // and a new job restores from it.
    ok("cancel", flink.cancel(&id).await);
    run.wait_job(&id, "CANCELED", |j| j.state == FlinkJobState::Canceled)
        .await;
    // Statistics from before the end may name a checkpoint since subsumed.
    tokio::time::sleep(run.setup.stats_max_age).await;
    let stats = run.checkpoints(&id).await;
    let Some(kept) = stats.latest_completed.and_then(|c| c.external_path) else {
        panic!("no checkpoint of the cancelled job {id}");
    };
    assert!(kept.contains(&marker), "{kept}");
    let restored = JobId::random();
    let request = run.restoring(&restored, "checkpoints-restored", &kept);
    assert_eq!(ok("restore", run.submit(&jar, &request).await), restored);
    run.wait_job(&restored, "RUNNING", running).await;
    let stats = run
        .wait_stats(&restored, "restored", |s| s.latest_restored.is_some())
        .await;
    assert_eq!(stats.counts.restored, 1, "{stats:?}");
    let Some(from) = stats.latest_restored else {
        panic!("not reported as restored: {stats:?}");
    };
    assert_eq!(from.external_path.as_deref(), Some(kept.as_str()));
    // Flink 2.3 reports a restore through `savepointPath` as one from a
    // savepoint, a retained checkpoint's too.
    assert!(from.is_savepoint, "{from:?}");
    ok("cancel", flink.cancel(&restored).await);
}
