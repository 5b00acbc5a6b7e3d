//! Carrying out a submission: the artifact fetched and checked against its
//! recorded digest and signature, then uploaded and run under the job id the
//! controller chose, with Flink's messages scrubbed of secret values. A jar runs
//! through its entry class; a SQL script through the SQL runner jar and a
//! PyFlink program through the Python runner jar, which get the bytes in their
//! arguments (so what runs is what was verified, wherever it is kept).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fjc_flink::{FlinkApi, FlinkError, JobId, RunRequest};
use fjc_spec::ArtifactType;
use fjc_spec::flink_conf::flink_configuration;
use tracing::warn;

use super::{Executor, Step};
use crate::artifacts::{ArtifactError, ArtifactSource, FetchedArtifact, check_signature};
use crate::context::Ports;
use crate::counted::Counted;
use crate::executor_secrets::ResolvedSpec;
use crate::operation::SubmitError;
use crate::store::SpecRecord;

/// The SQL runner's entry class (`sql-runner/`).
pub const SQL_RUNNER_CLASS: &str = "fjc.sql.SqlRunner";

/// The Python runner's entry class (`python-runner/`).
pub const PYTHON_RUNNER_CLASS: &str = "fjc.python.PythonRunner";

/// The name the Python runner writes a program's bytes under on the JobManager:
/// the artifact's file name, ending in `.zip` for a package and `.py` for a
/// script (Flink's Python driver goes by the suffix).
fn python_file_name(artifact_path: &str, package: bool) -> String {
    let base = artifact_path
        .rsplit('/')
        .next()
        .filter(|b| !b.is_empty() && !b.starts_with('.'))
        .unwrap_or("job");
    let suffix = if package { ".zip" } else { ".py" };
    if base.to_ascii_lowercase().ends_with(suffix) {
        base.to_string()
    } else {
        format!("{base}{suffix}")
    }
}

/// Serializes this process's submissions to a cluster around PyFlink ones. A
/// Python program builds its job on the Python driver's gateway threads, which
/// find the submission's context through a JVM-wide static that every jar run
/// sets and clears; a jar run ending meanwhile on the same JobManager can make
/// Flink run the Python job in a mini cluster inside the JobManager instead
/// ("No jobs included in application"). So a Python submission runs alone on
/// its cluster (the Python runner also serializes Python runs within the
/// JobManager); jar and SQL submissions run side by side.
///
/// It also counts the task slots this cycle's submissions took per cluster, which
/// Flink's overview may not show yet when the next admission asks.
#[derive(Debug, Default)]
pub struct RunGate {
    gates: std::sync::Mutex<BTreeMap<String, Arc<tokio::sync::RwLock<()>>>>,
    taken: std::sync::Mutex<BTreeMap<String, u32>>,
    /// Each cluster's (free, total) slots as first read this cycle.
    read: std::sync::Mutex<BTreeMap<String, (u32, u32)>>,
}

/// A place in a cluster's [`RunGate`], held while a submission runs.
pub(crate) struct GatePass {
    _shared: Option<tokio::sync::OwnedRwLockReadGuard<()>>,
    _alone: Option<tokio::sync::OwnedRwLockWriteGuard<()>>,
}

impl RunGate {
    /// `cluster`'s (free, total) slots as read earlier this cycle.
    pub(crate) fn read(&self, cluster: &str) -> Option<(u32, u32)> {
        self.read.lock().ok()?.get(cluster).copied()
    }

    /// Keeps `cluster`'s slots as read now. (What this cycle submitted before
    /// stays counted as taken: Flink's overview lags behind a submission.)
    pub(crate) fn remember(&self, cluster: &str, free: u32, total: u32) -> (u32, u32) {
        if let Ok(mut read) = self.read.lock() {
            read.insert(cluster.to_string(), (free, total));
        }
        (free, total)
    }

