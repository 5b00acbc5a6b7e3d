//! The Flink REST API as the controller sees it: a small trait ([`FlinkApi`]), the
//! types it speaks, its error enum, and a `reqwest` adapter ([`rest::RestClient`]).

pub mod error;
pub mod rest;
pub mod types;

pub use error::FlinkError;
pub use types::*;

use std::future::Future;
use std::path::Path;

/// The calls the controller makes to one Flink session cluster.
///
/// Implementations must put a timeout on every call.
pub trait FlinkApi: Send + Sync {
    /// `GET /overview`: cluster health and capacity.
    fn cluster_overview(&self) -> impl Future<Output = Result<ClusterOverview, FlinkError>> + Send;
    /// `GET /jobs/overview`: every job the cluster knows, in one call.
    fn list_jobs(&self) -> impl Future<Output = Result<Vec<JobSummary>, FlinkError>> + Send;
    /// `GET /taskmanagers`, then `GET /taskmanagers/:id` for each: every job holding a
    /// task slot, each once. After a lost JobManager this names jobs the cluster no
    /// longer lists whose tasks still run (see `rest::taskmanagers`).
    fn slot_holders(&self) -> impl Future<Output = Result<Vec<JobId>, FlinkError>> + Send;
    /// `GET /jobs/:id`.
    fn job(&self, id: &JobId) -> impl Future<Output = Result<JobDetails, FlinkError>> + Send;
    /// `GET /jobs/:id/exceptions`: the root cause as one short line (first line and
    /// the last "Caused by:" line), or `None` when the job has no exception.
    fn job_failure_cause(
        &self,
        id: &JobId,
    ) -> impl Future<Output = Result<Option<String>, FlinkError>> + Send;
    /// `POST /jars/upload`, streaming the file.
    fn upload_jar(&self, jar: &Path) -> impl Future<Output = Result<JarId, FlinkError>> + Send;
    /// `POST /jars/:id/run` with a controller-chosen job id.
    fn run_jar(
        &self,
        jar: &JarId,
        request: &RunRequest,
    ) -> impl Future<Output = Result<JobId, FlinkError>> + Send;
    /// `DELETE /jars/:id`. Unknown jars are not an error.
    fn delete_jar(&self, jar: &JarId) -> impl Future<Output = Result<(), FlinkError>> + Send;
    /// `PATCH /jobs/:id?mode=cancel`. Returns [`FlinkError::AlreadyTerminal`] or
    /// [`FlinkError::NotFound`] when there is nothing to cancel.
    fn cancel(&self, id: &JobId) -> impl Future<Output = Result<(), FlinkError>> + Send;
    /// `GET /jobs/:id/execution-result`: the job's outcome, `None` while it runs.
    /// [`FlinkError::NotFound`] when the cluster no longer knows the job.
    fn job_execution_result(
        &self,
        id: &JobId,
    ) -> impl Future<Output = Result<Option<ExecutionResult>, FlinkError>> + Send;
    /// `POST /jobs/:id/stop` without drain: a savepoint (to `target_dir`, else the
    /// cluster's default), then the job ends. Idempotent per `trigger_id` (32 hex).
    fn stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> impl Future<Output = Result<(), FlinkError>> + Send;
    /// `GET /jobs/:id/savepoints/:trigger`: where a triggered savepoint stands.
    fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> impl Future<Output = Result<SavepointStatus, FlinkError>> + Send;
    /// `POST /jobs/:id/savepoints` without cancelling: a savepoint of a job that
    /// keeps running. Idempotent per `trigger_id` (32 hex).
    fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> impl Future<Output = Result<(), FlinkError>> + Send;
    /// `POST /savepoint-disposal`: deletes a savepoint's files; returns the
    /// trigger id to poll with [`FlinkApi::disposal_status`].
    fn dispose_savepoint(
        &self,
        location: &str,
    ) -> impl Future<Output = Result<String, FlinkError>> + Send;
    /// `GET /savepoint-disposal/:trigger`.
    fn disposal_status(
        &self,
        trigger_id: &str,
    ) -> impl Future<Output = Result<DisposalStatus, FlinkError>> + Send;
    /// `GET /jobs/:id/checkpoints`: the latest completed checkpoint and savepoint.
    fn checkpoints(
        &self,
        id: &JobId,
    ) -> impl Future<Output = Result<CheckpointStats, FlinkError>> + Send;
    /// `GET /jobs/:id/metrics?get=…`: restarts and checkpoint counts in one call
    /// (see [`JobMetrics`]).
    fn job_metrics(
        &self,
        id: &JobId,
    ) -> impl Future<Output = Result<JobMetrics, FlinkError>> + Send;
    /// `GET /jobs/:id/resource-requirements`: each vertex's parallelism bounds.
    /// A job under the default scheduler has none to change: Flink answers with
    /// an error ([`FlinkError::Server`]).
    fn resource_requirements(
        &self,
        id: &JobId,
    ) -> impl Future<Output = Result<ResourceRequirements, FlinkError>> + Send;
    /// `PUT /jobs/:id/resource-requirements`: new bounds for every vertex of a
    /// job under the adaptive scheduler, which rescales it in place (from its
    /// newest checkpoint, under the same job id). Idempotent.
    fn set_resource_requirements(
        &self,
        id: &JobId,
        requirements: &ResourceRequirements,
    ) -> impl Future<Output = Result<(), FlinkError>> + Send;
    /// `GET /jobmanager/config`: the cluster's effective configuration, key → value
    /// (e.g. `state.checkpoints.dir`, `state.savepoints.dir`).
    fn cluster_config(
        &self,
    ) -> impl Future<Output = Result<std::collections::BTreeMap<String, String>, FlinkError>> + Send;
}

