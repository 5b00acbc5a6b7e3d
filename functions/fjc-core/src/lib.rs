//! The Flink job controller's core.
//!
//! - [`planner`]: a pure function from (specs, stored states, observed clusters, now)
//!   to actions. All decisions live there.
//! - [`executor`]: carries actions out, recording intent in the store before every
//!   Flink call (the job state is a write-ahead log).
//! - [`cycle`]: one reconcile cycle: observe, plan, lease, execute.
//! - Ports with real adapters: [`store`] (DynamoDB), [`artifacts`] (S3 and a local
//!   root), [`clock`], and Flink ([`fjc_flink::FlinkApi`]).

pub mod apply;
pub mod artifact_event;
pub mod artifacts;
pub mod audit;
pub mod breaker;
pub mod clock;
pub mod config;
pub mod context;
pub mod counted;
pub mod cycle;
pub mod emf;
pub mod error;
pub mod executor;
mod executor_secrets;
pub mod fanout;
pub mod flink_auth;
pub mod health;
pub mod metrics;
pub mod operation;
pub mod planner;
pub mod policy;
pub mod restore;
pub mod revisions;
pub mod runs;
pub mod schedule;
pub mod scope;
pub mod secrets;
pub mod shard;
pub mod snapshot;
pub mod state;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod tick;
pub mod wiring;

pub use error::CoreError;
