//! Local adapter: `<dir>/snapshot.json` and `<dir>/jobs/<job>.json`, each replaced
//! atomically (temp file + rename) so a reader never sees half a document.

use std::path::{Path, PathBuf};

use fjc_snapshot::Snapshot;

use super::port::{Encoded, PublishError, Published, SnapshotPublisher, content_sha256};

/// File name of the snapshot in a directory or bucket.
pub const SNAPSHOT_FILE: &str = "snapshot.json";

/// Publishes into a local directory (created when missing).
#[derive(Debug, Clone)]
pub struct DirPublisher {
    dir: PathBuf,
}

impl DirPublisher {
    /// Publishes to `<dir>/snapshot.json`.
    pub fn new(dir: PathBuf) -> Self {
        DirPublisher { dir }
    }

    /// The document's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILE)
    }

    fn io(&self, what: &str, e: std::io::Error) -> PublishError {
        io_error(&self.path(), what, e)
    }

    /// Writes `path` by a temporary file in its directory and a rename.
    async fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
        let dir = path.parent().unwrap_or(&self.dir);
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| io_error(dir, "create directory", e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let nonce: u32 = rand::random();
        let temp = dir.join(format!(".{name}.{}.{nonce:08x}.tmp", std::process::id()));
        if let Err(e) = tokio::fs::write(&temp, bytes).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(io_error(path, "write", e));
        }
        if let Err(e) = tokio::fs::rename(&temp, path).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(io_error(path, "rename", e));
        }
        Ok(())
    }
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> PublishError {
    PublishError::Io {
        target: path.display().to_string(),
        message: format!("{what}: {e}"),
    }
}

impl SnapshotPublisher for DirPublisher {
    async fn previous(&self) -> Result<Option<Snapshot>, PublishError> {
        let bytes = match tokio::fs::read(self.path()).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("read", e)),
        };
        // An unreadable or foreign document is simply replaced.
        Ok(serde_json::from_slice::<Snapshot>(&bytes).ok())
    }

    async fn published(&self) -> Result<Option<Published>, PublishError> {
        let Some(old) = self.previous().await? else {
            return Ok(None);
        };
        Ok(Some(Published {
            content_sha256: content_sha256(&old)?,
            heartbeat_at: old.controller.heartbeat_at,
        }))
    }

    async fn put(&self, doc: &Encoded) -> Result<(), PublishError> {
        self.write(&self.path(), &doc.json).await
    }

    async fn put_document(&self, key: &str, json: &[u8]) -> Result<(), PublishError> {
        self.write(&self.dir.join(key), json).await
    }

    async fn delete_document(&self, key: &str) -> Result<(), PublishError> {
        let path = self.dir.join(key);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&path, "delete", e)),
        }
    }

    fn target(&self) -> String {
        self.path().display().to_string()
    }
}
