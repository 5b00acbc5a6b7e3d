//! The dashboard's configured targets: a local directory and an S3 bucket as one
//! publisher type, and the after-cycle hook for `config.dashboard`.

use fjc_core::config::Config;
use fjc_core::snapshot::Timing;
use fjc_core::snapshot::dir::DirPublisher;
use fjc_core::snapshot::publish::{Dashboard, Encoded, PublishError, Published, SnapshotPublisher};
use fjc_snapshot::Snapshot;

use crate::s3::S3Publisher;

/// The configured snapshot publishers, one type for the dashboard hook
/// ([`Dashboard<Publisher>`](Dashboard)).
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

/// The hook for `config.dashboard`, or `None` when no target is configured.
/// An S3 target's client is made from `sdk`.
pub fn from_config(config: &Config, sdk: &aws_config::SdkConfig) -> Option<Dashboard<Publisher>> {
    let d = &config.dashboard;
    if !d.is_enabled() {
        return None;
    }
    let mut publishers = Vec::new();
    if let Some(dir) = &d.dir {
        publishers.push(Publisher::Dir(DirPublisher::new(dir.clone())));
    }
    if let Some(bucket) = &d.bucket {
        publishers.push(Publisher::S3(S3Publisher::from_sdk(sdk, bucket)));
    }
    Some(Dashboard::new(
        publishers,
        Timing {
            interval_seconds: config.reconcile.interval_seconds,
            heartbeat_refresh_seconds: d.heartbeat_seconds,
        },
    ))
}
