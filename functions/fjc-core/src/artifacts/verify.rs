//! Deciding whether an artifact may run: its digest against the spec's pinned
//! `artifact_signature`, and (with `security.artifact_verification`) its detached
//! ed25519 signature against the trusted keys. One streaming pass each; the jar is
//! never whole in memory.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fjc_spec::{ArtifactType, JobSpec};

use super::signature::{TrustedKeys, parse_signature, verify_file};
use super::{ArtifactError, ArtifactInfo, ArtifactSource, FetchedArtifact};
use crate::store::ArtifactTrust;

/// An artifact accepted for a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Digest, version, size.
    pub info: ArtifactInfo,
    /// The signature it verified with (when verification is on).
    pub trust: ArtifactTrust,
}

/// An artifact refused for a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// What was read, when the bytes could be read.
    pub info: Option<ArtifactInfo>,
    /// The reason, for status and logs.
    pub error: ArtifactError,
}

/// Fetches the current bytes of `spec.artifact_path` and checks them.
pub async fn verify_artifact<A: ArtifactSource>(
    artifacts: &A,
    keys: &TrustedKeys,
    spec: &JobSpec,
) -> Result<Verified, Refused> {
    let path = &spec.artifact_path;
    let fetched = artifacts
        .fetch(path, None)
        .await
        .map_err(|error| Refused { info: None, error })?;
    let refuse = |error: ArtifactError| Refused {
        info: Some(fetched.info.clone()),
        error,
    };
    if let Some(expected) = &spec.artifact_signature
        && expected != &fetched.info.digest
    {
        return Err(refuse(ArtifactError::DigestMismatch {
            path: path.clone(),
            expected: expected.clone(),
            actual: fetched.info.digest.clone(),
        }));
    }
    let mut trust = ArtifactTrust::default();
    if spec.security.artifact_verification {
        let sig = match artifacts.fetch_signature(path).await {
            Ok(Some(sig)) => sig,
            Ok(None) => {
                return Err(refuse(ArtifactError::Unverified {
                    path: path.clone(),
                    reason: format!("unsigned: no detached signature at {path}.sig"),
                }));
            }
            Err(e) => return Err(refuse(e)),
        };
        let signature = parse_signature(&sig).map_err(|e| {
            refuse(ArtifactError::Unverified {
                path: path.clone(),
                reason: e.to_string(),
            })
        })?;
        let key = check_file(&fetched, &signature, keys, path)
            .await
            .map_err(refuse)?;
        trust.signature = Some(STANDARD.encode(signature.to_bytes()));
        trust.signed_by = Some(key);
    }
    runnable(&fetched, spec).await.map_err(refuse)?;
    Ok(Verified {
        info: fetched.info.clone(),
        trust,
    })
}

/// The largest SQL script accepted: it travels base64-encoded in the run request.
pub const MAX_SQL_SCRIPT_BYTES: u64 = 512 * 1024;

/// The largest PyFlink program (`.py` script or `.zip` package) accepted: it
/// travels base64-encoded in the run request, well under Flink's REST limit.
pub const MAX_PYTHON_BYTES: u64 = 8 * 1024 * 1024;

/// Whether the fetched artifact can run as the spec's artifact type says: a SQL
/// script passes the offline check ([`fjc_spec::sql::check`]); a PyFlink script
/// is non-empty UTF-8 text, a package a zip archive, each within
/// [`MAX_PYTHON_BYTES`]. (Python itself judges the code when the job starts: an
/// import error ends the run with Python's own line.)
pub async fn runnable(fetched: &FetchedArtifact, spec: &JobSpec) -> Result<(), ArtifactError> {
    let path = &spec.artifact_path;
    let unrunnable = |reason: String| ArtifactError::Unrunnable {
        path: path.clone(),
        reason,
    };
    let kind = spec.artifact_kind().map_err(unrunnable)?;
    let limit = match kind {
        ArtifactType::Jar => return Ok(()),
        ArtifactType::Sql => MAX_SQL_SCRIPT_BYTES,
        ArtifactType::Python => MAX_PYTHON_BYTES,
    };
    if fetched.info.size > limit {
        return Err(unrunnable(format!(
            "the {} program is {} bytes; at most {limit} are accepted",
            kind.as_str(),
            fetched.info.size
        )));
    }
    let bytes = tokio::fs::read(&fetched.path)
        .await
        .map_err(|e| ArtifactError::Io {
            path: path.clone(),
            message: e.to_string(),
            retryable: true,
        })?;
    fjc_spec::program::check(spec, &bytes).map_err(unrunnable)
}

/// Checks fetched bytes against a signature recorded earlier (base64); returns
/// the id of the key that verified it.
pub async fn check_signature(
    fetched: &FetchedArtifact,
    signature_b64: Option<&str>,
    keys: &TrustedKeys,
    path: &str,
) -> Result<String, ArtifactError> {
    let unverified = |reason: String| ArtifactError::Unverified {
        path: path.to_string(),
        reason,
    };
    let b64 = signature_b64.ok_or_else(|| {
        unverified("no verified signature is recorded (re-apply the spec)".into())
    })?;
    let raw = STANDARD
        .decode(b64)
        .map_err(|e| unverified(format!("recorded signature: {e}")))?;
    let signature = parse_signature(&raw).map_err(|e| unverified(e.to_string()))?;
    check_file(fetched, &signature, keys, path).await
}

async fn check_file(
    fetched: &FetchedArtifact,
    signature: &ed25519_dalek::Signature,
    keys: &TrustedKeys,
    path: &str,
) -> Result<String, ArtifactError> {
    verify_file(&fetched.path, signature, keys)
        .await
        .map_err(|e| match e {
            super::signature::SignatureError::Io { message, .. } => ArtifactError::Io {
                path: path.to_string(),
                message,
                retryable: true,
            },
            other => ArtifactError::Unverified {
                path: path.to_string(),
                reason: other.to_string(),
            },
        })
}
