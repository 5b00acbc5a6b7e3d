//! The snapshot publisher port: where snapshots go ([`SnapshotPublisher`]), how
//! they are encoded, and how publishing fails. The adapters (`dir`, `s3`) and
//! their composition (`publish`) build on it.

use std::future::Future;

use fjc_snapshot::Snapshot;
use thiserror::Error;

mod encoding;

pub use encoding::{
    DocumentRef, Encoded, EncodedDocument, EncodedOverview, Published, content_sha256, encode,
};

/// Publishing failed. Never fails a cycle: it is logged and reported.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// The snapshot could not be encoded.
    #[error("cannot encode the snapshot: {0}")]
    Encode(String),
    /// A local file operation failed.
    #[error("{target}: {message}")]
    Io {
        /// The file or directory.
        target: String,
        /// What failed.
        message: String,
    },
    /// S3 refused or did not answer.
    #[error("{target}: {message}")]
    S3 {
        /// `s3://bucket/key`.
        target: String,
        /// What failed.
        message: String,
    },
}

impl PublishError {
    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            PublishError::Encode(_) => "encode",
            PublishError::Io { .. } => "io",
            PublishError::S3 { .. } => "s3",
        }
    }
}

/// Where snapshots go.
pub trait SnapshotPublisher: Send + Sync {
    /// The published document, if there is one this version can read (read once
    /// per process, to seed the job histories; see [`super::history`]).
    fn previous(&self) -> impl Future<Output = Result<Option<Snapshot>, PublishError>> + Send;
    /// What is published now, if anything (`None` also for an unreadable document,
    /// which is then replaced).
    fn published(&self) -> impl Future<Output = Result<Option<Published>, PublishError>> + Send;
    /// Replaces the published overview.
    fn put(&self, doc: &Encoded) -> impl Future<Output = Result<(), PublishError>> + Send;
    /// Writes (or replaces) the document at `key`
    /// ([`job_document_key`](fjc_snapshot::job_document_key)).
    fn put_document(
        &self,
        key: &str,
        json: &[u8],
    ) -> impl Future<Output = Result<(), PublishError>> + Send;
    /// Deletes the document at `key` (done when it is not there).
    fn delete_document(&self, key: &str) -> impl Future<Output = Result<(), PublishError>> + Send;
    /// Where, for logs (`/dir/snapshot.json`, `s3://bucket/snapshot.json`).
    fn target(&self) -> String;
}

/// Whether a publish wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The document was written.
    Written,
    /// Same content and a recent enough heartbeat: nothing written.
    Unchanged,
}
