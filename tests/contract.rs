//! The real adapters against the contract suites the fakes pass
//! (`fjc-testkit`): `DynamoStore` on moto, `RestClient` on the real Flink 2.3.
//! A failure here means the suite, and so the fake, is wrong about the real
//! thing, or the adapter has a bug.

use std::time::Duration;

use fjc_aws::dynamo::DynamoStore;
use fjc_aws::dynamo::bootstrap::Bootstrapped;
use fjc_aws::wiring;
use fjc_core::config::Config;
use fjc_flink::JobId;
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::flink::{Cleanup, client, client_with, stream_counter, unique_out_dir};
use fjc_integration_tests::harness::unique;
use fjc_testkit::contract::{self, FlinkContract};

/// A store on a new table of its own.
async fn fresh_store(check: &str) -> DynamoStore {
    let table = unique("fjc-contract");
    let config = Config {
        table: table.clone(),
        ..Config::default()
    };
    let created = wiring::bootstrap(&config).await;
    assert_eq!(
        created.as_ref().ok(),
        Some(&Bootstrapped::Created),
        "table for {check}: {created:?}"
    );
    let sdk = wiring::aws_config().await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)
}

#[tokio::test]
async fn dynamo_store_keeps_the_store_contract() {
    let _ = LocalEnv::from_env();
    contract::store_contract(fresh_store).await;
}

/// The contract's setup on the cluster at `flink_url`: jobs named apart,
/// cancelled by `cleanup` even if the test is stopped half-way.
fn setup<'a>(env: &LocalEnv, cleanup: &'a Cleanup) -> FlinkContract<'a> {
    let out = env.out_dir.clone();
    FlinkContract {
        jar: env.job_jar("stream-counter.jar"),
        request: Box::new(move |id: &JobId, name: &str| {
            stream_counter(id, name, &out.join(format!("contract-{id}")))
        }),
        name_prefix: unique("fjc:contract"),
        savepoint_target: format!(
            "file://{}",
            unique_out_dir(env, "contract-savepoints").display()
        ),
        on_submit: Box::new(|id: &JobId| cleanup.job(id)),
        // Generous: two cores, and other tests share the cluster.
        patience: Duration::from_secs(90),
        poll: Duration::from_millis(200),
        // `web.refresh-interval`, Flink's default.
        stats_max_age: Duration::from_secs(3),
    }
}

#[tokio::test]
async fn rest_client_keeps_the_flink_contract_on_flink() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    let cleanup = Cleanup::new(&env);
    contract::flink_contract(&flink, &setup(&env, &cleanup)).await;
}

/// Under the default scheduler (the main cluster) and the adaptive one
/// (`localstack/adaptive-up.sh`, whose env.sh sets `FJC_ADAPTIVE_FLINK_URL`):
/// Flink waits 30 s after a job started before it rescales it.
#[tokio::test]
async fn rest_client_keeps_the_rescale_contract_under_both_schedulers() {
    let env = LocalEnv::from_env();
    let cleanup = Cleanup::new(&env);
    let patience = Duration::from_secs(120);
    contract::rescale_contract(&client(&env), &setup(&env, &cleanup), patience).await;
    let url = std::env::var("FJC_ADAPTIVE_FLINK_URL").expect(
        "FJC_ADAPTIVE_FLINK_URL is not set: run localstack/adaptive-up.sh and source .local-adaptive/env.sh",
    );
    let adaptive = LocalEnv {
        flink_url: url.clone(),
        ..env.clone()
    };
    let cleanup = Cleanup::new(&adaptive);
    let flink = client_with(&url, |_| {});
    contract::rescale_contract(&flink, &setup(&adaptive, &cleanup), patience).await;
}
