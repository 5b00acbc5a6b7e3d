//! For tests only: fakes of the controller's two outside systems, and the
//! contract suites that decide whether a fake may stand in for the real thing.
//!
//! - [`InMemoryStore`]: a fake [`Store`](fjc_core::store::Store), in memory, with
//!   the same contract as `DynamoStore` (`fjc_aws::dynamo`):
//!   optimistic versions, lease fencing, one-time run ids, shard key ranges.
//! - [`ScriptedFlink`]: a fake [`FlinkApi`](fjc_flink::FlinkApi), an in-memory
//!   model of a Flink 2.3 session cluster's REST semantics as the controller uses
//!   them, which a test can script (fail or finish a job, complete a checkpoint,
//!   forget every job as a JobManager restart does, make the next call fail).
//! - [`MemoryEvents`]: a fake [`EventSink`](fjc_core::events::EventSink) that
//!   keeps what it is sent and can be made to fail (the EventBridge adapter's
//!   stand-in).
//! - [`contract`]: the suites, as generic async functions. The fakes pass them in
//!   this crate's unit tests; the real adapters pass the same suites against moto
//!   and a real Flink in `tests/contract.rs`. A behaviour a test relies on belongs
//!   in a suite, so that a fake never drifts from what it stands in for.
//!
//! ```no_run
//! # async fn example() {
//! use fjc_testkit::{InMemoryStore, ScriptedFlink, contract};
//! // Every check of the store contract, each on a fresh store.
//! contract::store_contract(|_check| async { InMemoryStore::new() }).await;
//! # }
//! ```

pub mod contract;
pub mod events;
pub mod flink;
pub mod store;

pub use contract::{FlinkContract, events_contract, flink_contract, store_contract};
pub use events::MemoryEvents;
pub use flink::ScriptedFlink;
pub use store::InMemoryStore;

#[cfg(test)]
mod tests;
