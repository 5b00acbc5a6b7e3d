//! A [`FlinkApi`] decorator that counts calls, split into reads and writes, so a
//! cycle report can prove that a steady-state cycle wrote nothing to Flink.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use fjc_flink::{
    CheckpointStats, ClusterOverview, DisposalStatus, ExecutionResult, FlinkApi, FlinkError, JarId,
    JobDetails, JobId, JobSummary, RunRequest, SavepointStatus,
};

/// Flink call counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlinkStats {
    /// GET calls.
    pub reads: u64,
    /// Upload, run, cancel, delete calls.
    pub writes: u64,
}

/// Counts calls to the wrapped client, and failed ones by error class.
#[derive(Debug, Clone)]
pub struct Counted<F> {
    inner: F,
    reads: Arc<AtomicU64>,
    writes: Arc<AtomicU64>,
    errors: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

impl<F> Counted<F> {
    /// Wraps a client.
    pub fn new(inner: F) -> Self {
        Counted {
            inner,
            reads: Arc::default(),
            writes: Arc::default(),
            errors: Arc::default(),
        }
    }

    /// Failed calls so far, by [`FlinkError::kind`].
    pub fn errors(&self) -> BTreeMap<&'static str, u64> {
        self.errors.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Counts the error of a finished call.
    fn seen<T>(&self, r: Result<T, FlinkError>) -> Result<T, FlinkError> {
        if let Err(e) = &r
            && let Ok(mut m) = self.errors.lock()
        {
            *m.entry(e.kind()).or_default() += 1;
        }
        r
    }

    /// Calls so far.
    pub fn stats(&self) -> FlinkStats {
        FlinkStats {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    /// The wrapped client.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn write(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }
}

impl<F: FlinkApi> FlinkApi for Counted<F> {
    async fn cluster_overview(&self) -> Result<ClusterOverview, FlinkError> {
        self.read();
        self.seen(self.inner.cluster_overview().await)
    }
    async fn list_jobs(&self) -> Result<Vec<JobSummary>, FlinkError> {
        self.read();
        self.seen(self.inner.list_jobs().await)
    }
    async fn job(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        self.read();
        self.seen(self.inner.job(id).await)
    }
    async fn job_failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        self.read();
        self.seen(self.inner.job_failure_cause(id).await)
    }
    async fn upload_jar(&self, jar: &Path) -> Result<JarId, FlinkError> {
        self.write();
        self.seen(self.inner.upload_jar(jar).await)
    }
    async fn run_jar(&self, jar: &JarId, request: &RunRequest) -> Result<JobId, FlinkError> {
        self.write();
        self.seen(self.inner.run_jar(jar, request).await)
    }
    async fn delete_jar(&self, jar: &JarId) -> Result<(), FlinkError> {
        self.write();
        self.seen(self.inner.delete_jar(jar).await)
    }
    async fn cancel(&self, id: &JobId) -> Result<(), FlinkError> {
        self.write();
        self.seen(self.inner.cancel(id).await)
    }
    async fn job_execution_result(
        &self,
        id: &JobId,
    ) -> Result<Option<ExecutionResult>, FlinkError> {
        self.read();
        self.seen(self.inner.job_execution_result(id).await)
    }
    async fn stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        self.write();
        self.seen(
            self.inner
                .stop_with_savepoint(id, target_dir, trigger_id)
                .await,
        )
    }
    async fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        self.read();
        self.seen(self.inner.savepoint_status(id, trigger_id).await)
    }
    async fn checkpoints(&self, id: &JobId) -> Result<CheckpointStats, FlinkError> {
        self.read();
        self.seen(self.inner.checkpoints(id).await)
    }
    async fn cluster_config(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, FlinkError> {
        self.read();
        self.seen(self.inner.cluster_config().await)
    }
    async fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        self.write();
        self.seen(
            self.inner
                .trigger_savepoint(id, target_dir, trigger_id)
                .await,
        )
    }
    async fn dispose_savepoint(&self, location: &str) -> Result<String, FlinkError> {
        self.write();
        self.seen(self.inner.dispose_savepoint(location).await)
    }
    async fn disposal_status(&self, trigger_id: &str) -> Result<DisposalStatus, FlinkError> {
        self.read();
        self.seen(self.inner.disposal_status(trigger_id).await)
    }
}
