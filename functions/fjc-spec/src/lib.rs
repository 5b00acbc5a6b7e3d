//! Flink job specs: the model users write, how it is parsed and validated, the JSON
//! Schema generated from it, the Flink configuration it maps to, and its fingerprint.
//!
//! Nothing in this crate does I/O.

pub mod document;
pub mod error;
pub mod fingerprint;
pub mod flink_conf;
pub mod lifecycle;
pub mod model;
pub mod program;
pub mod python;
pub mod schema;
pub mod sql;
pub mod units;
pub mod upgrade;
pub mod validate;

pub use error::{Problem, SpecError};
pub use fingerprint::{ClassFingerprints, Fingerprint, class_fingerprints, fingerprint};
pub use model::*;
pub use validate::{parse_spec, parse_specs, validate, validate_name};

/// Largest spec document accepted, in bytes.
pub const MAX_SPEC_BYTES: usize = 256 * 1024;
