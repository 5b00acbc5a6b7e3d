//! What the engine builds from configuration by itself, with no outside service
//! but its ports: the security settings (namespace policy, trusted artifact
//! keys, the controller's reserved secrets) and one Flink client per cluster.
//! The composition root (`fjc_aws::wiring`) builds the real adapters and hands
//! them these.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fjc_flink::rest::{FlinkAuth, RestClientConfig};

use crate::artifacts::signature::TrustedKeys;
use crate::config::{Config, FlinkClientConfig};
use crate::error::CoreError;
use crate::flink_auth::AuthedFlink;
use crate::policy::Security;
use crate::secrets::SecretSource;

/// Policy and trusted keys: keys from the configuration plus those in
/// `artifacts.trusted_keys_secret` (PEM blocks, or a JSON list of keys).
pub async fn security<K: SecretSource>(
    config: &Config,
    secrets: &K,
) -> Result<Security, CoreError> {
    let mut entries = config.artifacts.trusted_keys.clone();
    if let Some(id) = &config.artifacts.trusted_keys_secret {
        let value = secrets
            .get(id)
            .await
            .map_err(|e| CoreError::Config(format!("artifacts.trusted_keys_secret: {e}")))?;
        match serde_json::from_str::<Vec<String>>(value.expose()) {
            Ok(list) => entries.extend(list),
            Err(_) => entries.push(value.expose().to_string()),
        }
    }
    let trusted_keys = TrustedKeys::parse(&entries)
        .map_err(|e| CoreError::Config(format!("artifacts.trusted_keys: {e}")))?;
    Ok(security_with(config, trusted_keys))
}

/// The security settings of `config` with these trusted keys. The controller's
/// own secrets (cluster credentials, trusted keys) are reserved: no spec may
/// reference them.
fn security_with(config: &Config, trusted_keys: TrustedKeys) -> Security {
    let reserved_secrets = config
        .clusters
        .values()
        .filter_map(|c| c.credentials_secret.clone())
        .chain(config.artifacts.trusted_keys_secret.clone())
        .collect();
    Security {
        namespaces: config.namespaces.clone(),
        trusted_keys,
        spec_secret_prefixes: config.secrets.spec_secret_prefixes.clone(),
        reserved_secrets,
    }
}

/// Policy and the trusted keys written in the configuration, without reading any
/// secret (for `fjc validate` and `fjc status`, which work offline). Whether keys
/// are also held in a secret is the second value.
pub fn offline_security(config: &Config) -> Result<(Security, bool), CoreError> {
    let trusted_keys = TrustedKeys::parse(&config.artifacts.trusted_keys)
        .map_err(|e| CoreError::Config(format!("artifacts.trusted_keys: {e}")))?;
    Ok((
        security_with(config, trusted_keys),
        config.artifacts.trusted_keys_secret.is_some(),
    ))
}

/// The REST client settings for a cluster at `url` under the `flink` tuning (no
/// credentials: those come from the cluster's secret).
pub fn rest_config(flink: &FlinkClientConfig, url: &str) -> RestClientConfig {
    RestClientConfig {
        base_url: url.to_string(),
        connect_timeout: Duration::from_secs(flink.connect_timeout_seconds),
        request_timeout: Duration::from_secs(flink.request_timeout_seconds),
        upload_timeout: Duration::from_secs(flink.upload_timeout_seconds),
        auth: FlinkAuth::None,
        ca_bundle_pem: None,
        client_identity_pem: None,
        retry: fjc_flink::rest::RetryPolicy {
            max_attempts: flink.retry_attempts,
            base_delay: Duration::from_millis(flink.retry_base_millis),
            max_delay: Duration::from_millis(flink.retry_max_millis),
            deadline: Duration::from_secs(flink.call_deadline_seconds),
        },
    }
}

/// One Flink client per configured cluster, with credentials from its secret.
pub fn flink_clients<K: SecretSource>(
    config: &Config,
    secrets: &Arc<K>,
) -> Result<BTreeMap<String, AuthedFlink<K>>, CoreError> {
    config
        .clusters
        .iter()
        .map(|(name, c)| {
            let base = rest_config(&config.flink, &c.url);
            let client = AuthedFlink::new(base, c.credentials_secret.clone(), secrets.clone())
                .map_err(|e| CoreError::Config(format!("clusters.{name}: {e}")))?;
            Ok((name.clone(), client))
        })
        .collect()
}
