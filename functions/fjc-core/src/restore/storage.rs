//! Checkpoint storage, read only: which subdirectories of a directory hold a
//! complete restore point (`_metadata`), and since when. `file:` (and plain
//! absolute paths) are read from the local file system, `s3://` (and Flink's
//! `s3a://` / `s3p://` names for the same store) through an [`ObjectStore`] (the
//! S3 adapter is `fjc_aws::s3::S3Checkpoints`). Any other scheme is refused by
//! name.

use std::fmt;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use futures::future::BoxFuture;
use thiserror::Error;

use crate::clock::EpochMs;

/// The file that makes a checkpoint or savepoint directory complete.
pub const METADATA: &str = "_metadata";

/// Reading checkpoint storage failed.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum StorageError {
    /// A location with a scheme this controller cannot read.
    #[error(
        "{location}: checkpoint storage scheme {scheme:?} is not supported (file: and s3:// are)"
    )]
    Scheme {
        /// The location.
        location: String,
        /// Its scheme.
        scheme: String,
    },
    /// An `s3://` location without an S3 client configured.
    #[error("{location}: no S3 client configured")]
    NoS3 {
        /// The location.
        location: String,
    },
    /// The file system or S3 refused or failed.
    #[error("{location}: {message}")]
    Io {
        /// The location.
        location: String,
        /// What failed.
        message: String,
    },
}

impl StorageError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Io { .. })
    }
}

/// An object as checkpoint storage needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its key.
    pub key: String,
    /// When it was last written, epoch ms (0 when the store does not say).
    pub modified_at: EpochMs,
}

/// The object store behind `s3://` locations: the two reads [`Storage`] makes.
/// Object-safe, so a [`Storage`] holds whichever adapter the process wired.
/// An error is the service's own message; [`Storage`] adds the location.
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Every object of `bucket` whose key starts with `prefix` (all pages).
    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StoredObject>, String>>;
    /// Whether the object `key` of `bucket` exists.
    fn exists<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<bool, String>>;
}

/// A location split into where it lives.
enum Place<'a> {
    Local(&'a str),
    S3 { bucket: &'a str, key: &'a str },
}

fn place(location: &str) -> Result<Place<'_>, StorageError> {
    if let Some(rest) = location.strip_prefix("file://") {
        return Ok(Place::Local(rest));
    }
    if let Some(rest) = location.strip_prefix("file:") {
        return Ok(Place::Local(rest));
    }
    if location.starts_with('/') {
        return Ok(Place::Local(location));
    }
    for scheme in ["s3://", "s3a://", "s3p://"] {
        if let Some(rest) = location.strip_prefix(scheme) {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            return Ok(Place::S3 {
                bucket,
                key: key.trim_end_matches('/'),
            });
        }
    }
    Err(StorageError::Scheme {
        location: location.to_string(),
        scheme: location
            .split_once(':')
            .map_or_else(|| location.to_string(), |(s, _)| s.to_string()),
    })
}

/// Reads checkpoint storage.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    s3: Option<Arc<dyn ObjectStore>>,
}

impl Storage {
    /// Local file system only (`s3://` locations are refused).
    pub fn local() -> Storage {
        Storage { s3: None }
    }

    /// Local file system, and `s3://` locations through `objects`.
    pub fn with_s3(objects: impl ObjectStore + 'static) -> Storage {
        Storage {
            s3: Some(Arc::new(objects)),
        }
    }

    fn s3(&self, location: &str) -> Result<&dyn ObjectStore, StorageError> {
        self.s3.as_deref().ok_or_else(|| StorageError::NoS3 {
            location: location.to_string(),
        })
    }

