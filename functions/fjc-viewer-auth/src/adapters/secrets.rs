//! Secrets Manager: the session key sign-in reads ([`SecretsManagerKey`]), the versions the
//! rotation steps move ([`SecretsManagerVersions`]), and plain secret strings (an OIDC
//! client secret).

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};

use crate::error::AuthError;
use crate::ports::{SecretVersions, SessionKeys};
use crate::session::SessionKey;

const S: &str = "secrets manager";

fn failed<E>(e: &aws_sdk_secretsmanager::error::SdkError<E>) -> AuthError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = e.code().unwrap_or("");
    let retryable = matches!(
        code,
        "ThrottlingException" | "InternalServiceError" | "RequestLimitExceeded"
    ) || matches!(
        e,
        aws_sdk_secretsmanager::error::SdkError::TimeoutError(_)
            | aws_sdk_secretsmanager::error::SdkError::DispatchFailure(_)
    );
    AuthError::upstream(S, DisplayErrorContext(e).to_string(), retryable)
}

fn not_found<E: ProvideErrorMetadata>(e: &aws_sdk_secretsmanager::error::SdkError<E>) -> bool {
    e.code() == Some("ResourceNotFoundException")
}

/// A secret's current string (`AWSCURRENT`). The stage is named, which AWS takes as the
/// default: moto's default stays on the first version after a rotation moves the stage.
pub async fn secret_string(client: &Client, secret_id: &str) -> Result<String, AuthError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_id)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .map_err(|e| failed(&e))?;
    out.secret_string
        .ok_or_else(|| AuthError::Key(format!("secret {secret_id} holds no string")))
}

/// The session key from a Secrets Manager secret, read on every call.
pub struct SecretsManagerKey {
    client: Client,
    secret_id: String,
}

impl SecretsManagerKey {
    /// The key in `secret_id`.
    pub fn new(client: Client, secret_id: impl Into<String>) -> SecretsManagerKey {
        SecretsManagerKey {
            client,
            secret_id: secret_id.into(),
        }
    }
}

#[async_trait]
impl SessionKeys for SecretsManagerKey {
    async fn current(&self) -> Result<SessionKey, AuthError> {
        SessionKey::from_json(&secret_string(&self.client, &self.secret_id).await?)
    }
}

/// The versions of one secret, for the rotation steps.
pub struct SecretsManagerVersions {
    client: Client,
    secret_id: String,
}

impl SecretsManagerVersions {
    /// The versions of `secret_id`.
    pub fn new(client: Client, secret_id: impl Into<String>) -> SecretsManagerVersions {
        SecretsManagerVersions {
            client,
            secret_id: secret_id.into(),
        }
    }
}

#[async_trait]
impl SecretVersions for SecretsManagerVersions {
    async fn version_in(&self, stage: &str) -> Result<Option<String>, AuthError> {
        let out = self
            .client
            .describe_secret()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        Ok(out.version_ids_to_stages.and_then(|versions| {
            versions
                .into_iter()
                .find(|(_, stages)| stages.iter().any(|s| s == stage))
                .map(|(id, _)| id)
        }))
    }

    async fn value(&self, version: &str) -> Result<Option<String>, AuthError> {
        match self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_id(version)
            .send()
            .await
        {
            Ok(out) => Ok(out.secret_string),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(failed(&e)),
        }
    }

    async fn put_pending(&self, version: &str, value: &str) -> Result<(), AuthError> {
        self.client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .client_request_token(version)
            .secret_string(value)
            .version_stages("AWSPENDING")
            .send()
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }

    async fn make_current(&self, version: &str, from: Option<&str>) -> Result<(), AuthError> {
        let mut call = self
            .client
            .update_secret_version_stage()
            .secret_id(&self.secret_id)
            .version_stage("AWSCURRENT")
            .move_to_version_id(version);
        if let Some(from) = from {
            call = call.remove_from_version_id(from);
        }
        call.send().await.map_err(|e| failed(&e))?;
        Ok(())
    }
}
