//! The artifact port: where job jars come from, and their digests.

mod digest;
mod roots;
pub mod signature;
mod verify;

use std::future::Future;
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use digest::{sha256_bytes, sha256_file};
pub use roots::ArtifactRoots;
pub use verify::{Refused, Verified, check_signature, verify_artifact};

/// Where a spec's `artifact_path` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactLocation {
    /// A path relative to one of the configured artifact roots.
    Local(PathBuf),
    /// An S3 object.
    S3 {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
    },
}

impl ArtifactLocation {
    /// Parses `s3://bucket/key` or a relative local path.
    pub fn parse(path: &str) -> Result<ArtifactLocation, ArtifactError> {
        if let Some(rest) = path.strip_prefix("s3://") {
            return match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                    Ok(ArtifactLocation::S3 {
                        bucket: bucket.to_string(),
                        key: key.to_string(),
                    })
                }
                _ => Err(ArtifactError::BadPath {
                    path: path.to_string(),
                    reason: "expected s3://bucket/key".into(),
                }),
            };
        }
        if path.contains("://") {
            return Err(ArtifactError::BadPath {
                path: path.to_string(),
                reason: "only s3:// and paths below the artifact root are supported".into(),
            });
        }
        let p = Path::new(path);
        if p.is_absolute()
            || p.components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(ArtifactError::BadPath {
                path: path.to_string(),
                reason: "a local artifact path must be relative to the artifact root, \
                         without `..` or `.`"
                    .into(),
            });
        }
        Ok(ArtifactLocation::Local(p.to_path_buf()))
    }
}

/// What `apply` learns about an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactInfo {
    /// `sha256:<hex>`.
    pub digest: String,
    /// S3 version id, when the bucket is versioned.
    pub version: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

/// A jar on local disk, ready to upload. A downloaded copy is removed on drop.
#[derive(Debug)]
pub struct FetchedArtifact {
    /// Where the jar is.
    pub path: PathBuf,
    /// Its digest and version.
    pub info: ArtifactInfo,
    /// Keeps a downloaded temporary file alive.
    pub _temp: Option<tempfile::TempPath>,
}

/// Artifact errors.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ArtifactError {
    /// The path is not acceptable.
    #[error("artifact path {path:?}: {reason}")]
    BadPath {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// No such artifact.
    #[error("artifact {path} not found")]
    NotFound {
        /// The path.
        path: String,
    },
    /// Local artifacts are used but no root is configured.
    #[error(
        "artifact {path} is local but no artifact root is configured (set FJC_ARTIFACT_ROOT or artifacts.roots)"
    )]
    NoRoot {
        /// The path.
        path: String,
    },
    /// The bytes are not the expected ones.
    #[error("artifact {path} digest mismatch: expected {expected}, found {actual}")]
    DigestMismatch {
        /// The path.
        path: String,
        /// Expected digest.
        expected: String,
        /// Actual digest.
        actual: String,
    },
    /// The bytes are not signed by a trusted key (or the signature is missing).
    #[error("artifact {path} is not verified: {reason}")]
    Unverified {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The artifact cannot run as its job type says (a SQL script that is empty
    /// or holds a client-only command, a type not supported).
    #[error("artifact {path}: {reason}")]
    Unrunnable {
        /// The path.
        path: String,
        /// Why, naming the statement and its line for a script.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("artifact {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What happened.
        message: String,
        /// Whether trying again may help.
        retryable: bool,
    },
}

impl ArtifactError {
    /// Whether a later attempt may succeed without a spec change (the object may
    /// appear, or be re-uploaded with the right bytes).
    pub fn is_retryable(&self) -> bool {
        match self {
            ArtifactError::NotFound { .. } | ArtifactError::DigestMismatch { .. } => true,
            ArtifactError::Io { retryable, .. } => *retryable,
            ArtifactError::BadPath { .. }
            | ArtifactError::NoRoot { .. }
            | ArtifactError::Unverified { .. }
            | ArtifactError::Unrunnable { .. } => false,
        }
    }

    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ArtifactError::BadPath { .. } => "bad_path",
            ArtifactError::NotFound { .. } => "not_found",
            ArtifactError::NoRoot { .. } => "no_root",
            ArtifactError::DigestMismatch { .. } => "digest_mismatch",
            ArtifactError::Unverified { .. } => "unverified",
            ArtifactError::Unrunnable { .. } => "unrunnable",
            ArtifactError::Io { .. } => "io",
        }
    }
}

/// Reads artifacts.
pub trait ArtifactSource: Send + Sync {
    /// Digest (streamed, never whole in memory), version and size of an artifact.
    fn describe(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<ArtifactInfo, ArtifactError>> + Send;
    /// The detached signature `<path>.sig` (its latest version), if there is one.
    /// At most 4 KiB is read.
    fn fetch_signature(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, ArtifactError>> + Send;
    /// A local copy of an artifact (the exact `version` when given).
    fn fetch(
        &self,
        path: &str,
        version: Option<&str>,
    ) -> impl Future<Output = Result<FetchedArtifact, ArtifactError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(
            ArtifactLocation::parse("s3://b/k/x.jar").unwrap(),
            ArtifactLocation::S3 {
                bucket: "b".into(),
                key: "k/x.jar".into()
            }
        );
        assert_eq!(
            ArtifactLocation::parse("jobs/x.jar").unwrap(),
            ArtifactLocation::Local("jobs/x.jar".into())
        );
        for bad in [
            "/etc/x.jar",
            "../x.jar",
            "a/../../x.jar",
            "./x.jar",
            "http://h/x.jar",
            "s3://b",
            "s3:///k",
        ] {
            assert!(ArtifactLocation::parse(bad).is_err(), "{bad}");
        }
    }
}
