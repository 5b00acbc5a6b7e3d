//! A Flink client whose credentials come from a secret: fetched when first
//! needed, re-read when the secret cache expires (the client is rebuilt only when
//! the value changed), and fetched again at once when Flink refuses them (HTTP
//! 401/403 or a TLS handshake failure), so a rotation needs no redeploy.

mod credentials;

use std::path::Path;
use std::sync::Arc;

use fjc_flink::rest::{RestClient, RestClientConfig};
use fjc_flink::{
    CheckpointStats, ClusterOverview, DisposalStatus, ExecutionResult, FlinkApi, FlinkError, JarId,
    JobDetails, JobId, JobSummary, RunRequest, SavepointStatus,
};
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

/// Runs a call; on an auth failure, re-reads the secret and tries once more (a
/// refused request was not executed, so this is safe for submissions too).
macro_rules! authed {
    ($self:ident, |$c:ident| $call:expr) => {{
        let $c = $self.client().await?;
        match $call.await {
            Err(e) if $self.refresh(&e).await => {
                let $c = $self.client().await?;
                $call.await
            }
            other => other,
        }
    }};
}

impl<K: SecretSource> FlinkApi for AuthedFlink<K> {
    async fn cluster_overview(&self) -> Result<ClusterOverview, FlinkError> {
        authed!(self, |c| c.cluster_overview())
    }
    async fn list_jobs(&self) -> Result<Vec<JobSummary>, FlinkError> {
        authed!(self, |c| c.list_jobs())
    }
    async fn job(&self, id: &JobId) -> Result<JobDetails, FlinkError> {
        authed!(self, |c| c.job(id))
    }
    async fn job_failure_cause(&self, id: &JobId) -> Result<Option<String>, FlinkError> {
        authed!(self, |c| c.job_failure_cause(id))
    }
    async fn upload_jar(&self, jar: &Path) -> Result<JarId, FlinkError> {
        authed!(self, |c| c.upload_jar(jar))
    }
    async fn run_jar(&self, jar: &JarId, request: &RunRequest) -> Result<JobId, FlinkError> {
        authed!(self, |c| c.run_jar(jar, request))
    }
    async fn delete_jar(&self, jar: &JarId) -> Result<(), FlinkError> {
        authed!(self, |c| c.delete_jar(jar))
    }
    async fn cancel(&self, id: &JobId) -> Result<(), FlinkError> {
        authed!(self, |c| c.cancel(id))
    }
    async fn job_execution_result(
        &self,
        id: &JobId,
    ) -> Result<Option<ExecutionResult>, FlinkError> {
        authed!(self, |c| c.job_execution_result(id))
    }
    async fn stop_with_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        authed!(self, |c| FlinkApi::stop_with_savepoint(
            &c, id, target_dir, trigger_id
        ))
    }
    async fn savepoint_status(
        &self,
        id: &JobId,
        trigger_id: &str,
    ) -> Result<SavepointStatus, FlinkError> {
        authed!(self, |c| FlinkApi::savepoint_status(&c, id, trigger_id))
    }
    async fn checkpoints(&self, id: &JobId) -> Result<CheckpointStats, FlinkError> {
        authed!(self, |c| FlinkApi::checkpoints(&c, id))
    }
    async fn cluster_config(
        &self,
    ) -> Result<std::collections::BTreeMap<String, String>, FlinkError> {
        authed!(self, |c| FlinkApi::cluster_config(&c))
    }
    async fn trigger_savepoint(
        &self,
        id: &JobId,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<(), FlinkError> {
        authed!(self, |c| FlinkApi::trigger_savepoint(
            &c, id, target_dir, trigger_id
        ))
    }
    async fn dispose_savepoint(&self, location: &str) -> Result<String, FlinkError> {
        authed!(self, |c| FlinkApi::dispose_savepoint(&c, location))
    }
    async fn disposal_status(&self, trigger_id: &str) -> Result<DisposalStatus, FlinkError> {
        authed!(self, |c| FlinkApi::disposal_status(&c, trigger_id))
    }
}
