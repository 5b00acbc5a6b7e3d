//! The real secret source: AWS Secrets Manager, an adapter of
//! [`SecretSource`]; its errors become [`SecretError`]s.

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use fjc_core::secrets::{SecretError, SecretSource, SecretValue};

/// Secrets Manager, `GetSecretValue` on the `AWSCURRENT` stage.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManager {
    /// Wraps a client built once at start.
    pub fn new(client: aws_sdk_secretsmanager::Client) -> SecretsManager {
        SecretsManager { client }
    }
}

impl SecretSource for SecretsManager {
    async fn get(&self, id: &str) -> Result<SecretValue, SecretError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| match e.code() {
                Some("ResourceNotFoundException") => SecretError::NotFound {
                    id: id.to_string(),
                    detail: String::new(),
                },
                Some("AccessDeniedException" | "AccessDenied") => {
                    SecretError::AccessDenied { id: id.to_string() }
                }
                Some("DecryptionFailure" | "InvalidRequestException") => SecretError::Malformed {
                    id: id.to_string(),
                    reason: e.message().unwrap_or("cannot be read").to_string(),
                },
                _ => SecretError::Unavailable {
                    id: id.to_string(),
                    message: format!("Secrets Manager: {}", DisplayErrorContext(&e)),
                },
            })?;
        match out.secret_string() {
            Some(s) => Ok(SecretValue::new(s)),
            None => Err(SecretError::Malformed {
                id: id.to_string(),
                reason: "holds binary data; a SecretString is expected".into(),
            }),
        }
    }
}
