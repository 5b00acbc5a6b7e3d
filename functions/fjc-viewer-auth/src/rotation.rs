//! Rotating the session key: the four steps of a Secrets Manager rotation, for the secret
//! holding `{"kid", "key"}`.
//!
//! - `createSecret`: a new random key under a kid derived from the rotation's token,
//!   stored as `AWSPENDING` (again the same if Secrets Manager retries the step);
//! - `setSecret`: nothing (the edge must not take the key before it is current);
//! - `testSecret`: the pending value parses as a key;
//! - `finishSecret`: the key goes to the edge's KeyValueStore, then becomes `AWSCURRENT`.
//!
//! Publishing first means a failure leaves the old key current in both places, or the new
//! key at the edge with the secret not yet moved; Secrets Manager retries the step, and
//! the sign-in function reads the secret on every sign-in, so the window where new
//! sessions carry a kid the edge no longer accepts is the seconds between the two writes.
//! Every session signed with the old key is refused from then on: viewers sign in again.

use crate::error::AuthError;
use crate::ports::{EdgeKeys, SecretVersions};
use crate::session::SessionKey;

/// A rotation step, as Secrets Manager names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Create the pending version.
    Create,
    /// Set it in the service (nothing to do here).
    Set,
    /// Test the pending version.
    Test,
    /// Publish it to the edge and make it current.
    Finish,
}

impl Step {
    /// From the event's `Step` field.
    pub fn parse(name: &str) -> Result<Step, AuthError> {
        match name {
            "createSecret" => Ok(Step::Create),
            "setSecret" => Ok(Step::Set),
            "testSecret" => Ok(Step::Test),
            "finishSecret" => Ok(Step::Finish),
            other => Err(AuthError::Key(format!("unknown rotation step {other:?}"))),
        }
    }
}

/// The kid for a rotation's token: `k` and its first 12 letters or digits.
pub fn kid_for(token: &str) -> String {
    let tail: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("k{tail}")
}

/// Runs one step of the rotation identified by `token`.
pub async fn rotate(
    step: Step,
    token: &str,
    secret: &dyn SecretVersions,
    edge: &dyn EdgeKeys,
) -> Result<(), AuthError> {
    let current = secret.version_in("AWSCURRENT").await?;
    if current.as_deref() == Some(token) && step != Step::Finish {
        // Already current: a retried step of a finished rotation.
        return Ok(());
    }
    match step {
        Step::Create => {
            if secret.value(token).await?.is_none() {
                let key = SessionKey::generate(kid_for(token))?;
                secret.put_pending(token, &key.to_json()).await?;
                tracing::info!(kid = key.kid(), "session key created as AWSPENDING");
            }
            Ok(())
        }
        Step::Set => Ok(()),
        Step::Test => pending(secret, token).await.map(|_| ()),
        Step::Finish => {
            if current.as_deref() == Some(token) {
                // Make sure the edge has it (a retry after the move).
                let key = pending(secret, token).await?;
                if edge.current_kid().await?.as_deref() != Some(key.kid()) {
                    edge.publish(&key).await?;
                }
                return Ok(());
            }
            let key = pending(secret, token).await?;
            edge.publish(&key).await?;
            secret.make_current(token, current.as_deref()).await?;
            tracing::info!(
                kid = key.kid(),
                "session key published to the edge and made current"
            );
            Ok(())
        }
    }
}

async fn pending(secret: &dyn SecretVersions, token: &str) -> Result<SessionKey, AuthError> {
    let value = secret
        .value(token)
        .await?
        .ok_or_else(|| AuthError::Key(format!("version {token} does not exist")))?;
    SessionKey::from_json(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryEdgeKeys, MemorySecret};
    use crate::session::{Claims, Refusal, mint, verify};

    #[tokio::test]
    async fn a_rotation_publishes_the_new_key_then_makes_it_current_and_old_sessions_end() {
        let first = SessionKey::generate("k0").unwrap();
        let secret = MemorySecret::with_current("v0", &first.to_json());
        let edge = MemoryEdgeKeys::with(&first);
        let old_cookie = mint(
            &first,
            &Claims {
                sub: "a".into(),
                ns: vec!["*".into()],
                exp: 100,
            },
        );

        for step in [
            "createSecret",
            "createSecret",
            "setSecret",
            "testSecret",
            "finishSecret",
            "finishSecret",
        ] {
            rotate(Step::parse(step).unwrap(), "tok-123", &secret, &edge)
                .await
                .unwrap();
        }
        let new_json = secret.value("tok-123").await.unwrap().expect("new version");
        let new = SessionKey::from_json(&new_json).unwrap();
        assert_eq!(new.kid(), "ktok123");
        assert_ne!(new, first);
        assert_eq!(
            secret.version_in("AWSCURRENT").await.unwrap().as_deref(),
            Some("tok-123")
        );
        assert_eq!(
            edge.current_kid().await.unwrap().as_deref(),
            Some("ktok123")
        );
        assert_eq!(edge.key().unwrap(), new);
        assert_eq!(
            edge.publishes(),
            1,
            "a retried finish does not publish again"
        );
        assert_eq!(verify(&new, &old_cookie, 1), Err(Refusal::OtherKey));
    }

    #[tokio::test]
    async fn a_failed_publish_leaves_the_old_key_current_and_the_retry_completes() {
        let first = SessionKey::generate("k0").unwrap();
        let secret = MemorySecret::with_current("v0", &first.to_json());
        let edge = MemoryEdgeKeys::with(&first);
        rotate(Step::Create, "t2", &secret, &edge).await.unwrap();
        edge.fail_next();
        let err = rotate(Step::Finish, "t2", &secret, &edge)
            .await
            .unwrap_err();
        assert!(err.retryable(), "{err}");
        assert_eq!(
            secret.version_in("AWSCURRENT").await.unwrap().as_deref(),
            Some("v0")
        );
        assert_eq!(edge.current_kid().await.unwrap().as_deref(), Some("k0"));
        rotate(Step::Finish, "t2", &secret, &edge).await.unwrap();
        assert_eq!(
            secret.version_in("AWSCURRENT").await.unwrap().as_deref(),
            Some("t2")
        );
        assert_eq!(edge.current_kid().await.unwrap().as_deref(), Some("kt2"));
    }

    #[tokio::test]
    async fn a_pending_value_that_is_not_a_key_fails_the_test_step() {
        let secret = MemorySecret::with_current("v0", "{}");
        let edge = MemoryEdgeKeys::default();
        secret.put_pending("t3", "not json").await.unwrap();
        let err = rotate(Step::Test, "t3", &secret, &edge).await.unwrap_err();
        assert!(err.to_string().contains("session key"), "{err}");
        assert!(Step::parse("rotate").is_err());
    }
}
