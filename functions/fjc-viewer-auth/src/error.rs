//! The viewer-auth layer's errors.

/// What went wrong in sign-in or key rotation. [`AuthError::retryable`] tells whether
/// trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A setting is missing or wrong; names the environment variable.
    #[error("{name}: {reason}")]
    Config {
        /// The environment variable.
        name: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The identity provider refused the credentials or the code (no retry helps).
    #[error("sign-in refused: {0}")]
    Refused(String),
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    #[error("ID token refused: {0}")]
    Token(String),
    /// The identity provider or AWS could not be reached or answered an error.
    #[error("{service}: {message}")]
    Upstream {
        /// Which service (`token endpoint`, `cognito`, `secrets manager`, `key value store`).
        service: &'static str,
        /// What it said (never a secret value).
        message: String,
        /// Whether another try may succeed (timeouts, throttling, 5xx).
        retryable: bool,
    },
    /// A stored session key or secret version has the wrong shape.
    #[error("session key: {0}")]
    Key(String),
}

impl AuthError {
    /// Whether another try may succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            AuthError::Upstream {
                retryable: true,
                ..
            }
        )
    }

    pub(crate) fn upstream(
        service: &'static str,
        message: impl Into<String>,
        retryable: bool,
    ) -> Self {
        AuthError::Upstream {
            service,
            message: message.into(),
            retryable,
        }
    }
}
