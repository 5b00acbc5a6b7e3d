//! Savepoint and checkpoint calls: trigger (with a client-chosen trigger id, so a
//! retried trigger is idempotent), poll, and checkpoint statistics.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::call::{Call, decode};
use super::client::RestClient;
use super::errors::reduce_stack_trace;
use crate::{
    CheckpointCounts, CheckpointRef, CheckpointStats, DisposalStatus, FlinkError, JobId,
    SavepointStatus,
};

/// A new random trigger id in the form Flink accepts (32 lowercase hex characters).
pub fn new_trigger_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` is a trigger id Flink accepts (32 hex characters).
pub fn is_valid_trigger_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_trigger_id(trigger_id: &str) -> Result<(), FlinkError> {
    if is_valid_trigger_id(trigger_id) {
        Ok(())
    } else {
        Err(FlinkError::BadRequest {
            message: format!("not a Flink trigger id (32 hex characters): {trigger_id:?}"),
        })
    }
}

#[derive(Deserialize)]
struct WireTriggered {
    #[serde(rename = "request-id")]
    request_id: String,
}

#[derive(Deserialize)]
struct WireOperationStatus {
    status: WireStatusId,
    #[serde(default)]
    operation: Option<WireOperation>,
}

#[derive(Deserialize)]
struct WireStatusId {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireOperation {
    location: Option<String>,
    failure_cause: Option<WireFailureCause>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireFailureCause {
    class: Option<String>,
    stack_trace: Option<String>,
}

#[derive(Deserialize)]
struct WireCheckpoints {
    #[serde(default)]
    counts: WireCounts,
    #[serde(default)]
    latest: Option<WireLatest>,
}

#[derive(Deserialize, Default)]
struct WireCounts {
    #[serde(default)]
    restored: u64,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    in_progress: u64,
    #[serde(default)]
    completed: u64,
    #[serde(default)]
    failed: u64,
}

#[derive(Deserialize)]
struct WireLatest {
    completed: Option<WireCheckpoint>,
    savepoint: Option<WireCheckpoint>,
    restored: Option<WireCheckpoint>,
}

#[derive(Deserialize)]
struct WireCheckpoint {
    id: u64,
    external_path: Option<String>,
    #[serde(default)]
    is_savepoint: bool,
    #[serde(default)]
    latest_ack_timestamp: Option<i64>,
    #[serde(default)]
    restore_timestamp: Option<i64>,
}

impl From<WireCheckpoint> for CheckpointRef {
    fn from(w: WireCheckpoint) -> CheckpointRef {
        CheckpointRef {
            id: w.id,
            // Flink writes "<checkpoint-not-externally-addressable>" for in-memory ones.
            external_path: w
                .external_path
                .filter(|p| !p.is_empty() && !p.starts_with('<')),
            is_savepoint: w.is_savepoint,
            completed_at: w
                .latest_ack_timestamp
                .or(w.restore_timestamp)
                .filter(|t| *t > 0),
        }
    }
}

/// Parses the `request-id` of a trigger answer.
pub(crate) fn parse_triggered(body: &[u8], operation: &str) -> Result<String, FlinkError> {
    Ok(decode::<WireTriggered>(operation, body)?.request_id)
}

/// Parses `GET /jobs/:id/savepoints/:triggerid`. A failed savepoint also says
/// `COMPLETED`: the operation's `location` or `failure-cause` tells them apart.
pub(crate) fn parse_savepoint_status(body: &[u8]) -> Result<SavepointStatus, FlinkError> {
    let w: WireOperationStatus = decode("savepoint_status", body)?;
    if w.status.id != "COMPLETED" {
        return Ok(SavepointStatus::InProgress);
    }
    let operation = w.operation.unwrap_or(WireOperation {
        location: None,
        failure_cause: None,
    });
    if let Some(cause) = operation.failure_cause {
        let text = cause.stack_trace.or(cause.class).unwrap_or_default();
        let line = reduce_stack_trace(&text);
        return Ok(SavepointStatus::Failed {
            cause: if line.is_empty() {
                "savepoint failed (no cause given)".to_string()
            } else {
                line
            },
        });
    }
    match operation.location {
        Some(location) if !location.is_empty() => Ok(SavepointStatus::Completed { location }),
        _ => Err(FlinkError::Decode {
            operation: "savepoint_status".to_string(),
            message: "COMPLETED without location or failure-cause".to_string(),
        }),
    }
}

/// Parses `GET /savepoint-disposal/:triggerid`: `COMPLETED` with a
/// `failure-cause` failed, without one it is done.
pub(crate) fn parse_disposal_status(body: &[u8]) -> Result<DisposalStatus, FlinkError> {
    let w: WireOperationStatus = decode("disposal_status", body)?;
    if w.status.id != "COMPLETED" {
        return Ok(DisposalStatus::InProgress);
    }
    match w.operation.and_then(|o| o.failure_cause) {
        Some(cause) => {
            let text = cause.stack_trace.or(cause.class).unwrap_or_default();
            let line = reduce_stack_trace(&text);
            Ok(DisposalStatus::Failed {
                cause: if line.is_empty() {
                    "disposal failed (no cause given)".to_string()
                } else {
                    line
                },
            })
        }
        None => Ok(DisposalStatus::Done),
    }
}

/// Parses `GET /jobs/:id/checkpoints`.
pub(crate) fn parse_checkpoints(body: &[u8]) -> Result<CheckpointStats, FlinkError> {
    let w: WireCheckpoints = decode("checkpoints", body)?;
    let (latest_completed, latest_savepoint, latest_restored) = match w.latest {
        Some(l) => (
            l.completed.map(Into::into),
            l.savepoint.map(Into::into),
            l.restored.map(Into::into),
        ),
        None => (None, None, None),
    };
    Ok(CheckpointStats {
        counts: CheckpointCounts {
            restored: w.counts.restored,
            total: w.counts.total,
            in_progress: w.counts.in_progress,
            completed: w.counts.completed,
            failed: w.counts.failed,
        },
        latest_completed,
        latest_savepoint,
        latest_restored,
    })
}

impl RestClient {
    /// `POST /jobs/:id/stop`: takes a savepoint and then ends the job (FINISHED).
    /// `target_dir` falls back to the cluster's `state.savepoints.dir`; `drain` emits
    /// MAX_WATERMARK first. Retrying with the same `trigger_id` (32 hex characters, see
    /// [`new_trigger_id`]) does not take a second savepoint. Returns the request id
    /// Flink answered (the trigger id). Poll with [`RestClient::savepoint_status`].
    pub async fn trigger_stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
        drain: bool,
    ) -> Result<String, FlinkError> {
        check_trigger_id(trigger_id)?;
        let mut body = json!({ "drain": drain, "triggerId": trigger_id });
        if let Some(dir) = target_dir {
            body["targetDirectory"] = json!(dir);
        }
        let operation = "trigger_stop_with_savepoint";
        let answer = self
            .call(Call::new(operation, Method::POST, &["jobs", id.as_str(), "stop"]).json(body))
            .await?;
        if !answer.is_success() {
            return Err(answer.error(&format!("job {id}")));
        }
        parse_triggered(answer.body(), operation)
    }

    /// `POST /jobs/:id/savepoints`: takes a savepoint, and cancels the job after it
    /// when `cancel_job`. Same trigger id rules as
    /// [`RestClient::trigger_stop_with_savepoint`].
    pub async fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
        cancel_job: bool,
    ) -> Result<String, FlinkError> {
        check_trigger_id(trigger_id)?;
        let mut body = json!({ "cancel-job": cancel_job, "triggerId": trigger_id });
        if let Some(dir) = target_dir {
            body["target-directory"] = json!(dir);
        }
        let operation = "trigger_savepoint";
        let answer = self
            .call(
                Call::new(
                    operation,
                    Method::POST,
                    &["jobs", id.as_str(), "savepoints"],
                )
                .json(body),
            )
            .await?;
        if !answer.is_success() {
            return Err(answer.error(&format!("job {id}")));
        }
        parse_triggered(answer.body(), operation)
    }

    /// `GET /jobs/:id/savepoints/:triggerid`: where a triggered savepoint stands.
    /// [`FlinkError::NotFound`] when Flink does not know the trigger (or the job).
    pub async fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        check_trigger_id(trigger_id)?;
        let answer = self
            .call(Call::new(
                "savepoint_status",
                Method::GET,
                &["jobs", id.as_str(), "savepoints", trigger_id],
            ))
            .await?;
        if !answer.is_success() {
            return Err(answer.error(&format!("savepoint {trigger_id} of job {id}")));
        }
        parse_savepoint_status(answer.body())
    }

    /// `POST /savepoint-disposal`: deletes the savepoint at `location` (its
    /// metadata and state files). Returns the trigger id to poll with
    /// [`RestClient::disposal_status`].
    pub async fn dispose_savepoint(&self, location: &str) -> Result<String, FlinkError> {
        let operation = "dispose_savepoint";
        let answer = self
            .call(
                Call::new(operation, Method::POST, &["savepoint-disposal"])
                    .json(json!({ "savepoint-path": location })),
            )
            .await?;
        if !answer.is_success() {
            return Err(answer.error(&format!("savepoint {location}")));
        }
        parse_triggered(answer.body(), operation)
    }

    /// `GET /savepoint-disposal/:triggerid`.
    pub async fn disposal_status(&self, trigger_id: &str) -> Result<DisposalStatus, FlinkError> {
        let answer = self
            .call(Call::new(
                "disposal_status",
                Method::GET,
                &["savepoint-disposal", trigger_id],
            ))
            .await?;
        if !answer.is_success() {
            return Err(answer.error(&format!("disposal {trigger_id}")));
        }
        parse_disposal_status(answer.body())
    }

    /// `GET /jobs/:id/checkpoints`: counts and the latest completed checkpoint,
    /// savepoint and restored checkpoint (with external paths when retained).
    pub async fn checkpoints(&self, id: &JobId) -> Result<CheckpointStats, FlinkError> {
        let answer = self
            .call(Call::new(
                "checkpoints",
                Method::GET,
                &["jobs", id.as_str(), "checkpoints"],
            ))
            .await?;
        if !answer.is_success() {
            return Err(answer.error(&format!("job {id}")));
        }
        parse_checkpoints(answer.body())
    }
}

#[cfg(test)]
mod tests;
