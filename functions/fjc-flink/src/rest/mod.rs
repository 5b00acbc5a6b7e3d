//! The `reqwest` adapter: [`RestClient`] implements [`FlinkApi`] over Flink's REST API
//! (checked against Flink 1.20 and 2.3 answers).
//!
//! Every call has a timeout, logs a `flink_call` debug span (operation, method, path,
//! status, duration; never bodies) and maps failures to [`FlinkError`] with Flink's
//! stack traces reduced to one line ([`reduce_error_body`]).

mod call;
mod client;
mod config;
mod errors;
mod jars;
mod jobs;
mod result;
mod retry;
mod savepoints;
mod taskmanagers;

use std::path::Path;

pub use client::RestClient;
pub use config::{FlinkAuth, RestClientConfig};
pub use errors::{MAX_MESSAGE_CHARS, reduce_error_body, reduce_stack_trace};
pub use jars::upload_file_name;
pub use retry::RetryPolicy;
pub use savepoints::{is_valid_trigger_id, new_trigger_id};

use crate::{
    CheckpointStats, ClusterOverview, DisposalStatus, ExecutionResult, FlinkApi, FlinkError, JarId,
    JobDetails, JobId, JobMetrics, JobSummary, ResourceRequirements, RunRequest, SavepointStatus,
};

impl FlinkApi for RestClient {
    async fn cluster_overview(&self) -> Result<ClusterOverview, FlinkError> {
        jobs::cluster_overview(self).await
    }

    async fn list_jobs(&self) -> Result<Vec<JobSummary>, FlinkError> {
        jobs::list_jobs(self).await
    }

    async fn slot_holders(&self) -> Result<Vec<JobId>, FlinkError> {
        taskmanagers::slot_holders(self).await
    }

    async fn job(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        jobs::job(self, id).await
    }

    async fn job_failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        jobs::job_failure_cause(self, id).await
    }

    async fn job_metrics(&self, id: &JobId) -> Result<JobMetrics, FlinkError> {
        jobs::job_metrics(self, id).await
    }

    async fn resource_requirements(&self, id: &JobId) -> Result<ResourceRequirements, FlinkError> {
        jobs::resource_requirements(self, id).await
    }

    async fn set_resource_requirements(
        &self,
        id: &JobId,
        requirements: &ResourceRequirements,
    ) -> Result<(), FlinkError> {
        jobs::set_resource_requirements(self, id, requirements).await
    }

    /// Streams the file from disk, never holding it in memory.
    async fn upload_jar(&self, jar: &Path) -> Result<JarId, FlinkError> {
        jars::upload_jar(self, jar).await
    }

    /// [`FlinkError::DuplicateJob`] when the requested job id is already taken.
    async fn run_jar(&self, jar: &JarId, request: &RunRequest) -> Result<JobId, FlinkError> {
        jars::run_jar(self, jar, request).await
    }

    async fn delete_jar(&self, jar: &JarId) -> Result<(), FlinkError> {
        jars::delete_jar(self, jar).await
    }

    async fn cancel(&self, id: &JobId) -> Result<(), FlinkError> {
        jobs::cancel(self, id).await
    }

    async fn job_execution_result(
        &self,
        id: &JobId,
    ) -> Result<Option<ExecutionResult>, FlinkError> {
        result::job_execution_result(self, id).await
    }

    async fn stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        self.trigger_stop_with_savepoint(id, target_dir, trigger_id, false)
            .await
            .map(|_| ())
    }

    async fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        RestClient::savepoint_status(self, id, trigger_id).await
    }

    async fn checkpoints(&self, id: &JobId) -> Result<CheckpointStats, FlinkError> {
        RestClient::checkpoints(self, id).await
    }

    async fn cluster_config(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, FlinkError> {
        jobs::cluster_config(self).await
    }

    async fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        RestClient::trigger_savepoint(self, id, target_dir, trigger_id, false)
            .await
            .map(|_| ())
    }

    async fn dispose_savepoint(&self, location: &str) -> Result<String, FlinkError> {
        RestClient::dispose_savepoint(self, location).await
    }

    async fn disposal_status(&self, trigger_id: &str) -> Result<DisposalStatus, FlinkError> {
        RestClient::disposal_status(self, trigger_id).await
    }
}
