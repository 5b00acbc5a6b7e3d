//! Jar calls: upload (streamed from disk), run, delete.

use std::collections::BTreeMap;
use std::path::Path;

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};
use tokio_util::io::ReaderStream;

/// Bytes read from a jar per blocking file read while uploading it.
const FILE_CHUNK: usize = 1024 * 1024;

use super::call::{Call, decode};
use super::client::RestClient;
use crate::{FlinkError, JarId, JobId, RunRequest};

#[derive(Deserialize)]
struct WireUpload {
    filename: String,
}

#[derive(Deserialize)]
struct WireRun {
    jobid: String,
}

/// The body of `POST /jars/:id/run`; absent values are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRunBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    entry_class: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    program_args_list: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    parallelism: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    savepoint_path: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_non_restored_state: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    flink_configuration: &'a BTreeMap<String, String>,
}

/// The JSON body for a run request.
pub(crate) fn run_body(request: &RunRequest) -> Result<serde_json::Value, FlinkError> {
    let body = WireRunBody {
        entry_class: request.entry_class.as_deref(),
        program_args_list: &request.program_args,
        parallelism: request.parallelism,
        job_id: request.job_id.as_ref().map(JobId::as_str),
        savepoint_path: request.savepoint_path.as_deref(),
        allow_non_restored_state: request.allow_non_restored_state,
        flink_configuration: &request.flink_configuration,
    };
    serde_json::to_value(body).map_err(|e| FlinkError::Config {
        message: format!("cannot encode the run request: {e}"),
    })
}

/// The jar id is the basename of the `filename` Flink stored the upload under.
pub(crate) fn parse_upload(body: &[u8]) -> Result<JarId, FlinkError> {
    let w: WireUpload = decode("upload_jar", body)?;
    let base = w.filename.rsplit(['/', '\\']).next().unwrap_or_default();
    if base.is_empty() {
        return Err(FlinkError::Decode {
            operation: "upload_jar".to_string(),
            message: "empty filename in the upload answer".to_string(),
        });
    }
    Ok(JarId(base.to_string()))
}

/// Parses the `jobid` of a run answer.
pub(crate) fn parse_run(body: &[u8]) -> Result<JobId, FlinkError> {
    let w: WireRun = decode("run_jar", body)?;
    JobId::parse(&w.jobid).map_err(|message| FlinkError::Decode {
        operation: "run_jar".to_string(),
        message,
    })
}

/// A multipart file name Flink accepts: safe characters only, ending in `.jar`
/// (Flink stores an upload under it).
pub fn upload_file_name(jar: &Path) -> String {
    let name: String = jar
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = name.strip_suffix(".jar").unwrap_or(&name);
    let stem = if stem.is_empty() { "job" } else { stem };
    format!("{stem}.jar")
}

/// Whether a failed run's answer says the job id is taken. Flink 2.3 answers 400 with
/// `DuplicateApplicationSubmissionException: Application has already been submitted.`
/// (the application id is the job id); older versions throw `DuplicateJobSubmissionException`.
pub(crate) fn is_duplicate_job(body: &str) -> bool {
    body.contains("DuplicateApplicationSubmissionException")
        || body.contains("DuplicateJobSubmissionException")
        || body.contains("has already been submitted")
}

pub(super) async fn upload_jar(client: &RestClient, jar: &Path) -> Result<JarId, FlinkError> {
    let local = |e: std::io::Error| FlinkError::LocalIo {
        path: jar.display().to_string(),
        message: e.to_string(),
    };
    let file = tokio::fs::File::open(jar).await.map_err(local)?;
    let meta = file.metadata().await.map_err(local)?;
    if !meta.is_file() {
        return Err(FlinkError::LocalIo {
            path: jar.display().to_string(),
            message: "not a regular file".to_string(),
        });
    }
    // Large reads: each read of a `tokio::fs::File` is a hand-off to a blocking
    // thread, and a 4 KiB default turned a 40 MB jar into 10,000 of them.
    let body = reqwest::Body::wrap_stream(ReaderStream::with_capacity(file, FILE_CHUNK));
    let part = Part::stream_with_length(body, meta.len())
        .file_name(upload_file_name(jar))
        .mime_str("application/java-archive")
        .map_err(|e| FlinkError::Config {
            message: format!("jar content type: {e}"),
        })?;
    let form = Form::new().part("jarfile", part);
    let answer = client
        .call(Call::new("upload_jar", Method::POST, &["jars", "upload"]).multipart(form))
        .await?;
    if !answer.is_success() {
        return Err(answer.error("jar upload endpoint"));
    }
    parse_upload(answer.body())
}

pub(super) async fn run_jar(
    client: &RestClient,
    jar: &JarId,
    request: &RunRequest,
) -> Result<JobId, FlinkError> {
    let answer = client
        .call(Call::new("run_jar", Method::POST, &["jars", &jar.0, "run"]).json(run_body(request)?))
        .await?;
    if answer.is_success() {
        return parse_run(answer.body());
    }
    if let Some(job) = &request.job_id
        && is_duplicate_job(&answer.text())
    {
        return Err(FlinkError::DuplicateJob {
            job: job.to_string(),
        });
    }
    Err(answer.error(&format!("jar {jar}")))
}

pub(super) async fn delete_jar(client: &RestClient, jar: &JarId) -> Result<(), FlinkError> {
    let answer = client
        .call(Call::new("delete_jar", Method::DELETE, &["jars", &jar.0]))
        .await?;
    match answer.status.as_u16() {
        200..=299 | 400 | 404 => Ok(()),
        _ => Err(answer.error(&format!("jar {jar}"))),
    }
}

#[cfg(test)]
mod tests;
