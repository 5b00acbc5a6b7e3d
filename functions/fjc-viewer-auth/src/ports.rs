//! The small ports sign-in and rotation use, one per concern. Each has a real adapter
//! ([`crate::adapters`]) and an in-memory one ([`crate::memory`]).

use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;

use crate::error::AuthError;
use crate::session::SessionKey;

/// The identity provider: tokens for a code or for a user name and password, and the
/// keys its ID tokens are signed with.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Exchanges an authorization code (with its PKCE verifier) for an ID token.
    async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, AuthError>;

    /// Signs in with a user name and password (Cognito `USER_PASSWORD_AUTH`); the ID token.
    async fn password(&self, username: &str, password: &str) -> Result<String, AuthError>;

    /// The issuer's signing keys; `refresh` skips any cache (a token named a new kid).
    async fn keys(&self, refresh: bool) -> Result<JwkSet, AuthError>;
}

/// The key new sessions are signed with.
#[async_trait]
pub trait SessionKeys: Send + Sync {
    /// The current key (read fresh: after a rotation, sessions must carry the new kid at
    /// once, or the edge would send viewers back to sign in over and over).
    async fn current(&self) -> Result<SessionKey, AuthError>;
}

/// A secret's versions in Secrets Manager, as the rotation steps see them.
#[async_trait]
pub trait SecretVersions: Send + Sync {
    /// The version ids holding `stage` (`AWSCURRENT`, `AWSPENDING`), if any.
    async fn version_in(&self, stage: &str) -> Result<Option<String>, AuthError>;
    /// The value of `version`, if it exists.
    async fn value(&self, version: &str) -> Result<Option<String>, AuthError>;
    /// Stores `value` as `version`, staged `AWSPENDING` (idempotent for one version id).
    async fn put_pending(&self, version: &str, value: &str) -> Result<(), AuthError>;
    /// Moves `AWSCURRENT` to `version` (from `from`, when one holds it).
    async fn make_current(&self, version: &str, from: Option<&str>) -> Result<(), AuthError>;
}

/// The edge's key store (the CloudFront KeyValueStore the viewer function reads).
#[async_trait]
pub trait EdgeKeys: Send + Sync {
    /// Makes `key` the one the edge accepts (its id and bytes in one update).
    async fn publish(&self, key: &SessionKey) -> Result<(), AuthError>;
    /// The key id the edge accepts now, if any.
    async fn current_kid(&self) -> Result<Option<String>, AuthError>;
}
