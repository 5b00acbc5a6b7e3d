//! Carrying out a submission: the artifact fetched and checked against its
//! recorded digest and signature, then uploaded and run under the job id the
//! controller chose, with Flink's messages scrubbed of secret values.

use fjc_flink::{FlinkApi, FlinkError, JobId, RunRequest};
use fjc_spec::flink_conf::flink_configuration;
use tracing::warn;

use super::{Executor, Step};
use crate::artifacts::{ArtifactError, ArtifactSource, FetchedArtifact, check_signature};
use crate::context::Ports;
use crate::counted::Counted;
use crate::executor_secrets::ResolvedSpec;
use crate::store::SpecRecord;

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

    /// Uploads the jar and runs it as `job_id`. The jar is deleted afterwards unless
    /// `keep_jar` (then its id is returned, to delete later).
    /// Flink's error messages are scrubbed of the resolved secret values.
    pub(crate) async fn submit(
        &self,
        flink: &Counted<P::Flink>,
        resolved: &ResolvedSpec,
        artifact: &FetchedArtifact,
        job_id: &JobId,
        restore_from: Option<&str>,
        keep_jar: bool,
    ) -> Result<Option<fjc_flink::JarId>, FlinkError> {
        let spec = &resolved.spec;
        let scrub = |e: FlinkError| e.scrubbed(|m| resolved.redactor.scrub(m));
        let jar = flink.upload_jar(&artifact.path).await.map_err(scrub)?;
        let request = RunRequest {
            job_id: Some(job_id.clone()),
            entry_class: spec.entry_class.clone(),
            program_args: spec.args.clone(),
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
