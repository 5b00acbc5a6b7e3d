//! The controller's AWS adapters, and the wiring that builds the real context
//! from them.
//!
//! - [`artifacts`]: job jars from S3 or a local root
//!   ([`ArtifactSource`](fjc_core::artifacts::ArtifactSource)).
//! - [`dashboard`]: the configured snapshot targets, a directory and an S3
//!   bucket, as one publisher for the dashboard hook.
//! - [`dynamo`]: the [`Store`](fjc_core::store::Store) on one DynamoDB table
//!   ([`DynamoStore`](dynamo::DynamoStore)), its creation and key migration.
//! - [`events`]: EventBridge `PutEvents`, lifecycle events and alerts
//!   ([`EventSink`](fjc_core::events::EventSink)).
//! - [`fanout`]: Lambda's asynchronous `Invoke`, one per shard
//!   ([`Fanout`](fjc_core::fanout::Fanout)).
//! - [`s3`]: checkpoint storage on S3, read by restore discovery
//!   ([`ObjectStore`](fjc_core::restore::ObjectStore)), and the dashboard bucket
//!   ([`SnapshotPublisher`](fjc_core::snapshot::publish::SnapshotPublisher)).
//! - [`secrets`]: Secrets Manager ([`SecretSource`](fjc_core::secrets::SecretSource)).
//! - [`sts`]: the caller's IAM identity, for the audit trail.
//! - [`wiring`]: the composition root: the SDK configuration loaded once, every
//!   real adapter built from it, the reconcile context ([`wiring::RealContext`])
//!   and the dashboard hook; `fjc bootstrap`'s table creation.
//!
//! Place in the dependency direction: `fjc-domain` ← `fjc-core` (ports, executor,
//! cycle, tick) ← `fjc-aws` ← the Lambda functions and `fjc`. Each adapter
//! implements a port of `fjc-core` and maps its service's errors into that
//! port's error type; `fjc-core` names none of them.

pub mod artifacts;
pub mod dashboard;
pub mod dynamo;
pub mod events;
pub mod fanout;
pub mod s3;
pub mod secrets;
pub mod sts;
pub mod wiring;
