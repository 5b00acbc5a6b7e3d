//! The core layer's error enum.

use fjc_domain::operation::StepError;
use fjc_flink::FlinkError;
use thiserror::Error;

use crate::artifacts::ArtifactError;
use crate::secrets::SecretError;
use crate::store::StoreError;

/// Errors of the controller core. Each knows whether it is worth retrying.
#[derive(Debug, Error)]
pub enum CoreError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Flink failed.
    #[error(transparent)]
    Flink(#[from] FlinkError),
    /// An artifact could not be used.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// A secret could not be read.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// An artifact event is malformed.
    #[error("malformed event: {0}")]
    Event(#[from] crate::s3_event::EventError),
    /// Configuration is invalid.
    #[error("configuration error: {0}")]
    Config(String),
    /// Specs are invalid.
    #[error("{0}")]
    Spec(String),
    /// The request names something that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An operation stopped (a revision not kept, a port failing, a defect).
    #[error(transparent)]
    Step(StepError),
}

impl From<StepError> for CoreError {
    fn from(e: StepError) -> CoreError {
        match e {
            StepError::Flink(e) => CoreError::Flink(e),
            StepError::NotFound(m) => CoreError::NotFound(m),
            e => CoreError::Step(e),
        }
    }
}

impl CoreError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            CoreError::Store(e) => e.is_retryable(),
            CoreError::Flink(e) => e.is_retryable(),
            CoreError::Artifact(e) => e.is_retryable(),
            CoreError::Secret(e) => e.is_retryable(),
            CoreError::Event(_) => false,
            CoreError::Config(_) | CoreError::Spec(_) | CoreError::NotFound(_) => false,
            CoreError::Step(e) => e.is_retryable(),
        }
    }

    /// Whether the user (input, configuration) is at fault rather than infrastructure.
    pub fn is_user_error(&self) -> bool {
        match self {
            CoreError::Config(_)
            | CoreError::Spec(_)
            | CoreError::NotFound(_)
            | CoreError::Event(_) => true,
            CoreError::Artifact(e) => {
                !e.is_retryable()
                    || matches!(
                        e,
                        ArtifactError::NotFound { .. } | ArtifactError::DigestMismatch { .. }
                    )
            }
            CoreError::Store(StoreError::Conflict { .. }) => true,
            CoreError::Secret(e) => !e.is_retryable(),
            CoreError::Store(_) | CoreError::Flink(_) | CoreError::Step(_) => false,
        }
    }

    /// A short, stable label for metrics.
    pub fn kind(&self) -> String {
        match self {
            CoreError::Store(e) => format!("store_{}", e.kind()),
            CoreError::Flink(e) => format!("flink_{}", e.kind()),
            CoreError::Artifact(e) => format!("artifact_{}", e.kind()),
            CoreError::Secret(e) => format!("secret_{}", e.kind()),
            CoreError::Event(e) => format!("event_{}", e.kind()),
            CoreError::Config(_) => "config".into(),
            CoreError::Spec(_) => "spec".into(),
            CoreError::NotFound(_) => "not_found".into(),
            CoreError::Step(_) => "operation".into(),
        }
    }
}
