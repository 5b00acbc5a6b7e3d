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
