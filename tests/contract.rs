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
use fjc_integration_tests::flink::{Cleanup, client, stream_counter, unique_out_dir};
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

#[tokio::test]
async fn rest_client_keeps_the_flink_contract_on_flink() {
    let env = LocalEnv::from_env();
    let flink = client(&env);
    // Cancels the contract's jobs even if this test is stopped half-way.
    let cleanup = Cleanup::new(&env);
    let run = unique("fjc:contract");
    let out = env.out_dir.clone();
    let setup = FlinkContract {
        jar: env.job_jar("stream-counter.jar"),
        request: Box::new(move |id: &JobId, name: &str| {
            stream_counter(id, name, &out.join(format!("contract-{id}")))
        }),
        name_prefix: run,
        savepoint_target: format!(
            "file://{}",
            unique_out_dir(&env, "contract-savepoints").display()
        ),
        on_submit: Box::new(|id: &JobId| cleanup.job(id)),
        // Generous: two cores, and other tests share the cluster.
        patience: Duration::from_secs(90),
        poll: Duration::from_millis(200),
        // `web.refresh-interval`, Flink's default.
        stats_max_age: Duration::from_secs(3),
    };
    contract::flink_contract(&flink, &setup).await;
}
