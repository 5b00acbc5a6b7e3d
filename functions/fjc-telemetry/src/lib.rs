//! The controller's telemetry: what it tells operators about itself.
//!
//! - Logs and traces ([`init`], [`Telemetry`]): the `tracing` subscriber, text or
//!   JSON lines to stderr, and OpenTelemetry span export when an OTLP endpoint is
//!   configured; in Lambda the X-Ray trace header becomes the parent of an
//!   invocation's spans ([`join_xray`]).
//! - [`metrics`]: the metrics of a reconcile cycle, computed from its report, and
//!   rendered as Prometheus text (`fjc reconcile --metrics-addr`) or as CloudWatch
//!   Embedded Metric Format lines ([`emf`]) by the Lambda functions.
//!
//! EMF lives here, not in `fjc-aws`: it is a log line format that CloudWatch
//! Logs turns into metrics, written to stdout with no AWS call, so it is
//! telemetry rather than an adapter.
//!
//! Place in the dependency direction: `fjc-domain` ← `fjc-core` ← `fjc-telemetry`
//! ← the Lambda functions and `fjc`. It reads the engine's configuration and
//! cycle reports; the engine does not depend on it (its spans and events go to
//! whatever subscriber the process installed).

pub mod emf;
pub mod metrics;
mod subscriber;
mod xray;

pub use subscriber::{Telemetry, colour, init};
pub use xray::{join_xray, xray_parent};
