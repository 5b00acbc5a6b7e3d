//! Local adapter: `<dir>/snapshot.json`, replaced atomically (temp file + rename) so
//! a reader never sees half a document.

use std::path::PathBuf;

use fjc_snapshot::Snapshot;

use super::publish::{Encoded, PublishError, Published, SnapshotPublisher, content_sha256};

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
        PublishError::Io {
            target: self.path().display().to_string(),
            message: format!("{what}: {e}"),
        }
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
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| self.io("create directory", e))?;
        let nonce: u32 = rand::random();
        let temp = self.dir.join(format!(
            ".{SNAPSHOT_FILE}.{}.{nonce:08x}.tmp",
            std::process::id()
        ));
        if let Err(e) = tokio::fs::write(&temp, &doc.json).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(self.io("write", e));
        }
        if let Err(e) = tokio::fs::rename(&temp, self.path()).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(self.io("rename", e));
        }
        Ok(())
    }

    fn target(&self) -> String {
        self.path().display().to_string()
    }
}
