//! The configured snapshot publishers (a local directory, an S3 bucket), the
//! write-only-when-changed rule in `sink`, and the after-cycle hook in `hook`.
//! The port they implement is [`super::port`]; its items are re-exported here.

use fjc_snapshot::Snapshot;

use super::dir::DirPublisher;
use super::s3::S3Publisher;

mod hook;
mod sink;

pub use super::port::{
    Encoded, EncodedDocument, PublishError, PublishOutcome, Published, SnapshotPublisher,
    content_sha256, encode,
};
pub use hook::{Dashboard, PublishReport};
pub use sink::{Documents, Sink};

/// The configured adapters.
#[derive(Debug)]
pub enum Publisher {
    /// A local directory.
    Dir(DirPublisher),
    /// An S3 bucket.
    S3(S3Publisher),
}

impl SnapshotPublisher for Publisher {
    async fn previous(&self) -> Result<Option<Snapshot>, PublishError> {
        match self {
            Publisher::Dir(p) => p.previous().await,
            Publisher::S3(p) => p.previous().await,
        }
    }
    async fn published(&self) -> Result<Option<Published>, PublishError> {
        match self {
            Publisher::Dir(p) => p.published().await,
            Publisher::S3(p) => p.published().await,
        }
    }
    async fn put(&self, doc: &Encoded) -> Result<(), PublishError> {
        match self {
            Publisher::Dir(p) => p.put(doc).await,
            Publisher::S3(p) => p.put(doc).await,
        }
    }
    async fn put_document(&self, key: &str, json: &[u8]) -> Result<(), PublishError> {
        match self {
            Publisher::Dir(p) => p.put_document(key, json).await,
            Publisher::S3(p) => p.put_document(key, json).await,
        }
    }
    async fn delete_document(&self, key: &str) -> Result<(), PublishError> {
        match self {
            Publisher::Dir(p) => p.delete_document(key).await,
            Publisher::S3(p) => p.delete_document(key).await,
        }
    }
    fn target(&self) -> String {
        match self {
            Publisher::Dir(p) => p.target(),
            Publisher::S3(p) => p.target(),
        }
    }
}