    /// Slots this cycle's submissions to `cluster` took.
    pub(crate) fn taken(&self, cluster: &str) -> u32 {
        self.taken
            .lock()
            .map(|t| t.get(cluster).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Counts `parallelism` slots as taken on `cluster` by a submission.
    pub(crate) fn take(&self, cluster: &str, parallelism: i64) {
        if let Ok(mut t) = self.taken.lock() {
            let n = t.entry(cluster.to_string()).or_default();
            *n = n.saturating_add(u32::try_from(parallelism.max(1)).unwrap_or(u32::MAX));
        }
    }

    /// Waits for a place to submit `program` to `cluster`.
    pub(crate) async fn enter(&self, cluster: &str, program: &Program) -> GatePass {
        let lock = match self.gates.lock() {
            Ok(mut gates) => gates.entry(cluster.to_string()).or_default().clone(),
            Err(poisoned) => poisoned
                .into_inner()
                .entry(cluster.to_string())
                .or_default()
                .clone(),
        };
        if program.entry_class.as_deref() == Some(PYTHON_RUNNER_CLASS) {
            GatePass {
                _shared: None,
                _alone: Some(lock.write_owned().await),
            }
        } else {
            GatePass {
                _shared: Some(lock.read_owned().await),
                _alone: None,
            }
        }
    }
}

/// What Flink runs for a job: the jar uploaded, its entry class and program
/// arguments (secret references resolved).
#[derive(Debug, Clone)]
pub(crate) struct Program {
    jar: PathBuf,
    entry_class: Option<String>,
    args: Vec<String>,
    /// A SQL job's script text (kept with the revision it deploys).
    pub(crate) script: Option<String>,
}

impl<P: Ports> Executor<'_, P> {
    pub(crate) async fn verified_artifact(&self, record: &SpecRecord) -> Step<FetchedArtifact> {
        let path = &record.spec.artifact_path;
        let artifact = match self.kept_script(record).await {
            Some(kept) => kept,
            None => {
                self.ctx
                    .artifacts
                    .fetch(path, record.artifact_version.as_deref())
                    .await?
            }
        };
        let actual = &artifact.info.digest;
        let expected = record
            .spec
            .artifact_signature
            .as_ref()
            .unwrap_or(&record.artifact_digest);
        if actual != expected || actual != &record.artifact_digest {
            return Err(ArtifactError::DigestMismatch {
                path: path.clone(),
                expected: expected.clone(),
                actual: actual.clone(),
            }
            .into());
        }
        if record.spec.security.artifact_verification {
            check_signature(
                &artifact,
                record.trust.signature.as_deref(),
                &self.ctx.security.trusted_keys,
                path,
            )
            .await?;
        }
        Ok(artifact)
    }

    /// What Flink runs for the job of `resolved`, whose artifact is `artifact`.
    /// Refused (before any Flink call) when the SQL runner is not configured.
    pub(crate) async fn program(
        &self,
        resolved: &ResolvedSpec,
        artifact: &FetchedArtifact,
    ) -> Result<Program, SubmitError> {
        let spec = &resolved.spec;
        let refused =
            |message: String, retryable: bool| SubmitError::Refused { message, retryable };
        let kind = spec
            .artifact_kind()
            .map_err(|e| refused(format!("artifact_path: {e}"), false))?;
        match kind {
            ArtifactType::Jar => Ok(Program {
                jar: artifact.path.clone(),
                entry_class: spec.entry_class.clone(),
                args: spec.args.clone(),
                script: None,
            }),
            ArtifactType::Sql => {
                let Some(runner) = &self.ctx.runners.sql else {
                    return Err(refused(
                        "a sql job runs through the SQL runner, which is not configured: set \
                         artifacts.sql_runner (FJC_SQL_RUNNER) to fjc-sql-runner.jar, built by \
                         sql-runner/build.sh"
                            .into(),
                        false,
                    ));
                };
                let script = tokio::fs::read(&artifact.path)
                    .await
                    .map_err(|e| refused(format!("{}: {e}", spec.artifact_path), true))?;
                Ok(Program {
                    jar: runner.clone(),
                    entry_class: Some(SQL_RUNNER_CLASS.to_string()),
                    args: vec!["--script-base64".into(), STANDARD.encode(&script)],
                    script: String::from_utf8(script).ok(),
                })
            }
            ArtifactType::Python => {
                let Some(runner) = &self.ctx.runners.python else {
                    return Err(refused(
                        "a python job runs through the Python runner, which is not configured: \
                         set artifacts.python_runner (FJC_PYTHON_RUNNER) to \
                         fjc-python-runner.jar, built by python-runner/build.sh"
                            .into(),
                        false,
                    ));
                };
                let bytes = tokio::fs::read(&artifact.path)
                    .await
                    .map_err(|e| refused(format!("{}: {e}", spec.artifact_path), true))?;
                let module = spec.python.as_ref().and_then(|p| p.entry_module.clone());
                let mut args = vec![
                    "--file".into(),
                    python_file_name(&spec.artifact_path, module.is_some()),
                    "--base64".into(),
                    STANDARD.encode(&bytes),
                ];
                if let Some(m) = module {
                    args.extend(["--module".into(), m]);
                }
                if !spec.args.is_empty() {
                    args.push("--".into());
                    args.extend(spec.args.iter().cloned());
                }
                Ok(Program {
                    jar: runner.clone(),
                    entry_class: Some(PYTHON_RUNNER_CLASS.to_string()),
                    args,
                    script: String::from_utf8(bytes).ok(),
                })
            }
        }
    }

    /// Uploads the program's jar and runs it as `job_id`. The jar is deleted afterwards unless
    /// `keep_jar` (then its id is returned, to delete later), or unless the run was sent and
    /// never answered (a timeout, a broken connection): the JobManager may still be running
    /// the program, which reads the jar when it submits its job (deleting it made a slow
    /// PyFlink start fail with `Could not upload job files`), so its id comes back with the
    /// error, to delete once the job is seen.
    /// Flink's error messages are scrubbed of the resolved secret values.
    pub(crate) async fn submit(
        &self,
        flink: &Counted<P::Flink>,
        resolved: &ResolvedSpec,
        program: &Program,
        job_id: &JobId,
        restore_from: Option<&str>,
        keep_jar: bool,
    ) -> Result<Option<fjc_flink::JarId>, (FlinkError, Option<fjc_flink::JarId>)> {
        let spec = &resolved.spec;
        let runner = matches!(
            program.entry_class.as_deref(),
            Some(SQL_RUNNER_CLASS | PYTHON_RUNNER_CLASS)
        );
        let scrub = |e: FlinkError| {
            e.scrubbed(|m| {
                let m = resolved.redactor.scrub(m);
                if runner { runner_line(&m) } else { m }
            })
        };
        let jar = flink
            .upload_jar(&program.jar)
            .await
            .map_err(|e| (scrub(e), None))?;
        let request = RunRequest {
            job_id: Some(job_id.clone()),
            entry_class: program.entry_class.clone(),
            program_args: program.args.clone(),
            parallelism: u32::try_from(spec.deployment.parallelism).ok(),
            savepoint_path: restore_from.map(str::to_string),
            allow_non_restored_state: false,
            flink_configuration: flink_configuration(spec),
        };
        let result = flink.run_jar(&jar, &request).await.map_err(scrub);
        match result {
            Ok(_) if keep_jar => return Ok(Some(jar)),
            Err(e) if e.is_ambiguous() => {
                warn!(jar = %jar, job = %job_id, error = %e, "run unanswered; its jar is kept");
                return Err((e, Some(jar)));
            }
            _ => {}
        }
        // The submitted job no longer needs the uploaded jar.
        if let Err(e) = flink.delete_jar(&jar).await {
            warn!(jar = %jar, error = %e, "could not delete uploaded jar");
        }
        result.map(|_| None).map_err(|e| (e, None))
    }
}

/// A runner's own line in a refused run's message (`fjc-sql: statement N (line
/// L): <Flink's message>`, `fjc-python: <Python's last traceback line>`),
/// without Flink's wrapping exceptions; the whole message when the runner has
/// none.
fn runner_line(message: &str) -> String {
    let Some((at, prefix)) = ["fjc-sql: ", "fjc-python: "]
        .into_iter()
        .filter_map(|p| message.find(p).map(|at| (at, p)))
        .min()
    else {
        return message.to_string();
    };
    let line = &message[at + prefix.len()..];
    let end = [line.find('\n'), line.find(" / Caused by: ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    line[..end].trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::runner_line;

    #[test]
    fn a_refused_sql_run_keeps_the_runners_line() {
        let m = "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute \
                 application. / Caused by: fjc.sql.SqlScript$ScriptException: fjc-sql: statement \
                 2 (line 2): Object 'nowhere' not found / Caused by: x";
        assert_eq!(
            runner_line(m),
            "statement 2 (line 2): Object 'nowhere' not found"
        );
        assert_eq!(runner_line("Connection refused"), "Connection refused");
        let m = "Could not execute application. / Caused by: java.lang.RuntimeException: \
                 fjc-python: ModuleNotFoundError: No module named 'nosuch' / Caused by: y";
        assert_eq!(
            runner_line(m),
            "ModuleNotFoundError: No module named 'nosuch'"
        );
    }

    #[test]
    fn python_programs_are_written_under_their_file_name_with_the_drivers_suffix() {
        use super::python_file_name as name;
        assert_eq!(name("jobs/orders.py", false), "orders.py");
        assert_eq!(name("s3://b/k/pipelines.zip", true), "pipelines.zip");
        assert_eq!(name("jobs/orders", false), "orders.py");
        assert_eq!(name("jobs/ORDERS.PY", false), "ORDERS.PY");
        assert_eq!(name("jobs/", false), "job.py");
    }
}
