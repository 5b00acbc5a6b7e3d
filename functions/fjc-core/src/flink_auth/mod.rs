//! A Flink client whose credentials come from a secret: fetched when first
//! needed, re-read when the secret cache expires (the client is rebuilt only when
//! the value changed), and fetched again at once when Flink refuses them (HTTP
//! 401/403 or a TLS handshake failure), so a rotation needs no redeploy.

mod credentials;

use std::sync::Arc;

use fjc_flink::rest::{RestClient, RestClientConfig};
use fjc_flink::{FlinkApi, FlinkError};
use tokio::sync::Mutex;

pub use credentials::{ClusterCredentials, parse_credentials};

use crate::secrets::{SecretSource, SecretValue};

/// A [`FlinkApi`] over a [`RestClient`] built from a credentials secret (or
/// without one, for clusters that need none).
#[derive(Debug)]
pub struct AuthedFlink<K> {
    base: RestClientConfig,
    secret_id: Option<String>,
    secrets: Arc<K>,
    current: Mutex<Option<(SecretValue, RestClient)>>,
    plain: Option<RestClient>,
}

impl<K: SecretSource> AuthedFlink<K> {
    /// `base` carries URL and timeouts (its auth fields are ignored when a secret
    /// is named); `secret_id` names the credentials secret.
    pub fn new(
        base: RestClientConfig,
        secret_id: Option<String>,
        secrets: Arc<K>,
    ) -> Result<AuthedFlink<K>, FlinkError> {
        let plain = match secret_id {
            None => Some(RestClient::new(base.clone())?),
            Some(_) => None,
        };
        Ok(AuthedFlink {
            base,
            secret_id,
            secrets,
            current: Mutex::new(None),
            plain,
        })
    }

    /// The client to use now, rebuilt when the secret's value changed.
    async fn client(&self) -> Result<RestClient, FlinkError> {
        let (Some(id), None) = (&self.secret_id, &self.plain) else {
            return self.plain.clone().ok_or_else(|| FlinkError::Config {
                message: "no client".into(),
            });
        };
        let value = self
            .secrets
            .get(id)
            .await
            .map_err(|e| FlinkError::Credentials {
                retryable: e.is_retryable(),
                message: e.to_string(),
            })?;
        let mut current = self.current.lock().await;
        if let Some((v, client)) = current.as_ref()
            && v == &value
        {
            return Ok(client.clone());
        }
        let creds = parse_credentials(id, &value).map_err(|e| FlinkError::Credentials {
            retryable: false,
            message: e.to_string(),
        })?;
        let mut config = self.base.clone();
        config.auth = creds.auth;
        config.client_identity_pem = creds.client_identity_pem;
        if creds.ca_bundle_pem.is_some() {
            config.ca_bundle_pem = creds.ca_bundle_pem;
        }
        let client = RestClient::new(config).map_err(|e| FlinkError::Credentials {
            retryable: false,
            message: format!("secret {id}: {e}"),
        })?;
        tracing::info!(secret = %id, "flink credentials loaded");
        *current = Some((value, client.clone()));
        Ok(client)
    }

    /// After an auth failure: drop the cached secret and client. Returns whether a
    /// retry with fresh credentials makes sense.
    async fn refresh(&self, error: &FlinkError) -> bool {
        let Some(id) = &self.secret_id else {
            return false;
        };
        if !error.is_auth_failure() {
            return false;
        }
        tracing::warn!(secret = %id, error.kind = error.kind(), "flink refused the credentials; reading the secret again");
        self.secrets.invalidate(id);
        *self.current.lock().await = None;
        true
    }
}

/// `impl FlinkApi for AuthedFlink<K>` from the list of calls: each runs with the
/// current credentials; on an auth failure the secret is read again and the call
/// tried once more (a refused request was not executed, so this is safe for
/// submissions too).
macro_rules! authed_calls {
    ($($kind:ident $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl<K: SecretSource> FlinkApi for AuthedFlink<K> {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out, FlinkError> {
                    let c = self.client().await?;
                    match FlinkApi::$name(&c, $($arg),*).await {
                        Err(e) if self.refresh(&e).await => {
                            FlinkApi::$name(&self.client().await?, $($arg),*).await
                        }
                        other => other,
                    }
                }
            )*
        }
    };
}

fjc_flink::for_each_flink_call!(authed_calls);
