//! For tests only: fakes of the controller's two outside systems, and the
//! contract suites that decide whether a fake may stand in for the real thing.
//!
//! - [`InMemoryStore`]: a fake [`Store`](fjc_core::store::Store), in memory, with
//!   the same contract as [`DynamoStore`](fjc_core::store::DynamoStore):
//!   optimistic versions, lease fencing, one-time run ids, shard key ranges.
//! - [`contract`]: the suites, as generic async functions. The fakes pass them in
//!   this crate's unit tests; the real adapter passes the same suite against moto
//!   in `tests/contract.rs`. A behaviour a test relies on belongs
//!   in a suite, so that a fake never drifts from what it stands in for.
//!
//! ```no_run
//! # async fn example() {
//! use fjc_testkit::{InMemoryStore, contract};
//! // Every check of the store contract, each on a fresh store.
//! contract::store_contract(|_check| async { InMemoryStore::new() }).await;
//! # }
//! ```

pub mod contract;
pub mod store;

pub use contract::store_contract;
pub use store::InMemoryStore;

#[cfg(test)]
mod tests;
