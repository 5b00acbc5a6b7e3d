//! Scripts (SQL, and PyFlink `.py`) kept with their revisions. A script is small
//! and often edited in place (a local file, an unversioned object), so the bytes
//! a revision ran are kept in its revision item: a rollback or a recovery of that revision runs
//! them again, checked against the revision's digest and signature like any
//! fetched artifact, instead of failing on a file that has changed since.

use std::io::Write;

use fjc_spec::ArtifactType;
use tracing::warn;

use super::Executor;
use crate::artifacts::{ArtifactInfo, ArtifactSource, FetchedArtifact, sha256_bytes};
use crate::context::Ports;
use crate::revisions::{KEPT_SCRIPT_MAX_BYTES, Revision};
use crate::store::{HistoryStore, SpecRecord};

fn digest(text: &str) -> String {
    sha256_bytes(text.as_bytes())
}

/// A SQL job, or a PyFlink job run from a script (a `.zip` package is not text:
/// its bytes are fetched from its path again).
fn keeps_script(spec: &fjc_spec::JobSpec) -> bool {
    match spec.artifact_kind() {
        Ok(ArtifactType::Sql) => true,
        Ok(ArtifactType::Python) => spec
            .python
            .as_ref()
            .is_none_or(|p| p.entry_module.is_none()),
        _ => false,
    }
}

impl<P: Ports> Executor<'_, P> {
    /// The script a kept revision of `record`'s fingerprint holds, as a
    /// temporary file to verify and submit; `None` for a jar or package, or when no
    /// revision keeps it (then the artifact is fetched from its path).
    pub(crate) async fn kept_script(&self, record: &SpecRecord) -> Option<FetchedArtifact> {
        if !keeps_script(&record.spec) {
            return None;
        }
        let job_id = &record.spec.job_id;
        let revisions = match self.ctx.store.list_revisions(job_id).await {
            Ok(r) => r,
            Err(e) => {
                warn!(job = %job_id, error = %e, "kept scripts unreadable; fetching the script");
                return None;
            }
        };
        let text = revisions
            .into_iter()
            .filter(|r| r.fingerprint == record.fingerprint)
            .find_map(|r| r.script)?;
        let written = tempfile::NamedTempFile::new().and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.flush()?;
            Ok(file.into_temp_path())
        });
        match written {
            Ok(temp) => Some(FetchedArtifact {
                path: temp.to_path_buf(),
                info: ArtifactInfo {
                    digest: digest(&text),
                    version: None,
                    size: text.len() as u64,
                },
                _temp: Some(temp),
            }),
            Err(e) => {
                warn!(job = %job_id, error = %e, "could not write a kept script; fetching it");
                None
            }
        }
    }

    /// Keeps a SQL or PyFlink revision's script in it before it is written: the text this
    /// drive verified for its fingerprint, or else the artifact fetched again
    /// when its bytes still have the revision's digest. Too large, not UTF-8 or
    /// changed since: not kept (a rollback fetches it from its path then).
    pub(crate) async fn keep_script(&self, revision: &mut Revision, verified: Option<&str>) {
        if revision.script.is_some() || !keeps_script(&revision.spec) {
            return;
        }
        let text = match verified {
            Some(text) => Some(text.to_string()),
            None => self.fetch_script(revision).await,
        };
        revision.script = text
            .filter(|t| t.len() <= KEPT_SCRIPT_MAX_BYTES && digest(t) == revision.artifact_digest);
    }

    async fn fetch_script(&self, revision: &Revision) -> Option<String> {
        let path = &revision.spec.artifact_path;
        let fetched = self
            .ctx
            .artifacts
            .fetch(path, revision.artifact_version.as_deref())
            .await
            .ok()?;
        if fetched.info.digest != revision.artifact_digest {
            return None;
        }
        let bytes = tokio::fs::read(&fetched.path).await.ok()?;
        String::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_are_written_as_the_artifact_source_writes_them() {
        assert_eq!(
            super::digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
