//! The status snapshot the controller publishes after a cycle and the dashboard reads.
//!
//! An overview document ([`Snapshot`], `snapshot.json`) with one row per job, and
//! one [`JobDocument`] per job with what only its page shows (history, restore
//! points, spec) at [`job_document_key`], versioned by [`SCHEMA_VERSION`]. Empty
//! fields of a job row are left out, so a large fleet's overview stays small.
//!
//! This crate depends on serde only, so it compiles for the host (the controller) and for
//! `wasm32-unknown-unknown` (the dashboard).
//!
//! **Never secrets.** The types have no field that could carry a spec's environment
//! variable values, program arguments, or any credential: only counts of them
//! ([`SpecSummary::env_var_count`], [`SpecSummary::arg_count`]).
//!
//! Compatibility: readers ignore unknown fields and default missing optional ones, so
//! a dashboard keeps working when a newer controller adds fields; an incompatible
//! change bumps [`SCHEMA_VERSION`]. Nothing is filled with made-up data: a field the
//! controller does not know is `None` or empty.
//!
//! **One model.** [`Lifecycle`] and [`RevisionOutcome`] are defined here and used
//! by the controller itself, so the page and the core cannot disagree on them.

mod lifecycle;
mod model;
pub mod query;
pub mod timeline;

pub use lifecycle::*;
pub use model::*;

/// Version of the document layout this crate writes and reads (3: job documents
/// under their namespace, `jobs/<namespace>/<job>.json`).
pub const SCHEMA_VERSION: u32 = 3;

/// Namespace of a job whose spec names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Milliseconds since the Unix epoch.
pub type EpochMs = i64;

#[cfg(test)]
mod tests;
