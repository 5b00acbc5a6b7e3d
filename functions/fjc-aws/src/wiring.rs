//! The composition root: builds the real adapters from configuration, once per
//! process (Lambda cold start or CLI start), and the context the engine runs
//! with.

use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;

use fjc_core::clock::SystemClock;
use fjc_core::config::Config;
use fjc_core::context::{Context, owner_id};
use fjc_core::error::CoreError;
use fjc_core::flink_auth::AuthedFlink;
use fjc_core::restore::Storage;
use fjc_core::secrets::CachedSecrets;
use fjc_core::setup::{flink_clients, security};
use fjc_core::snapshot::publish::Dashboard;

use crate::artifacts::Artifacts;
use crate::dashboard::Publisher;
use crate::dynamo::DynamoStore;
use crate::s3::S3Checkpoints;
use crate::secrets::SecretsManager;

/// The real secret source: Secrets Manager behind a per-process cache.
pub type RealSecrets = CachedSecrets<SecretsManager>;

/// The context with every real adapter.
pub type RealContext = Context<(
    DynamoStore,
    AuthedFlink<RealSecrets>,
    Artifacts,
    SystemClock,
    RealSecrets,
)>;

/// The dashboard hook over the configured publishers (a directory, an S3 bucket).
pub type RealDashboard = Dashboard<Publisher>;

/// Secrets Manager with the configured cache TTL.
pub fn secrets(sdk: &aws_config::SdkConfig, config: &Config) -> Arc<RealSecrets> {
    Arc::new(CachedSecrets::new(
        SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk)),
        Duration::from_secs(config.secrets.cache_ttl_seconds),
    ))
}

/// AWS SDK configuration from the standard environment (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, credentials).
pub async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(BehaviorVersion::latest()).await
}

/// The DynamoDB store.
pub fn store(sdk: &aws_config::SdkConfig, config: &Config) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table)
}

/// The artifact source (local root and S3, path-style addressing so emulators work).
pub fn artifacts(sdk: &aws_config::SdkConfig, config: &Config) -> Artifacts {
    Artifacts::new(
        config.artifact_roots(),
        Some(s3_client(sdk)),
        config.tmp_dir.clone(),
    )
}

/// An S3 client (path-style, so emulators work).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// Checkpoint storage: the local file system, and S3 through a client made from
/// `sdk`.
pub fn checkpoint_storage(sdk: &aws_config::SdkConfig) -> Storage {
    Storage::with_s3(S3Checkpoints::new(s3_client(sdk)))
}

/// Everything, ready to reconcile.
pub async fn build(config: &Config, owner_prefix: &str) -> Result<RealContext, CoreError> {
    build_with(&aws_config().await, config, owner_prefix).await
}

/// What a reconciler process builds once (at a Lambda's cold start, or when
/// `fjc reconcile` starts): the SDK configuration, loaded once and shared by every
/// client, the context, and the dashboard hook.
pub struct Wiring {
    /// The AWS SDK configuration every client was made from.
    pub sdk: aws_config::SdkConfig,
    /// The reconcile context.
    pub ctx: RealContext,
    /// The dashboard hook, when a target is configured.
    pub dashboard: Option<RealDashboard>,
}

/// Loads the SDK configuration once and builds the context and the dashboard hook
/// from it.
pub async fn wire(config: &Config, owner_prefix: &str) -> Result<Wiring, CoreError> {
    let sdk = aws_config().await;
    let ctx = build_with(&sdk, config, owner_prefix).await?;
    let dashboard = crate::dashboard::from_config(config, &sdk);
    Ok(Wiring {
        sdk,
        ctx,
        dashboard,
    })
}

/// [`build`] from an SDK configuration already loaded.
pub async fn build_with(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    owner_prefix: &str,
) -> Result<RealContext, CoreError> {
    let sdk = sdk.clone();
    let secrets = secrets(&sdk, config);
    let security = security(config, &*secrets).await?;
    if !security.enforces_namespaces() && first_time("no-namespaces") {
        tracing::warn!("no namespaces are configured: every spec is allowed any artifact location");
    }
    let context = Context::new(
        store(&sdk, config),
        flink_clients(config, &secrets)?,
        artifacts(&sdk, config),
        SystemClock,
        secrets,
        config.reconcile.clone(),
        owner_id(owner_prefix),
    )
    .with_security(security)
    .with_storage(checkpoint_storage(&sdk))
    .with_runners(fjc_core::context::Runners {
        sql: config.artifacts.sql_runner.clone(),
        python: config.artifacts.python_runner.clone(),
    });
    Ok(match &config.events.bus {
        Some(bus) => context.with_events(std::sync::Arc::new(crate::events::EventBridgeSink::new(
            &sdk, bus,
        ))),
        None => context,
    })
}

/// Creates the table named in the configuration if needed, and moves items
/// written before sharding to their bucketed keys (the code path of
/// `fjc bootstrap`, the LocalStack init hook and the tests).
pub async fn bootstrap(
    config: &Config,
) -> Result<crate::dynamo::bootstrap::Bootstrapped, CoreError> {
    let sdk = aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let done = crate::dynamo::bootstrap::ensure_table(&client, &config.table).await?;
    let moved = DynamoStore::new(client, &config.table)
        .migrate_sort_keys()
        .await?;
    if moved > 0 {
        tracing::info!(moved, "moved items to their bucketed sort keys");
    }
    Ok(done)
}

/// `true` the first time it is called with `key` in this process, `false` after:
/// for a warning about something that cannot change while the process runs (it
/// would otherwise repeat every cycle).
fn first_time(key: &'static str) -> bool {
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    SEEN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_time_is_true_once_per_key() {
        assert!(first_time("telemetry-test-a"));
        assert!(!first_time("telemetry-test-a"));
        assert!(first_time("telemetry-test-b"));
    }
}
