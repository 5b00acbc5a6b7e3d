//! Publishing snapshots: the write-only-when-changed rule in `sink`, and the
//! after-cycle hook in `hook`. The port publishers implement is
//! [`super::port`]; its items are re-exported here. The adapters are the local
//! [`super::dir`] and the S3 bucket of `fjc_aws::s3`.

mod hook;
mod sink;

pub use super::port::{
    DocumentRef, Encoded, EncodedDocument, EncodedOverview, PublishError, PublishOutcome,
    Published, SnapshotPublisher, content_sha256, encode,
};
pub use hook::{Dashboard, PublishReport};
pub use sink::{Documents, Sink};
