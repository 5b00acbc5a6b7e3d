//! The `session-key-rotation` Lambda: Secrets Manager calls it with each step of a
//! rotation of the dashboard session key (`{"SecretId", "ClientRequestToken", "Step"}`).
//! A thin binary over [`fjc_viewer_auth::rotation`]; the KeyValueStore is
//! `FJC_SESSION_KVS_ARN`.

use fjc_viewer_auth::AuthError;
use fjc_viewer_auth::adapters::kvs::KeyValueStore;
use fjc_viewer_auth::adapters::secrets::SecretsManagerVersions;
use fjc_viewer_auth::rotation::{Step, rotate};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::Deserialize;

/// The event Secrets Manager sends a rotation function.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotationEvent {
    secret_id: String,
    client_request_token: String,
    step: String,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    fjc_viewer_auth::init_logging();
    let kvs_arn = std::env::var("FJC_SESSION_KVS_ARN")
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(AuthError::Config {
            name: "FJC_SESSION_KVS_ARN",
            reason: "must be set".into(),
        })?;
    let aws = aws_config::load_from_env().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let edge = KeyValueStore::new(aws_sdk_cloudfrontkeyvaluestore::Client::new(&aws), kvs_arn);
    let (secrets, edge) = (&secrets, &edge);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<RotationEvent>| async move {
            let e = event.payload;
            let step = Step::parse(&e.step)?;
            tracing::info!(step = %e.step, secret = %e.secret_id, "rotation step");
            let versions = SecretsManagerVersions::new(secrets.clone(), e.secret_id);
            rotate(step, &e.client_request_token, &versions, edge).await?;
            Ok::<_, Error>(serde_json::json!({ "step": e.step, "done": true }))
        },
    ))
    .await
}