/// Every [`FlinkApi`] call, listed once, for wrappers that forward them all (a
/// counter, a credentials layer, a test fake): `for_each_flink_call!(m)` invokes
/// macro `m!` with one line per call,
/// `read|write name(arg: Type, ...) -> Output;`, where `write` marks a call that
/// changes something in Flink. A wrapper's `m!` writes its `impl FlinkApi` from
/// that list, so a new call is added here and nowhere else.
#[macro_export]
macro_rules! for_each_flink_call {
    ($m:ident) => {
        $m! {
            read cluster_overview() -> $crate::ClusterOverview;
            read list_jobs() -> Vec<$crate::JobSummary>;
            read slot_holders() -> Vec<$crate::JobId>;
            read job(id: &$crate::JobId) -> $crate::JobDetails;
            read job_failure_cause(id: &$crate::JobId) -> Option<String>;
            write upload_jar(jar: &std::path::Path) -> $crate::JarId;
            write run_jar(jar: &$crate::JarId, request: &$crate::RunRequest) -> $crate::JobId;
            write delete_jar(jar: &$crate::JarId) -> ();
            write cancel(id: &$crate::JobId) -> ();
            read job_execution_result(id: &$crate::JobId) -> Option<$crate::ExecutionResult>;
            write stop_with_savepoint(id: &$crate::JobId, target_dir: Option<&str>, trigger_id: &str) -> ();
            read savepoint_status(id: &$crate::JobId, trigger_id: &str) -> $crate::SavepointStatus;
            write trigger_savepoint(id: &$crate::JobId, target_dir: Option<&str>, trigger_id: &str) -> ();
            write dispose_savepoint(location: &str) -> String;
            read disposal_status(trigger_id: &str) -> $crate::DisposalStatus;
            read checkpoints(id: &$crate::JobId) -> $crate::CheckpointStats;
            read job_metrics(id: &$crate::JobId) -> $crate::JobMetrics;
            read cluster_config() -> std::collections::BTreeMap<String, String>;
            read resource_requirements(id: &$crate::JobId) -> $crate::ResourceRequirements;
            write set_resource_requirements(id: &$crate::JobId, requirements: &$crate::ResourceRequirements) -> ();
        }
    };
}
