//! The real adapters against the contract suites the fakes pass
//! (`fjc-testkit`): `DynamoStore` on moto.
//! A failure here means the suite, and so the fake, is wrong about the real
//! thing, or the adapter has a bug.

use fjc_core::config::Config;
use fjc_core::store::DynamoStore;
use fjc_core::store::bootstrap::Bootstrapped;
use fjc_core::wiring;
use fjc_integration_tests::LocalEnv;
use fjc_integration_tests::harness::unique;
use fjc_testkit::contract;

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
