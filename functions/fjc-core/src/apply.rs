//! `fjc apply`: store validated specs, each with its verified artifact digest,
//! signature and fingerprint, and an audit entry.
//!
//! All specs are checked first (duplicate ids, namespace policy, artifact
//! present, digest matching `artifact_signature`, detached signature when
//! `security.artifact_verification` is on); if any check fails nothing is written.

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt, TryStreamExt};

use fjc_spec::{JobSpec, fingerprint};

use crate::artifacts::{ArtifactError, ArtifactSource, verify_artifact};
use crate::audit;
use crate::clock::Clock;
use crate::error::CoreError;
use crate::policy::Security;
use crate::store::{SpecRecord, SpecStore};

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

/// Who applies, and under which rules.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// Caller identity for the audit trail.
    pub actor: &'a str,
    /// Policy and trusted keys.
    pub security: &'a Security,
}

/// Problems of specs against policy (per spec, and `max_jobs` counting the
/// stored specs these do not replace), as `source: field: reason` lines.
pub fn policy_problems(
    security: &Security,
    specs: &[SourcedSpec],
    stored: &[JobSpec],
) -> Vec<String> {
    let mut problems = Vec::new();
    for s in specs {
        for p in security.check_spec(&s.spec) {
            problems.push(format!("{}: {p}", s.source));
        }
    }
    let mut all: BTreeMap<&str, &JobSpec> = stored.iter().map(|s| (s.job_id.as_str(), s)).collect();
    for s in specs {
        all.insert(&s.spec.job_id, &s.spec);
    }
    let over = security.over_quota(all.values().copied());
    for s in specs {
        if let Some(reason) = over.get(&s.spec.job_id) {
            problems.push(format!("{}: {reason}", s.source));
        }
    }
    problems
}

/// Checks every spec, then writes those that changed.
pub async fn apply<S: SpecStore, A: ArtifactSource, C: Clock>(
    store: &S,
    artifacts: &A,
    clock: &C,
    caller: Caller<'_>,
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
    if caller.security.enforces_namespaces() {
        let stored: Vec<JobSpec> = store
            .list_specs()
            .await?
            .into_iter()
            .map(|r| r.spec)
            .collect();
        problems.extend(policy_problems(caller.security, &specs, &stored));
    }
    if !problems.is_empty() {
        return Err(CoreError::Spec(problems.join("\n")));
    }
    // Concurrently, in the given order: a fleet's specs are applied in about
    // the time of the slowest few store round trips, not of all of them.
    let verified: Vec<_> = stream::iter(specs)
        .map(|s| async move {
            let v = verify_artifact(artifacts, &caller.security.trusted_keys, &s.spec).await;
            (s, v)
        })
        .buffered(APPLY_CONCURRENCY)
        .collect()
        .await;
    let mut records = Vec::new();
    for (s, verified) in verified {
        let verified = match verified {
            Ok(v) => v,
            Err(refused) => {
                problems.push(format!("{}: {}", s.source, describe(&refused.error)));
                continue;
            }
        };
        records.push(SpecRecord {
            fingerprint: fingerprint(&s.spec, &verified.info.digest),
            spec: s.spec,
            artifact_digest: verified.info.digest,
            artifact_version: verified.info.version,
            trust: verified.trust,
            updated_at: clock.now_ms(),
            version: 0,
        });
    }
    if !problems.is_empty() {
        return Err(CoreError::Spec(problems.join("\n")));
    }

    stream::iter(records)
        .map(|record| store_one(store, clock, &caller, record))
        .buffered(APPLY_CONCURRENCY)
        .try_collect()
        .await
}

/// How many specs `apply` verifies or stores at once.
const APPLY_CONCURRENCY: usize = 16;

