//! S3 adapters besides the artifact source ([`crate::artifacts`]): checkpoint
//! storage for restore discovery, and the dashboard snapshot's bucket.

pub mod checkpoints;
pub mod publisher;

pub use checkpoints::S3Checkpoints;
pub use publisher::S3Publisher;
