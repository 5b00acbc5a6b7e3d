//! The real artifact source, an adapter of [`ArtifactSource`]: `s3://` paths
//! from S3, and relative paths from a local root directory (local mode and
//! tests); S3 and file system errors become [`ArtifactError`]s. One adapter for
//! both, as a spec may name either.

use std::path::{Path, PathBuf};

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use fjc_core::artifacts::{
    ArtifactError, ArtifactInfo, ArtifactLocation, ArtifactRoots, ArtifactSource, FetchedArtifact,
    sha256_file,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Artifacts from a local root and/or S3.
#[derive(Debug, Clone)]
pub struct Artifacts {
    roots: ArtifactRoots,
    s3: Option<aws_sdk_s3::Client>,
    tmp_dir: PathBuf,
}

impl Artifacts {
    /// `roots` for local paths, `s3` for `s3://` paths; downloads go to `tmp_dir`.
    pub fn new(roots: ArtifactRoots, s3: Option<aws_sdk_s3::Client>, tmp_dir: PathBuf) -> Self {
        Artifacts { roots, s3, tmp_dir }
    }

    fn local_path(&self, path: &str, rel: &Path) -> Result<PathBuf, ArtifactError> {
        self.roots.resolve(path, rel)
    }

    async fn download(
        &self,
        path: &str,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<FetchedArtifact, ArtifactError> {
        let client = self.s3.as_ref().ok_or_else(|| ArtifactError::Io {
            path: path.to_string(),
            message: "S3 is not configured".into(),
            retryable: false,
        })?;
        let out = client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("NoSuchKey" | "NoSuchBucket" | "NoSuchVersion" | "NotFound") => {
                    ArtifactError::NotFound {
                        path: path.to_string(),
                    }
                }
                _ => ArtifactError::Io {
                    path: path.to_string(),
                    message: format!("S3 get: {}", DisplayErrorContext(&e)),
                    retryable: true,
                },
            })?;
        let version = out.version_id().map(str::to_string);
        tokio::fs::create_dir_all(&self.tmp_dir)
            .await
            .map_err(|e| io_err(path, e))?;
        let temp = tempfile::Builder::new()
            .prefix("fjc-artifact-")
            .suffix(".jar")
            .tempfile_in(&self.tmp_dir)
            .map_err(|e| io_err(path, e))?
            .into_temp_path();
        // Buffered: S3 body chunks are small, and each unbuffered write is a
        // hand-off to a blocking thread.
        let mut file = tokio::io::BufWriter::with_capacity(
            1024 * 1024,
            tokio::fs::File::create(&temp)
                .await
                .map_err(|e| io_err(path, e))?,
        );
        let mut body = out.body;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    hasher.update(&chunk);
                    size += chunk.len() as u64;
                    file.write_all(&chunk).await.map_err(|e| io_err(path, e))?;
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ArtifactError::Io {
                        path: path.to_string(),
                        message: format!("S3 download interrupted: {e}"),
                        retryable: true,
                    });
                }
            }
        }
        file.flush().await.map_err(|e| io_err(path, e))?;
        Ok(FetchedArtifact {
            path: temp.to_path_buf(),
            info: ArtifactInfo {
                digest: format!("sha256:{}", hex::encode(hasher.finalize())),
                version,
                size,
            },
            _temp: Some(temp),
        })
    }
}

fn io_err(path: &str, e: std::io::Error) -> ArtifactError {
    ArtifactError::Io {
        path: path.to_string(),
        message: e.to_string(),
        retryable: true,
    }
}

/// Largest signature file read (an Ed25519 signature is 64 bytes, 88 in base64).
const MAX_SIGNATURE_BYTES: usize = 4096;

fn too_big(path: &str) -> ArtifactError {
    ArtifactError::Unverified {
        path: path.to_string(),
        reason: format!("signature file {path}.sig is larger than {MAX_SIGNATURE_BYTES} bytes"),
    }
}

impl Artifacts {
    async fn s3_signature(
        &self,
        path: &str,
        bucket: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, ArtifactError> {
        let client = self.s3.as_ref().ok_or_else(|| ArtifactError::Io {
            path: path.to_string(),
            message: "S3 is not configured".into(),
            retryable: false,
        })?;
        let out = match client
            .get_object()
            .bucket(bucket)
            .key(format!("{key}.sig"))
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if matches!(e.code(), Some("NoSuchKey" | "NotFound")) => return Ok(None),
            Err(e) => {
                return Err(ArtifactError::Io {
                    path: format!("{path}.sig"),
                    message: format!("S3 get: {}", DisplayErrorContext(&e)),
                    retryable: true,
                });
            }
        };
        let mut body = out.body;
        let mut bytes = Vec::new();
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_SIGNATURE_BYTES {
                        return Err(too_big(path));
                    }
                }
                Ok(None) => return Ok(Some(bytes)),
                Err(e) => {
                    return Err(ArtifactError::Io {
                        path: format!("{path}.sig"),
                        message: format!("S3 download interrupted: {e}"),
                        retryable: true,
                    });
                }
            }
        }
    }
}

impl ArtifactSource for Artifacts {
    async fn fetch_signature(&self, path: &str) -> Result<Option<Vec<u8>>, ArtifactError> {
        match ArtifactLocation::parse(path)? {
            ArtifactLocation::Local(rel) => {
                let mut name = rel.into_os_string();
                name.push(".sig");
                let sig_path = format!("{path}.sig");
                let real = match self.local_path(&sig_path, Path::new(&name)) {
                    Ok(real) => real,
                    Err(ArtifactError::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let meta = tokio::fs::metadata(&real)
                    .await
                    .map_err(|e| io_err(&sig_path, e))?;
                if meta.len() > MAX_SIGNATURE_BYTES as u64 {
                    return Err(too_big(path));
                }
                Ok(Some(
                    tokio::fs::read(&real)
                        .await
                        .map_err(|e| io_err(&sig_path, e))?,
                ))
            }
            ArtifactLocation::S3 { bucket, key } => self.s3_signature(path, &bucket, &key).await,
        }
    }

    async fn describe(&self, path: &str) -> Result<ArtifactInfo, ArtifactError> {
        Ok(self.fetch(path, None).await?.info)
    }

    async fn fetch(
        &self,
        path: &str,
        version: Option<&str>,
    ) -> Result<FetchedArtifact, ArtifactError> {
        match ArtifactLocation::parse(path)? {
            ArtifactLocation::Local(rel) => {
                let real = self.local_path(path, &rel)?;
                let (digest, size) = sha256_file(&real).await.map_err(|e| io_err(path, e))?;
                Ok(FetchedArtifact {
                    path: real,
                    info: ArtifactInfo {
                        digest,
                        version: None,
                        size,
                    },
                    _temp: None,
                })
            }
            ArtifactLocation::S3 { bucket, key } => {
                self.download(path, &bucket, &key, version).await
            }
        }
    }
}
