//! The secrets port: secret strings by id (AWS Secrets Manager in production), a
//! per-process cache with a TTL, `secret://id#key` references in specs, and the
//! redaction of resolved values from anything we print or store.

mod cache;
mod redact;
mod reference;

use std::fmt;
use std::future::Future;

use thiserror::Error;

pub use cache::CachedSecrets;
pub use redact::Redactor;
pub use reference::{SecretRef, has_secret_refs};

/// A secret's value. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> SecretValue {
        SecretValue(value.into())
    }

    /// The value itself; only for handing it to the system that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue(<{} bytes redacted>)", self.0.len())
    }
}

/// Errors of the secrets port. Messages name the secret id, never its value.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// No secret with this id (or no such key in it).
    #[error("secret {id}: not found{detail}")]
    NotFound {
        /// Secret id.
        id: String,
        /// What exactly is missing (e.g. a key), with a leading separator.
        detail: String,
    },
    /// The caller may not read it.
    #[error("secret {id}: access denied")]
    AccessDenied {
        /// Secret id.
        id: String,
    },
    /// The value is not what we expect (not JSON, wrong field types).
    #[error("secret {id}: {reason}")]
    Malformed {
        /// Secret id.
        id: String,
        /// Why (never quotes the value).
        reason: String,
    },
    /// The service failed or could not be reached.
    #[error("secret {id}: {message}")]
    Unavailable {
        /// Secret id.
        id: String,
        /// What happened.
        message: String,
    },
    /// A `secret://` reference is badly formed.
    #[error("secret reference {reference:?}: {reason}")]
    BadReference {
        /// The reference text.
        reference: String,
        /// Why.
        reason: String,
    },
}

impl SecretError {
    /// Whether a later attempt may succeed without a change by someone.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SecretError::Unavailable { .. })
    }

    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretError::NotFound { .. } => "not_found",
            SecretError::AccessDenied { .. } => "access_denied",
            SecretError::Malformed { .. } => "malformed",
            SecretError::Unavailable { .. } => "unavailable",
            SecretError::BadReference { .. } => "bad_reference",
        }
    }
}

/// Reads secret strings.
pub trait SecretSource: Send + Sync {
    /// The current value of a secret (its `AWSCURRENT` version).
    fn get(&self, id: &str) -> impl Future<Output = Result<SecretValue, SecretError>> + Send;
    /// Forgets any cached copy of `id`, so the next `get` reads the source again
    /// (after the value was refused: it may have been rotated).
    fn invalidate(&self, _id: &str) {}
}

impl<T: SecretSource> SecretSource for std::sync::Arc<T> {
    fn get(&self, id: &str) -> impl Future<Output = Result<SecretValue, SecretError>> + Send {
        (**self).get(id)
    }
    fn invalidate(&self, id: &str) {
        (**self).invalidate(id)
    }
}

/// A secret value parsed as a JSON object, for secrets holding several fields.
pub fn json_fields(
    id: &str,
    value: &SecretValue,
) -> Result<serde_json::Map<String, serde_json::Value>, SecretError> {
    match serde_json::from_str::<serde_json::Value>(value.expose()) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(SecretError::Malformed {
            id: id.to_string(),
            reason: "expected a JSON object".into(),
        }),
        Err(e) => Err(SecretError::Malformed {
            id: id.to_string(),
            // serde_json's message carries only a position, never the text.
            reason: format!("not valid JSON (line {}, column {})", e.line(), e.column()),
        }),
    }
}