/// Stores one verified spec (unless unchanged), with its audit entry.
async fn store_one<S: SpecStore, C: Clock>(
    store: &S,
    clock: &C,
    caller: &Caller<'_>,
    mut record: SpecRecord,
) -> Result<Applied, CoreError> {
    let existing = store.get_spec(&record.spec.job_id).await?;
    let job_id = record.spec.job_id.clone();
    let to = record.fingerprint.0.clone();
    let outcome = match &existing {
        Some(e)
            if e.fingerprint == record.fingerprint
                && e.spec == record.spec
                && e.artifact_version == record.artifact_version
                && e.trust == record.trust =>
        {
            ApplyOutcome::Unchanged
        }
        Some(e) => {
            record.version = e.version;
            let (action, detail) =
                update_action(&e.spec, &record.spec, e.fingerprint != record.fingerprint);
            let mut entry = audit::entry(
                &job_id,
                clock.now_ms(),
                caller.actor,
                action,
                Some(&e.fingerprint.0),
                Some(&to),
            );
            entry.detail = detail;
            store
                .put_spec(&record, Some(&e.spec.artifact_path), Some(&entry))
                .await?;
            ApplyOutcome::Updated
        }
        None => {
            let entry = audit::entry(
                &job_id,
                clock.now_ms(),
                caller.actor,
                "create",
                None,
                Some(&to),
            );
            store.put_spec(&record, None, Some(&entry)).await?;
            ApplyOutcome::Created
        }
    };
    Ok(Applied {
        job_id,
        outcome,
        fingerprint: to,
    })
}

/// Whether a spec asks for its job to be stopped: `desired_state: suspended` (stream)
/// or `batch_config.suspend` (batch).
fn suspended(spec: &fjc_spec::JobSpec) -> bool {
    !spec.desired_state.is_running() || spec.batch_config.as_ref().is_some_and(|b| b.suspend)
}

/// The audit action of replacing spec `old` by `new`: `suspend` or `resume` when
/// that is all that changed, else `update` (noting a suspend or resume that came
/// with it).
fn update_action(
    old: &fjc_spec::JobSpec,
    new: &fjc_spec::JobSpec,
    fingerprint_changed: bool,
) -> (&'static str, Option<String>) {
    let toggled = match (suspended(old), suspended(new)) {
        (false, true) => Some("suspend"),
        (true, false) => Some("resume"),
        _ => None,
    };
    match toggled {
        None => ("update", None),
        Some(t) if !fingerprint_changed => (t, None),
        Some(t) => ("update", Some(format!("with {t}"))),
    }
}

/// `field: reason` for a refused artifact.
fn describe(e: &ArtifactError) -> String {
    match e {
        ArtifactError::NotFound { .. } => {
            format!("artifact_path: {e} (upload the artifact before applying)")
        }
        ArtifactError::DigestMismatch {
            path,
            expected,
            actual,
        } => format!(
            "artifact_signature: {expected} does not match the artifact at {path} ({actual})"
        ),
        ArtifactError::Unverified { .. } => format!("security.artifact_verification: {e}"),
        _ => format!("artifact_path: {e}"),
    }
}

/// Deletes a spec; the next reconcile cancels its job.
pub async fn delete<S: SpecStore, C: Clock>(
    store: &S,
    clock: &C,
    actor: &str,
    job_id: &str,
) -> Result<(), CoreError> {
    let existing = store
        .get_spec(job_id)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("no spec with job_id {job_id}")))?;
    let entry = audit::entry(
        job_id,
        clock.now_ms(),
        actor,
        "delete",
        Some(&existing.fingerprint.0),
        None,
    );
    store.delete_spec(&existing, Some(&entry)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::update_action;

    fn spec(extra: serde_json::Value) -> fjc_spec::JobSpec {
        let mut v =
            serde_json::json!({"job_id": "j", "job_type": "stream", "artifact_path": "a.jar"});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        serde_json::from_value(v).expect("spec")
    }

    #[test]
    fn suspend_and_resume_have_their_own_action() {
        let running = spec(serde_json::json!({}));
        let suspended = spec(serde_json::json!({"desired_state": "suspended"}));
        assert_eq!(
            update_action(&running, &suspended, false),
            ("suspend", None)
        );
        assert_eq!(update_action(&suspended, &running, false), ("resume", None));
        assert_eq!(
            update_action(&running, &suspended, true),
            ("update", Some("with suspend".into()))
        );
        assert_eq!(update_action(&running, &running, true), ("update", None));
        let batch = |suspend: bool| {
            let mut s = spec(serde_json::json!({"job_type": "batch",
                "batch_config": {"cron": "0 2 * * *", "suspend": suspend}}));
            s.stream_config = None;
            s
        };
        assert_eq!(
            update_action(&batch(false), &batch(true), true),
            ("update", Some("with suspend".into()))
        );
        assert_eq!(
            update_action(&batch(true), &batch(false), false),
            ("resume", None)
        );
    }
}
