//! Cluster and job calls: `/overview`, `/jobs/overview`, `/jobs/:id`,
//! `/jobs/:id/exceptions`, cancel.

use reqwest::Method;
use serde::Deserialize;

use super::call::{Call, decode};
use super::client::RestClient;
use super::errors::reduce_stack_trace;
use crate::{
    ClusterOverview, FlinkError, FlinkJobState, JobDetails, JobId, JobMetrics, JobSummary,
    ParallelismBounds, ResourceRequirements,
};

fn minus_one() -> i64 {
    -1
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireOverview {
    #[serde(default)]
    taskmanagers: u32,
    #[serde(default)]
    slots_total: u32,
    #[serde(default)]
    slots_available: u32,
    #[serde(default)]
    jobs_running: u32,
    #[serde(default)]
    flink_version: String,
}

#[derive(Deserialize)]
struct WireJobs {
    #[serde(default)]
    jobs: Vec<WireJob>,
}

/// One job as `/jobs/overview` and `/jobs/:id` write it (extra fields ignored).
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireJob {
    jid: String,
    #[serde(default)]
    name: String,
    state: String,
    #[serde(default = "minus_one")]
    start_time: i64,
    #[serde(default = "minus_one")]
    end_time: i64,
    #[serde(default)]
    tasks: WireTasks,
    /// `Default` or `Adaptive` (Flink 1.17 and later; null for a job that
    /// failed before it was scheduled).
    #[serde(default, rename = "schedulerType")]
    scheduler_type: Option<String>,
    /// `GET /jobs/:id` only: subtask counts by state, per vertex.
    #[serde(default)]
    vertices: Vec<WireVertex>,
}

#[derive(Deserialize)]
struct WireVertex {
    #[serde(default)]
    tasks: std::collections::BTreeMap<String, u32>,
    #[serde(default)]
    metrics: WireVertexMetrics,
}

/// A vertex's accumulated times (ms since its tasks started). Flink writes a
/// time it could not measure as the string `"NaN"` (e.g. the busy time of a
/// finished vertex): such a value, or any other odd one, counts as 0, so the
/// job's answer still parses.
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct WireVertexMetrics {
    #[serde(default, deserialize_with = "lenient_ms")]
    accumulated_backpressured_time: f64,
    #[serde(default, deserialize_with = "lenient_ms")]
    accumulated_busy_time: f64,
    #[serde(default, deserialize_with = "lenient_ms")]
    accumulated_idle_time: f64,
}

/// A number, or a string holding one; anything else (`"NaN"`, null, a
/// negative or infinite value) is 0.
fn lenient_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let n = match &v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    Ok(n.filter(|n| n.is_finite() && *n >= 0.0).unwrap_or(0.0))
}

impl WireVertexMetrics {
    /// Backpressured time over all measured time, when any was measured.
    fn backpressure(&self) -> Option<f64> {
        let bp = self.accumulated_backpressured_time.max(0.0);
        let all = bp + self.accumulated_busy_time.max(0.0) + self.accumulated_idle_time.max(0.0);
        (all > 0.0 && all.is_finite()).then(|| (bp / all).clamp(0.0, 1.0))
    }
}

/// One entry of `GET /jobs/:id/metrics?get=…`.
#[derive(Deserialize)]
struct WireMetric {
    id: String,
    /// A string in Flink 2.3; a number or null is read too.
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize, Default)]
struct WireTasks {
    #[serde(default)]
    total: u32,
    #[serde(default)]
    running: u32,
    #[serde(default)]
    finished: u32,
}

impl WireJob {
    fn adaptive(&self) -> bool {
        self.scheduler_type
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("adaptive"))
    }

    fn id(&self, operation: &str) -> Result<JobId, FlinkError> {
        JobId::parse(&self.jid).map_err(|message| FlinkError::Decode {
            operation: operation.to_string(),
            message,
        })
    }
}

#[derive(Deserialize)]
struct WireExceptions {
    #[serde(rename = "exceptionHistory")]
    exception_history: Option<WireHistory>,
    /// Flink 1.x only.
    #[serde(rename = "root-exception")]
    root_exception: Option<String>,
}

