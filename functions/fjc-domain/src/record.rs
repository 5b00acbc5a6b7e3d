//! A stored spec with what `apply` computed for it: the planner's input, the
//! store's item.

use fjc_spec::{Fingerprint, JobSpec};
use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;

/// A stored spec with what `apply` computed for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecRecord {
    /// The spec as validated.
    pub spec: JobSpec,
    /// Fingerprint of spec + artifact digest.
    pub fingerprint: Fingerprint,
    /// `sha256:<hex>` of the artifact bytes at apply time.
    pub artifact_digest: String,
    /// Object version of the artifact (S3 version id), when the source has versions.
    pub artifact_version: Option<String>,
    /// Signature check and the last refused upload.
    pub trust: ArtifactTrust,
    /// When it was last written.
    pub updated_at: EpochMs,
    /// Optimistic version (0 = not stored yet).
    pub version: u64,
}

/// For tests: stream job `a` (artifact `x.jar`) with the top-level fields of
/// `extra` laid over it, stored with fingerprint `fingerprint`.
#[cfg(test)]
pub(crate) fn test_record(fingerprint: &str, extra: serde_json::Value) -> SpecRecord {
    let mut json = serde_json::json!({
        "job_id": "a", "job_type": "stream", "artifact_path": "x.jar"
    });
    if let (Some(base), Some(more)) = (json.as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    SpecRecord {
        spec: serde_json::from_value(json).expect("a test spec"),
        fingerprint: Fingerprint(fingerprint.to_string()),
        artifact_digest: "sha256:00".into(),
        artifact_version: None,
        trust: ArtifactTrust::default(),
        updated_at: 0,
        version: 1,
    }
}

/// What was verified about a spec's artifact beyond its digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactTrust {
    /// The detached ed25519 signature (base64) the bytes verified with; the
    /// executor checks it again before every upload to Flink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Id of the trusted key that verified it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The last upload that was refused (cleared when one is accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<ArtifactRefusal>,
}

/// An artifact upload that was not accepted: the job keeps its current version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRefusal {
    /// When.
    pub at: EpochMs,
    /// Digest of the refused bytes, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Their S3 version id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Why.
    pub reason: String,
}

/// Who changed a spec, what, when, and the fingerprints from → to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Spec job id.
    pub job_id: String,
    /// When.
    pub at: EpochMs,
    /// Caller identity (IAM ARN, or `local:<user>@<host>`).
    pub actor: String,
    /// `create`, `update`, `delete`, `suspend`, `resume` (spec changes), `restart`,
    /// `savepoint`, `rollback` (operator commands), `artifact-update`.
    pub action: String,
    /// Fingerprint before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Fingerprint after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// More about it (e.g. the artifact version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
