//! The Flink job controller's engine.
//!
//! - Decisions come from the pure domain ([`fjc_domain`], re-exported under the
//!   paths the engine has always used): [`planner`] (specs, stored states, observed
//!   clusters, now → actions) and [`operation`] (each operation a step function).
//! - [`executor`]: carries actions and operations' effects out, recording intent in
//!   the store before every Flink call (the job state is a write-ahead log).
//! - [`cycle`]: one reconcile cycle: observe, plan, lease, execute.
//! - Ports with real adapters: [`store`] (DynamoDB), [`artifacts`] (S3 and a local
//!   root), [`clock`], and Flink ([`fjc_flink::FlinkApi`]).

pub mod apply;
pub mod artifact_event;
pub mod artifacts;
pub mod audit;
pub mod config;
pub mod context;
pub mod counted;
pub mod cycle;
pub mod error;
pub mod executor;
mod executor_secrets;
pub mod fanout;
pub mod flink_auth;
pub mod health;
pub mod policy;
pub mod restore;
pub mod s3_event;
pub mod secrets;
pub mod setup;
pub mod snapshot;
pub mod store;
pub mod tick;

pub use error::CoreError;
/// The pure domain, under the paths the engine has always used.
pub use fjc_domain::{
    breaker, clock, operation, planner, revisions, runs, schedule, scope, shard, state, status,
};
