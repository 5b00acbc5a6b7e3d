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

mod checkpoints;
mod lifecycle;
mod refusals;
mod rescale;

use checkpoints::checkpoints;
use lifecycle::lifecycle;
use refusals::refusals;
pub use rescale::rescale_contract;

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
