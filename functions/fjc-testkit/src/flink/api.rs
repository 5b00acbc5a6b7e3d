//! The fake's [`FlinkApi`]: each call recorded, then answered by the model
//! unless a failure was injected for it.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::Path;

use fjc_core::clock::EpochMs;
use fjc_flink::{
    CheckpointStats, ClusterOverview, DisposalStatus, ExecutionResult, FlinkApi, FlinkError, JarId,
    JobDetails, JobId, JobMetrics, JobSummary, ResourceRequirements, RunRequest, SavepointStatus,
};

use super::model::Cluster;
use super::{Call, Injected, ScriptedFlink, lock};

impl ScriptedFlink {
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

    async fn slot_holders(&self) -> Result<Vec<JobId>, FlinkError> {
        self.answer("slot_holders", "", |c, _| Ok(c.slot_holders()))
    }

    async fn job(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        self.answer("job", id, |c, _| c.details(id))
    }

    async fn job_failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        self.answer("job_failure_cause", id, |c, _| c.failure_cause(id))
    }

    async fn job_metrics(&self, id: &JobId) -> Result<JobMetrics, FlinkError> {
        self.answer("job_metrics", id, |c, now| Ok(c.job_metrics(id, now)))
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

    async fn resource_requirements(&self, id: &JobId) -> Result<ResourceRequirements, FlinkError> {
        self.answer("resource_requirements", id, |c, _| c.requirements(id))
    }

    async fn set_resource_requirements(
        &self,
        id: &JobId,
        requirements: &ResourceRequirements,
    ) -> Result<(), FlinkError> {
        self.answer("set_resource_requirements", id, |c, _| {
            c.set_requirements(id, requirements)
        })
    }

    async fn cluster_config(&self) -> Result<BTreeMap<String, String>, FlinkError> {
        self.answer("cluster_config", "", |c, _| Ok(c.settings.config.clone()))
    }
}