    /// The subdirectories of `dir` whose name starts with `prefix` and that hold a
    /// `_metadata` file: `(location, modification time of _metadata)`. A missing
    /// `dir` has none.
    pub async fn complete_under(
        &self,
        dir: &str,
        prefix: &str,
    ) -> Result<Vec<(String, EpochMs)>, StorageError> {
        let base = canonical(dir.trim_end_matches('/'));
        match place(dir)? {
            Place::Local(path) => {
                let path = path.to_string();
                let prefix = prefix.to_string();
                let found = tokio::task::spawn_blocking(move || local_complete(&path, &prefix))
                    .await
                    .map_err(|e| io(dir, e.to_string()))?
                    .map_err(|e| io(dir, e))?;
                Ok(found
                    .into_iter()
                    .map(|(name, at)| (format!("{base}/{name}"), at))
                    .collect())
            }
            Place::S3 { bucket, key } => {
                let objects = self.s3(dir)?;
                let list_prefix = if key.is_empty() {
                    prefix.to_string()
                } else {
                    format!("{key}/{prefix}")
                };
                let listed = objects
                    .list(bucket, &list_prefix)
                    .await
                    .map_err(|e| io(dir, e))?;
                let mut out = Vec::new();
                for o in &listed {
                    let k = o.key.as_str();
                    let rel = if key.is_empty() {
                        k
                    } else {
                        k.strip_prefix(key).map_or(k, |r| r.trim_start_matches('/'))
                    };
                    // Exactly `<name>/_metadata` one level below `dir`.
                    let Some((name, METADATA)) = rel.split_once('/') else {
                        continue;
                    };
                    out.push((format!("{base}/{name}"), o.modified_at));
                }
                Ok(out)
            }
        }
    }

    /// Whether `location` is a complete restore point (its `_metadata` exists).
    pub async fn is_complete(&self, location: &str) -> Result<bool, StorageError> {
        match place(location)? {
            Place::Local(path) => {
                let file = std::path::Path::new(path).join(METADATA);
                match tokio::fs::metadata(&file).await {
                    Ok(m) => Ok(m.is_file()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(io(location, e.to_string())),
                }
            }
            Place::S3 { bucket, key } => {
                let objects = self.s3(location)?;
                let object = if key.is_empty() {
                    METADATA.to_string()
                } else {
                    format!("{key}/{METADATA}")
                };
                objects
                    .exists(bucket, &object)
                    .await
                    .map_err(|e| io(location, e))
            }
        }
    }
}

/// A location as Flink writes it: `file:///abs/path` (as `/jobmanager/config`
/// reports a directory) becomes `file:/abs/path` (as Flink reports checkpoints and
/// savepoints), so one place has one spelling.
pub fn canonical(location: &str) -> String {
    match location.strip_prefix("file://") {
        Some(rest) if rest.starts_with('/') => format!("file:{rest}"),
        _ => location.to_string(),
    }
}

fn io(location: &str, message: String) -> StorageError {
    StorageError::Io {
        location: location.to_string(),
        message,
    }
}

/// `(name, mtime of name/_metadata)` for the subdirectories of `dir` starting with
/// `prefix` that have a `_metadata` file.
fn local_complete(dir: &str, prefix: &str) -> Result<Vec<(String, EpochMs)>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !name.starts_with(prefix) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(entry.path().join(METADATA)) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let at = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .unwrap_or(0);
        out.push((name, at));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_directories_with_metadata_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let job = dir.path().join("abc");
        for (name, complete) in [("chk-3", true), ("chk-4", false), ("shared", false)] {
            std::fs::create_dir_all(job.join(name)).expect("mkdir");
            if complete {
                std::fs::write(job.join(name).join(METADATA), b"x").expect("write");
            }
        }
        let storage = Storage::local();
        let url = format!("file:{}", job.display());
        let found = storage.complete_under(&url, "chk-").await.expect("list");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, format!("{url}/chk-3"));
        assert!(found[0].1 > 0);
        assert!(storage.is_complete(&found[0].0).await.expect("stat"));
        assert!(
            !storage
                .is_complete(&format!("{url}/chk-4"))
                .await
                .expect("stat")
        );
        assert_eq!(canonical("file:///ck/a"), "file:/ck/a");
        assert_eq!(canonical("s3://b/ck"), "s3://b/ck");
        let triple = format!("file://{}", job.display());
        let found = storage.complete_under(&triple, "chk-").await.expect("list");
        assert_eq!(found[0].0, format!("{url}/chk-3"), "one spelling");
        let gone = format!("file://{}/nope", dir.path().display());
        assert!(
            storage
                .complete_under(&gone, "chk-")
                .await
                .expect("list")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn other_schemes_are_refused_by_name() {
        let e = Storage::local()
            .complete_under("hdfs://nn/flink/checkpoints", "chk-")
            .await
            .expect_err("refused");
        assert!(e.to_string().contains("\"hdfs\" is not supported"), "{e}");
        let e = Storage::local()
            .is_complete("s3://bucket/sp/savepoint-1")
            .await
            .expect_err("no client");
        assert!(matches!(e, StorageError::NoS3 { .. }));
    }
}