#[derive(Deserialize)]
struct WireHistory {
    #[serde(default)]
    entries: Vec<WireExceptionEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireExceptionEntry {
    exception_name: Option<String>,
    stacktrace: Option<String>,
    timestamp: Option<i64>,
}

/// Parses `GET /overview`.
pub(crate) fn parse_overview(body: &[u8]) -> Result<ClusterOverview, FlinkError> {
    let w: WireOverview = decode("cluster_overview", body)?;
    Ok(ClusterOverview {
        taskmanagers: w.taskmanagers,
        slots_total: w.slots_total,
        slots_available: w.slots_available,
        jobs_running: w.jobs_running,
        flink_version: w.flink_version,
    })
}

/// Parses `GET /jobs/overview`.
pub(crate) fn parse_jobs_overview(body: &[u8]) -> Result<Vec<JobSummary>, FlinkError> {
    let wire: WireJobs = decode("list_jobs", body)?;
    wire.jobs
        .into_iter()
        .map(|j| {
            Ok(JobSummary {
                id: j.id("list_jobs")?,
                state: FlinkJobState::from_flink(&j.state),
                start_time_ms: j.start_time,
                end_time_ms: j.end_time,
                tasks_total: j.tasks.total,
                tasks_running: j.tasks.running,
                tasks_finished: j.tasks.finished,
                adaptive: j.adaptive(),
                name: j.name,
            })
        })
        .collect()
}

/// Parses `GET /jobs/:id`.
pub(crate) fn parse_job(body: &[u8]) -> Result<JobDetails, FlinkError> {
    let j: WireJob = decode("job", body)?;
    let count = |state: Option<&str>| -> u32 {
        j.vertices
            .iter()
            .flat_map(|v| v.tasks.iter())
            .filter(|(s, _)| state.is_none_or(|want| s.as_str() == want))
            .map(|(_, n)| *n)
            .sum()
    };
    let (tasks_total, tasks_running, tasks_finished) =
        (count(None), count(Some("RUNNING")), count(Some("FINISHED")));
    let backpressure = j
        .vertices
        .iter()
        .filter_map(|v| v.metrics.backpressure())
        .reduce(f64::max);
    Ok(JobDetails {
        backpressure,
        id: j.id("job")?,
        state: FlinkJobState::from_flink(&j.state),
        start_time_ms: j.start_time,
        end_time_ms: j.end_time,
        tasks_total,
        tasks_running,
        tasks_finished,
        adaptive: j.adaptive(),
        name: j.name,
    })
}

/// Parses `GET /jobs/:id/metrics?get=…` (values are strings; a metric Flink does
/// not have yet, or a negative one, is `None`).
pub(crate) fn parse_job_metrics(body: &[u8]) -> Result<JobMetrics, FlinkError> {
    let entries: Vec<WireMetric> = decode("job_metrics", body)?;
    let mut out = JobMetrics::default();
    for m in entries {
        let value = match &m.value {
            serde_json::Value::String(v) => v.trim().parse::<f64>().ok(),
            serde_json::Value::Number(n) => n.as_f64(),
            _ => None,
        };
        let value = value.filter(|v| v.is_finite() && *v >= 0.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (count, time) = (value.map(|v| v as u64), value.map(|v| v as i64));
        match m.id.as_str() {
            "numRestarts" => out.restarts = count,
            "numberOfCompletedCheckpoints" => out.checkpoints_completed = count,
            "numberOfFailedCheckpoints" => out.checkpoints_failed = count,
            "lastCheckpointCompletedTimestamp" => out.last_checkpoint_at = time.filter(|t| *t > 0),
            _ => {}
        }
    }
    Ok(out)
}

/// Parses `GET /jobs/:id/exceptions` into the newest failure, reduced to one line.
pub(crate) fn parse_failure_cause(body: &[u8]) -> Result<Option<String>, FlinkError> {
    let w: WireExceptions = decode("job_failure_cause", body)?;
    let newest = w.exception_history.and_then(|h| {
        // Flink lists the newest first; the timestamps make sure.
        h.entries
            .into_iter()
            .enumerate()
            .max_by_key(|(i, e)| (e.timestamp.unwrap_or(i64::MIN), std::cmp::Reverse(*i)))
            .map(|(_, e)| e)
    });
    let text = match newest {
        Some(e) => e.stacktrace.or(e.exception_name),
        None => w.root_exception,
    };
    Ok(text
        .map(|t| reduce_stack_trace(&t))
        .filter(|line| !line.is_empty()))
}

pub(super) async fn cluster_overview(client: &RestClient) -> Result<ClusterOverview, FlinkError> {
    let answer = client
        .call(Call::new("cluster_overview", Method::GET, &["overview"]))
        .await?;
    if !answer.is_success() {
        return Err(answer.error("cluster overview"));
    }
    parse_overview(answer.body())
}

pub(super) async fn cluster_config(
    client: &RestClient,
) -> Result<std::collections::BTreeMap<String, String>, FlinkError> {
    let answer = client
        .call(Call::new(
            "cluster_config",
            Method::GET,
            &["jobmanager", "config"],
        ))
        .await?;
    if !answer.is_success() {
        return Err(answer.error("jobmanager config"));
    }
    parse_cluster_config(answer.body())
}

/// Parses `GET /jobmanager/config` (`[{"key": k, "value": v}, ...]`) into a map.
pub(crate) fn parse_cluster_config(
    body: &[u8],
) -> Result<std::collections::BTreeMap<String, String>, FlinkError> {
    #[derive(serde::Deserialize)]
    struct Entry {
        key: String,
        value: String,
    }
    let entries: Vec<Entry> = decode("cluster_config", body)?;
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

pub(super) async fn list_jobs(client: &RestClient) -> Result<Vec<JobSummary>, FlinkError> {
    let answer = client
        .call(Call::new("list_jobs", Method::GET, &["jobs", "overview"]))
        .await?;
    if !answer.is_success() {
        return Err(answer.error("jobs overview"));
    }
    parse_jobs_overview(answer.body())
}

pub(super) async fn job(client: &RestClient, id: &JobId) -> Result<JobDetails, FlinkError> {
    let answer = client
        .call(Call::new("job", Method::GET, &["jobs", id.as_str()]))
        .await?;
    if !answer.is_success() {
        return Err(answer.error(&format!("job {id}")));
    }
    parse_job(answer.body())
}

pub(super) async fn job_metrics(client: &RestClient, id: &JobId) -> Result<JobMetrics, FlinkError> {
    let names = JobMetrics::NAMES.join(",");
    let answer = client
        .call(
            Call::new(
                "job_metrics",
                Method::GET,
                &["jobs", id.as_str(), "metrics"],
            )
            .query("get", &names),
        )
        .await?;
    if !answer.is_success() {
        return Err(answer.error(&format!("metrics of job {id}")));
    }
    parse_job_metrics(answer.body())
}

pub(super) async fn job_failure_cause(
    client: &RestClient,
    id: &JobId,
) -> Result<Option<String>, FlinkError> {
    let answer = client
        .call(Call::new(
            "job_failure_cause",
            Method::GET,
            &["jobs", id.as_str(), "exceptions"],
        ))
        .await?;
    if !answer.is_success() {
        return Err(answer.error(&format!("job {id}")));
    }
    parse_failure_cause(answer.body())
}

pub(super) async fn cancel(client: &RestClient, id: &JobId) -> Result<(), FlinkError> {
    let answer = client
        .call(Call::new("cancel", Method::PATCH, &["jobs", id.as_str()]).query("mode", "cancel"))
        .await?;
    match answer.status.as_u16() {
        200..=299 => Ok(()),
        409 => Err(FlinkError::AlreadyTerminal {
            job: id.to_string(),
        }),
        _ => Err(answer.error(&format!("job {id}"))),
    }
}

/// One vertex of `/jobs/:id/resource-requirements`.
#[derive(serde::Serialize, Deserialize)]
struct WireRequirement {
    parallelism: ParallelismBounds,
}

/// Parses `GET /jobs/:id/resource-requirements`.
pub(crate) fn parse_resource_requirements(body: &[u8]) -> Result<ResourceRequirements, FlinkError> {
    let wire: std::collections::BTreeMap<String, WireRequirement> =
        decode("resource_requirements", body)?;
    Ok(wire.into_iter().map(|(v, r)| (v, r.parallelism)).collect())
}

/// The body of `PUT /jobs/:id/resource-requirements`.
pub(crate) fn resource_requirements_body(requirements: &ResourceRequirements) -> serde_json::Value {
    let wire: std::collections::BTreeMap<&String, WireRequirement> = requirements
        .iter()
        .map(|(v, b)| (v, WireRequirement { parallelism: *b }))
        .collect();
    serde_json::to_value(wire).unwrap_or_default()
}

pub(super) async fn resource_requirements(
    client: &RestClient,
    id: &JobId,
) -> Result<ResourceRequirements, FlinkError> {
    let answer = client
        .call(Call::new(
            "resource_requirements",
            Method::GET,
            &["jobs", id.as_str(), "resource-requirements"],
        ))
        .await?;
    if !answer.is_success() {
        return Err(answer.error(&format!("resource requirements of job {id}")));
    }
    parse_resource_requirements(answer.body())
}

pub(super) async fn set_resource_requirements(
    client: &RestClient,
    id: &JobId,
    requirements: &ResourceRequirements,
) -> Result<(), FlinkError> {
    let segments = ["jobs", id.as_str(), "resource-requirements"];
    let mut call = Call::new("set_resource_requirements", Method::PUT, &segments)
        .json(resource_requirements_body(requirements));
    // The same bounds twice are the same bounds.
    call.idempotent = true;
    let answer = client.call(call).await?;
    if !answer.is_success() {
        return Err(answer.error(&format!("rescale of job {id}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
