//! `GET /jobs/:id/execution-result`: the outcome of a job, also after it has left
//! `/jobs/overview` (as long as the cluster's job store still has it).

use reqwest::Method;
use serde::Deserialize;

use super::call::{Call, decode};
use super::client::RestClient;
use super::errors::reduce_stack_trace;
use crate::{ExecutionResult, FlinkError, FlinkJobState, JobId};

#[derive(Deserialize)]
struct Wire {
    status: WireStatus,
    #[serde(rename = "job-execution-result")]
    result: Option<WireResult>,
}

#[derive(Deserialize)]
struct WireStatus {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireResult {
    application_status: Option<String>,
    failure_cause: Option<WireCause>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireCause {
    stack_trace: Option<String>,
    class: Option<String>,
}

/// Parses the answer: `None` while the job is still running.
pub(crate) fn parse_execution_result(body: &[u8]) -> Result<Option<ExecutionResult>, FlinkError> {
    let w: Wire = decode("job_execution_result", body)?;
    if w.status.id != "COMPLETED" {
        return Ok(None);
    }
    let r = w.result.ok_or_else(|| FlinkError::Decode {
        operation: "job_execution_result".into(),
        message: "COMPLETED without job-execution-result".into(),
    })?;
    let state = match r.application_status.as_deref() {
        Some("SUCCEEDED") => FlinkJobState::Finished,
        Some("CANCELED") => FlinkJobState::Canceled,
        Some("FAILED") => FlinkJobState::Failed,
        Some(other) => FlinkJobState::Other(other.to_string()),
        None => FlinkJobState::Other("UNKNOWN".into()),
    };
    let cause = r
        .failure_cause
        .and_then(|c| c.stack_trace.or(c.class))
        .map(|t| reduce_stack_trace(&t))
        .filter(|l| !l.is_empty());
    Ok(Some(ExecutionResult { state, cause }))
}

pub(super) async fn job_execution_result(
    client: &RestClient,
    id: &JobId,
) -> Result<Option<ExecutionResult>, FlinkError> {
    let answer = client
        .call(Call::new(
            "job_execution_result",
            Method::GET,
            &["jobs", id.as_str(), "execution-result"],
        ))
        .await?;
    if !answer.is_success() {
        return Err(answer.error(&format!("job {id}")));
    }
    parse_execution_result(answer.body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_success_failure_and_in_progress() {
        let ok = br#"{"status":{"id":"COMPLETED"},"job-execution-result":{"id":"x","application-status":"SUCCEEDED","accumulator-results":{},"net-runtime":5}}"#;
        let r = parse_execution_result(ok).unwrap().unwrap();
        assert_eq!(r.state, FlinkJobState::Finished);
        assert_eq!(r.cause, None);
        let failed = br#"{"status":{"id":"COMPLETED"},"job-execution-result":{"id":"x","application-status":"FAILED","failure-cause":{"class":"org.apache.flink.runtime.JobException","stack-trace":"org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat x.y(Z.java:1)\nCaused by: java.lang.RuntimeException: injected batch failure\n\tat a.b(C.java:2)\n"}}}"#;
        let r = parse_execution_result(failed).unwrap().unwrap();
        assert_eq!(r.state, FlinkJobState::Failed);
        let cause = r.cause.unwrap();
        assert!(cause.contains("injected batch failure"), "{cause}");
        assert!(!cause.contains("\tat "), "{cause}");
        let running = br#"{"status":{"id":"IN_PROGRESS"}}"#;
        assert_eq!(parse_execution_result(running).unwrap(), None);
    }
}
