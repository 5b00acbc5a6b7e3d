//! Real adapters: the identity provider over HTTP ([`oidc`]), the session key and its
//! versions in Secrets Manager ([`secrets`]), the edge's CloudFront KeyValueStore
//! ([`kvs`]).

pub mod kvs;
pub mod oidc;
pub mod secrets;
