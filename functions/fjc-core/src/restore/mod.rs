//! Restore points found when they are needed: the pure part (candidates, the
//! chain, Flink's refusals) is [`fjc_domain::restore`]; here is how they are
//! looked for in the cluster's configuration and in storage.

pub mod discover;
pub mod storage;

pub use discover::ClusterConfigs;
pub use fjc_domain::restore::*;
pub use storage::{Storage, StorageError};
