//! Restore points found when they are needed: the pure part (candidates, the
//! chain, Flink's refusals) is [`fjc_domain::restore`]; here is how storage is
//! read. The executor looks for them (`executor::restore`).

pub mod storage;

pub use fjc_domain::restore::*;
pub use storage::{ObjectStore, Storage, StorageError, StoredObject};
