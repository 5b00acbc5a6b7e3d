//! The Flink job controller's engine.
//!
//! - Decisions come from the pure domain ([`fjc_domain`], re-exported under the
//!   paths the engine has always used): [`planner`] (specs, stored states, observed
//!   clusters, now → actions) and [`operation`] (each operation a step function).
//! - [`executor`]: carries actions and operations' effects out, recording intent in
//!   the store before every Flink call (the job state is a write-ahead log).
//! - [`cycle`]: one reconcile cycle: observe, plan, lease, execute; [`tick`]: the
//!   cycles of one schedule tick, shared by the `reconcile` Lambda and
//!   `fjc reconcile`.
//! - Ports, each with its error type: [`store`], [`artifacts`], [`secrets`],
//!   checkpoint storage ([`restore::ObjectStore`] behind [`restore::Storage`]),
//!   the dashboard's [`snapshot::port`], [`fanout`], [`clock`], and Flink
//!   ([`fjc_flink::FlinkApi`]). A [`context::Context`] holds one of each.
//!
//! Place in the dependency direction: `fjc-domain` ← `fjc-core` ← `fjc-aws` (the
//! AWS adapters and the wiring of the real context) and `fjc-telemetry` ← the
//! Lambda functions and `fjc`. This crate depends on no AWS SDK: it names no
//! adapter but the local ones (a directory for snapshots and checkpoints, the
//! REST client of `fjc-flink`). It still reads the S3 and EventBridge event
//! shapes of the `artifact-event` function ([`s3_event`], with the
//! `aws_lambda_events` types: serde types, no SDK and no I/O).

pub mod apply;
pub mod artifact_event;
pub mod artifacts;
pub mod audit;
pub mod config;
pub mod context;
pub mod counted;
pub mod cycle;
pub mod error;
pub mod events;
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
    breaker, clock, operation, planner, revisions, runs, schedule, scope, shard, signals, state,
    status,
};
