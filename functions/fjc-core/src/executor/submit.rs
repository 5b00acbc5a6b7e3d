//! Carrying out a submission: the artifact fetched and checked against its
//! recorded digest and signature, then uploaded and run under the job id the
//! controller chose, with Flink's messages scrubbed of secret values. A jar runs
//! through its entry class; a SQL script through the SQL runner jar, which gets
//! the script in its arguments.

use std::path::PathBuf;

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

/// What Flink runs for a job: the jar uploaded, its entry class and program
/// arguments (secret references resolved).
#[derive(Debug, Clone)]
pub(crate) struct Program {
    jar: PathBuf,
    entry_class: Option<String>,
    args: Vec<String>,
}

impl<P: Ports> Executor<'_, P> {
    pub(crate) async fn verified_artifact(&self, record: &SpecRecord) -> Step<FetchedArtifact> {
        let path = &record.spec.artifact_path;
        let artifact = self
            .ctx
            .artifacts
            .fetch(path, record.artifact_version.as_deref())
            .await?;
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
                    args: vec!["--script-base64".into(), STANDARD.encode(script)],
                })
            }
            ArtifactType::Python => Err(refused(
                "PyFlink jobs are not supported by this release (only jar and sql artifacts)"
                    .into(),
                false,
            )),
        }
    }

    /// Uploads the program's jar and runs it as `job_id`. The jar is deleted afterwards unless
    /// `keep_jar` (then its id is returned, to delete later).
    /// Flink's error messages are scrubbed of the resolved secret values.
    pub(crate) async fn submit(
        &self,
        flink: &Counted<P::Flink>,
        resolved: &ResolvedSpec,
        program: &Program,
        job_id: &JobId,
        restore_from: Option<&str>,
        keep_jar: bool,
    ) -> Result<Option<fjc_flink::JarId>, FlinkError> {
        let spec = &resolved.spec;
        let runner = program.entry_class.as_deref() == Some(SQL_RUNNER_CLASS);
        let scrub = |e: FlinkError| {
            e.scrubbed(|m| {
                let m = resolved.redactor.scrub(m);
                if runner { runner_line(&m) } else { m }
            })
        };
        let jar = flink.upload_jar(&program.jar).await.map_err(scrub)?;
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
        if keep_jar && result.is_ok() {
            return Ok(Some(jar));
        }
        // The submitted job no longer needs the uploaded jar.
        if let Err(e) = flink.delete_jar(&jar).await {
            warn!(jar = %jar, error = %e, "could not delete uploaded jar");
        }
        result.map(|_| None)
    }
}

/// The SQL runner's own line in a refused run's message (`fjc-sql: statement N
/// (line L): <Flink's message>`), without Flink's wrapping exceptions; the whole
/// message when the runner has none.
fn runner_line(message: &str) -> String {
    let Some(at) = message.find("fjc-sql: ") else {
        return message.to_string();
    };
    let line = &message[at + "fjc-sql: ".len()..];
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
    }
}
