//! Dashboard viewer sign-in.
//!
//! The published dashboard sits behind CloudFront. A CloudFront Function
//! (`infra/edge/viewer-auth.js`) lets a request through only with a valid `fjc_session`
//! cookie, and chooses the snapshot the viewer may read. This crate is the other half:
//!
//! - [`session`]: the cookie contract, minted here and checked at the edge
//!   (`v1.<kid>.<payload>.<HMAC-SHA256>`), and the [`session::SessionKey`] it is signed with;
//! - [`access`]: which namespaces a viewer's groups may see (`FJC_AUTH_GROUPS`);
//! - [`token`]: the identity provider's ID token, checked against its published keys;
//! - [`flow`]: the sign-in routes under `/auth/` (the `sign-in` Lambda function serves them
//!   behind a Function URL): the OIDC authorization-code flow with PKCE (Cognito's managed
//!   login or any OIDC provider), or Cognito's user-password flow;
//! - [`rotation`]: the Secrets Manager rotation of the session key, which publishes the new
//!   key to the CloudFront KeyValueStore before making it current;
//! - [`ports`] and [`adapters`]: the identity provider, the session key and the edge key
//!   store, each a small port with its AWS or HTTP adapter, and [`memory`] in-memory ones.

pub mod access;
pub mod adapters;
pub mod config;
pub mod error;
pub mod flow;
pub mod memory;
pub mod ports;
pub mod rotation;
pub mod session;
pub mod token;

pub use error::AuthError;

/// JSON log lines on stdout for the sign-in and rotation functions, filtered by `RUST_LOG`
/// (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
}
