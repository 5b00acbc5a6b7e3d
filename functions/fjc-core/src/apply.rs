//! `fjc apply`: store validated specs, each with its artifact digest and fingerprint.
//!
//! All specs are checked first (duplicate ids, artifact present, digest matching
//! `artifact_signature`); if any check fails nothing is written.

use std::collections::BTreeMap;

use fjc_spec::{JobSpec, fingerprint};

use crate::artifacts::{ArtifactError, ArtifactSource};
use crate::clock::Clock;
use crate::error::CoreError;
use crate::store::{SpecRecord, Store};

/// What apply did with one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// New spec stored.
    Created,
    /// Existing spec replaced.
    Updated,
    /// Identical to the stored one; nothing written.
    Unchanged,
}

impl ApplyOutcome {
    /// Lower-case word for output.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplyOutcome::Created => "created",
            ApplyOutcome::Updated => "updated",
            ApplyOutcome::Unchanged => "unchanged",
        }
    }
}

/// One applied spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Job id.
    pub job_id: String,
    /// What happened.
    pub outcome: ApplyOutcome,
    /// The stored fingerprint.
    pub fingerprint: String,
}

/// A spec and the file it came from.
#[derive(Debug, Clone)]
pub struct SourcedSpec {
    /// File (or other source) name, for messages.
    pub source: String,
    /// The validated spec.
    pub spec: JobSpec,
}

/// Checks every spec, then writes those that changed.
pub async fn apply<S: Store, A: ArtifactSource, C: Clock>(
    store: &S,
    artifacts: &A,
    clock: &C,
    specs: Vec<SourcedSpec>,
) -> Result<Vec<Applied>, CoreError> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for s in &specs {
        if let Some(first) = seen.insert(s.spec.job_id.clone(), s.source.clone()) {
            problems.push(format!(
                "{}: job_id: {} is also defined in {first}",
                s.source, s.spec.job_id
            ));
        }
    }
    let mut records = Vec::new();
    for s in specs {
        let path = &s.spec.artifact_path;
        let info = match artifacts.describe(path).await {
            Ok(info) => info,
            Err(e) => {
                let hint = match &e {
                    ArtifactError::NotFound { .. } => " (upload the artifact before applying)",
                    _ => "",
                };
                problems.push(format!("{}: artifact_path: {e}{hint}", s.source));
                continue;
            }
        };
        if let Some(expected) = &s.spec.artifact_signature
            && expected != &info.digest
        {
            problems.push(format!(
                "{}: artifact_signature: {expected} does not match the artifact at \
                 {path} ({})",
                s.source, info.digest
            ));
            continue;
        }
        records.push(SpecRecord {
            fingerprint: fingerprint(&s.spec, &info.digest),
            spec: s.spec,
            artifact_digest: info.digest,
            artifact_version: info.version,
            updated_at: clock.now_ms(),
            version: 0,
        });
    }
    if !problems.is_empty() {
        return Err(CoreError::Spec(problems.join("\n")));
    }

    let mut applied = Vec::new();
    for mut record in records {
        let existing = store.get_spec(&record.spec.job_id).await?;
        let outcome = match &existing {
            Some(e)
                if e.fingerprint == record.fingerprint
                    && e.spec == record.spec
                    && e.artifact_version == record.artifact_version =>
            {
                ApplyOutcome::Unchanged
            }
            Some(e) => {
                record.version = e.version;
                store.put_spec(&record).await?;
                ApplyOutcome::Updated
            }
            None => {
                store.put_spec(&record).await?;
                ApplyOutcome::Created
            }
        };
        applied.push(Applied {
            job_id: record.spec.job_id.clone(),
            outcome,
            fingerprint: record.fingerprint.0.clone(),
        });
    }
    Ok(applied)
}

/// Deletes a spec; the next reconcile cancels its job.
pub async fn delete<S: Store>(store: &S, job_id: &str) -> Result<(), CoreError> {
    let existing = store
        .get_spec(job_id)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("no spec with job_id {job_id}")))?;
    store.delete_spec(job_id, existing.version).await?;
    Ok(())
}
